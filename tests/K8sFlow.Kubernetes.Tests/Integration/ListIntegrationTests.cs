using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Models;

namespace K8sFlow.Kubernetes.Tests.Integration;

/// <summary>Paging with limit/continue and label and field selectors, against the local cluster over HTTPS.</summary>
public sealed class ListIntegrationTests : IAsyncLifetime
{
    private const string Ns = "listing";
    private LiveCluster _cluster = null!;
    private KubeRequestCounter _requests = null!;
    private KubeClient _client = null!;

    public async Task InitializeAsync()
    {
        _cluster = await LiveCluster.StartAsync();
        _requests = new KubeRequestCounter();
        _client = _cluster.NewClient(new KubeClientOptions { RequestObserver = _requests });
        await _cluster.CreateNamespaceAsync(Ns);
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private Task<ConfigMap> CreateAsync(string name, Dictionary<string, string>? labels = null) =>
        _client.CreateAsync(KubeKinds.ConfigMap, new ConfigMap { Metadata = new ObjectMeta { Name = name, Namespace = Ns, Labels = labels } },
            cancellationToken: Live.Token());

    private async Task CreateNumberedAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            await CreateAsync($"cm-{i:00}");
        }
    }

    [Fact]
    public async Task ListAll_WithALimit_FollowsContinueTokensAcrossPages()
    {
        await CreateNumberedAsync(12);
        var listsBefore = _requests.Count(KubeVerb.List);

        var all = await _client.ListAllAsync(KubeKinds.ConfigMap, Ns, new ListOptions { Limit = 5 }, Live.Token());

        all.Items.Select(c => c.Metadata.Name).Should().Equal(Enumerable.Range(0, 12).Select(i => $"cm-{i:00}"));
        (_requests.Count(KubeVerb.List) - listsBefore).Should().Be(3, "12 objects in pages of 5 take three requests");
        all.Metadata.Continue.Should().BeNull();
    }

    [Fact]
    public async Task Pages_ComeFromTheFirstPagesSnapshot_EvenWhenObjectsChangeInBetween()
    {
        await CreateNumberedAsync(6);

        var first = await _client.ListAsync(KubeKinds.ConfigMap, Ns, new ListOptions { Limit = 4 }, Live.Token());
        await CreateAsync("cm-99");
        await _client.DeleteAsync(KubeKinds.ConfigMap, Ns, "cm-05", cancellationToken: Live.Token());
        var second = await _client.ListAsync(KubeKinds.ConfigMap, Ns, new ListOptions { Limit = 4, Continue = first.Metadata.Continue }, Live.Token());

        first.Items.Should().HaveCount(4);
        first.Metadata.Continue.Should().NotBeNullOrEmpty();
        first.Metadata.RemainingItemCount.Should().Be(2);
        second.Items.Select(c => c.Metadata.Name).Should().Equal("cm-04", "cm-05");
        second.Metadata.Continue.Should().BeNullOrEmpty();
        second.Metadata.ResourceVersion.Should().Be(first.Metadata.ResourceVersion);
    }

    [Theory]
    [InlineData("app=web", new[] { "web-prod", "web-test" })]
    [InlineData("app!=web", new[] { "db-prod", "plain" })]
    [InlineData("app in (web,db),tier=prod", new[] { "db-prod", "web-prod" })]
    [InlineData("app notin (web)", new[] { "db-prod", "plain" })]
    [InlineData("tier", new[] { "db-prod", "web-prod", "web-test" })]
    [InlineData("!tier", new[] { "plain" })]
    public async Task LabelSelector_SelectsLikeTheApiServer(string selector, string[] expected)
    {
        await CreateAsync("web-prod", new() { ["app"] = "web", ["tier"] = "prod" });
        await CreateAsync("web-test", new() { ["app"] = "web", ["tier"] = "test" });
        await CreateAsync("db-prod", new() { ["app"] = "db", ["tier"] = "prod" });
        await CreateAsync("plain");

        var listed = await _client.ListAsync(KubeKinds.ConfigMap, Ns, new ListOptions { LabelSelector = selector }, Live.Token());

        listed.Items.Select(c => c.Metadata.Name).Should().Equal(expected);
    }

    [Theory]
    [InlineData("metadata.name=cm-01", new[] { "default/cm-01", "listing/cm-01" })]
    [InlineData("metadata.name!=cm-01", new[] { "listing/cm-00", "listing/cm-02" })]
    [InlineData("metadata.namespace=listing,metadata.name!=cm-00", new[] { "listing/cm-01", "listing/cm-02" })]
    public async Task FieldSelector_AcrossAllNamespaces_SelectsByNameAndNamespace(string selector, string[] expected)
    {
        await CreateNumberedAsync(3);
        await _client.CreateAsync(KubeKinds.ConfigMap, new ConfigMap { Metadata = new ObjectMeta { Name = "cm-01", Namespace = "default" } },
            cancellationToken: Live.Token());

        var listed = await _client.ListAsync(KubeKinds.ConfigMap, null, new ListOptions { FieldSelector = selector }, Live.Token());

        listed.Items.Select(c => $"{c.Metadata.Namespace}/{c.Metadata.Name}").Should().Equal(expected);
    }
}
