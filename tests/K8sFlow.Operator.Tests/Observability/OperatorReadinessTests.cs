using K8sFlow.Operator.Observability;

namespace K8sFlow.Operator.Tests.Observability;

public sealed class OperatorReadinessTests
{
    [Theory]
    [InlineData(OperatorRole.Leader, false, null, false, "not ready: leader, informers not synced yet")]
    [InlineData(OperatorRole.Leader, true, null, true, "ready: leader, informers synced")]
    [InlineData(OperatorRole.Standby, false, null, true, "ready: standby, waiting for the lease (no leader observed yet)")]
    [InlineData(OperatorRole.Standby, false, "operator-7f9c", true, "ready: standby, waiting for the lease (leader is operator-7f9c)")]
    [InlineData(OperatorRole.Standby, true, "operator-7f9c", true, "ready: standby, informers synced (leader is operator-7f9c)")]
    public void Check_ReadyAndSaysWhichRole(OperatorRole role, bool synced, string? leader, bool ready, string message)
    {
        var readiness = new OperatorReadiness();
        readiness.SetRole(role, leader);
        readiness.SetInformersSynced(synced);

        readiness.Check().Should().Be(new ReadinessReport(ready, message));
        readiness.IsLeader.Should().Be(role == OperatorRole.Leader);
    }

    [Fact]
    public void NewReadiness_IsAStandbyWaitingForTheLease()
    {
        new OperatorReadiness().Check().Should().Be(new ReadinessReport(true, "ready: standby, waiting for the lease (no leader observed yet)"));
    }
}
