namespace K8sFlow.LocalCluster.Http;

/// <summary>What the HTTP handlers need beyond the store: watch timing and the server's stop signal.</summary>
internal sealed record ApiSettings(TimeSpan BookmarkInterval, TimeSpan? WatchTimeout, TimeProvider Time, CancellationToken Stopping);
