using K8sFlow.LocalCluster.Json;

namespace K8sFlow.LocalCluster.Store;

/// <summary>
/// Saves the store to one JSON file in a data directory: after each change, debounced, written to a
/// temporary file and moved over the old one so a crash never leaves half a snapshot.
/// </summary>
internal sealed class StorePersistence : IAsyncDisposable
{
    public const string FileName = "cluster-state.json";

    private readonly ClusterStore _store;
    private readonly string _path;
    private readonly TimeSpan _debounce;
    private readonly SemaphoreSlim _changed = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _writer;

    private StorePersistence(ClusterStore store, string directory, TimeSpan debounce)
    {
        _store = store;
        _path = Path.Combine(directory, FileName);
        _debounce = debounce;
        _store.Committed += Signal;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Loads the saved state into <paramref name="store"/> (when there is one) and starts saving changes.</summary>
    public static async Task<StorePersistence> AttachAsync(ClusterStore store, string directory, TimeSpan debounce, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        if (File.Exists(path))
        {
            var text = await File.ReadAllTextAsync(path, cancellationToken);
            if (StoreState.FromJson(KubeJson.TryParse(text, out _)) is { } state)
            {
                store.Restore(state);
            }
        }
        return new StorePersistence(store, directory, debounce);
    }

    private void Signal()
    {
        if (_changed.CurrentCount == 0)
        {
            _changed.Release();
        }
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            while (true)
            {
                await _changed.WaitAsync(_stop.Token);
                await Task.Delay(_debounce, _stop.Token);
                await SaveAsync(CancellationToken.None);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping: the final save happens in DisposeAsync.
        }
    }

    public async Task SaveAsync(CancellationToken cancellationToken)
    {
        var bytes = KubeJson.SerializeToUtf8(_store.CaptureState().ToJson());
        var temporary = _path + ".tmp";
        await File.WriteAllBytesAsync(temporary, bytes, cancellationToken);
        File.Move(temporary, _path, overwrite: true);
    }

    public async ValueTask DisposeAsync()
    {
        _store.Committed -= Signal;
        await _stop.CancelAsync();
        await _writer;
        await SaveAsync(CancellationToken.None);
        _stop.Dispose();
        _changed.Dispose();
    }
}
