using K8sFlow.LocalCluster.Selectors;

namespace K8sFlow.LocalCluster.Tests.Units;

public sealed class SelectorTests
{
    private static readonly Dictionary<string, string> Labels = new() { ["app"] = "web", ["tier"] = "1", ["example.com/team"] = "data" };

    [Theory]
    [InlineData("app=web", true)]
    [InlineData("app = web", true)]
    [InlineData("app!=web", false)]
    [InlineData("example.com/team in (data, ml)", true)]
    [InlineData("example.com/team notin (data)", false)]
    [InlineData("missing!=x", true)]
    [InlineData("missing notin (x)", true)]
    [InlineData("!missing,app", true)]
    [InlineData("tier>0", true)]
    [InlineData("tier<1", false)]
    [InlineData("", true)]
    public void LabelSelector_Matches(string selector, bool expected) =>
        LabelSelector.TryParse(selector, out _)!.Matches(Labels).Should().Be(expected);

    [Theory]
    [InlineData("app in web")]
    [InlineData("app in (web")]
    [InlineData("=web")]
    [InlineData("app ~ web")]
    [InlineData("tier>x")]
    public void LabelSelector_Malformed_SaysWhy(string selector)
    {
        LabelSelector.TryParse(selector, out var error).Should().BeNull();
        error.Should().StartWith("unable to parse requirement");
    }

    [Fact]
    public void FieldSelector_HonoursEscapes()
    {
        var selector = FieldSelector.TryParse(@"metadata.name=a\,b,reason!=x", out _)!;

        selector.Requirements.Should().Equal(
            new FieldRequirement("metadata.name", false, "a,b"),
            new FieldRequirement("reason", true, "x"));
    }

    [Fact]
    public void FieldSelector_WithoutOperator_IsRefused()
    {
        FieldSelector.TryParse("metadata.name", out var error).Should().BeNull();
        error.Should().Contain("can't understand 'metadata.name'");
    }
}
