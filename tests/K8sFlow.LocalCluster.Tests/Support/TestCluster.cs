using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Store;
using K8sFlow.Tests.Shared;

namespace K8sFlow.LocalCluster.Tests.Support;

/// <summary>A local cluster on a random port with a kubeconfig in a temporary directory, and an authorized HttpClient.</summary>
public sealed class TestCluster : IAsyncDisposable, IKubectlTarget
{
    private TestCluster(LocalClusterServer server, string directory, List<RequestLogEntry> requests)
    {
        Server = server;
        Directory = directory;
        Requests = requests;
        Http = server.CreateHttpClient();
        Http.Timeout = TimeSpan.FromSeconds(60);
    }

    public LocalClusterServer Server { get; }

    public ClusterStore Store => Server.Store;

    public HttpClient Http { get; }

    /// <summary>Temporary directory of this cluster (kubeconfig, data, kubectl's HOME).</summary>
    public string Directory { get; }

    public string KubeconfigPath => Path.Combine(Directory, "kubeconfig");

    string IKubectlTarget.HomeDirectory => Directory;

    /// <summary>Every request the server answered, for diagnosing kubectl runs.</summary>
    public List<RequestLogEntry> Requests { get; }

    public static async Task<TestCluster> StartAsync(Func<LocalClusterOptions, LocalClusterOptions>? configure = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "k8sflow-localcluster-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var requests = new List<RequestLogEntry>();
        var options = new LocalClusterOptions
        {
            KubeconfigPath = Path.Combine(directory, "kubeconfig"),
            RequestLog = entry =>
            {
                lock (requests)
                {
                    requests.Add(entry);
                }
            },
        };
        options = configure?.Invoke(options) ?? options;
        var server = await LocalClusterServer.StartAsync(options);
        return new TestCluster(server, directory, requests);
    }

    public string RequestLog()
    {
        lock (Requests)
        {
            return string.Join("\n", Requests.Select(r => r.ToString()));
        }
    }

    string IKubectlTarget.Diagnostics() => "requests:\n" + RequestLog();

    public async Task<(HttpStatusCode Status, JsonObject Body, HttpResponseMessage Response)> SendAsync(
        HttpMethod method, string path, JsonNode? body = null, string contentType = "application/json", string? accept = null, string? rawBody = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null || rawBody is not null)
        {
            request.Content = new StringContent(rawBody ?? body!.ToJsonString(), Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }
        var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var json = text.Length > 0 && text.TrimStart().StartsWith('{') ? JsonNode.Parse(text)!.AsObject() : new JsonObject { ["text"] = text };
        return (response.StatusCode, json, response);
    }

    /// <summary>The Content-Type exactly as the server wrote it (HttpClient reformats it once the body is read).</summary>
    public async Task<string> RawContentTypeAsync(string path, string accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return response.Content.Headers.NonValidated["Content-Type"].ToString();
    }

    public Task<(HttpStatusCode Status, JsonObject Body, HttpResponseMessage Response)> GetAsync(string path, string? accept = null) =>
        SendAsync(HttpMethod.Get, path, accept: accept);

    public Task<(HttpStatusCode Status, JsonObject Body, HttpResponseMessage Response)> PostAsync(string path, JsonNode body) =>
        SendAsync(HttpMethod.Post, path, body);

    public Task<(HttpStatusCode Status, JsonObject Body, HttpResponseMessage Response)> PutAsync(string path, JsonNode body) =>
        SendAsync(HttpMethod.Put, path, body);

    public Task<(HttpStatusCode Status, JsonObject Body, HttpResponseMessage Response)> PatchAsync(string path, string contentType, string body) =>
        SendAsync(HttpMethod.Patch, path, contentType: contentType, rawBody: body);

    public Task<(HttpStatusCode Status, JsonObject Body, HttpResponseMessage Response)> DeleteAsync(string path, JsonNode? options = null) =>
        SendAsync(HttpMethod.Delete, path, options);

    /// <summary>Opens a watch and returns its line reader.</summary>
    public async Task<WatchReader> WatchAsync(string pathAndQuery, string? accept = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }
        var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return new WatchReader(response);
    }

    /// <summary>Waits (bounded) until the store has this many open watches, e.g. once a kubectl -w is listening.</summary>
    public async Task WaitForWatchesAsync(int count)
    {
        using var patience = new CancellationTokenSource(Patience.Bound);
        while (Store.WatchCount < count)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), patience.Token);
        }
    }

    /// <summary>Creates the Widget CRD (sent as YAML) and returns the stored CRD.</summary>
    public async Task<JsonObject> InstallWidgetCrdAsync()
    {
        var (status, body, _) = await SendAsync(HttpMethod.Post, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            contentType: "application/yaml", rawBody: Objects.WidgetCrdYaml);
        if (status != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"CRD not created: {status} {body.ToJsonString()}");
        }
        return body;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a kubectl child may still hold a file.
        }
    }
}
