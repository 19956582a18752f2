using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace K8sFlow.Cli.Tests.Samples;

/// <summary>
/// Just enough of MLflow's REST API (/api/2.0/mlflow) on 127.0.0.1 for the sample's tasks: experiments
/// get-by-name/create, runs create/log-batch/update. Records every call so tests can read what was logged.
/// </summary>
internal sealed class FakeMlflowServer : IDisposable
{
    private const string ApiPrefix = "/api/2.0/mlflow/";

    private readonly HttpListener _listener = new();
    private readonly ConcurrentDictionary<string, string> _experiments = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<Call> _calls = new();
    private readonly Task _serving;
    private int _nextId;

    /// <summary>One API call: the endpoint after /api/2.0/mlflow/, its query string and its JSON body.</summary>
    public sealed record Call(string Endpoint, string Query, JsonObject Body);

    /// <summary>An MLflow run as the tasks logged it: its tags, params and metrics.</summary>
    public sealed record LoggedRun(
        string RunId,
        string ExperimentId,
        IReadOnlyDictionary<string, string> Tags,
        IReadOnlyDictionary<string, string> Params,
        IReadOnlyDictionary<string, double> Metrics,
        string? Status);

    public FakeMlflowServer()
    {
        Uri = $"http://127.0.0.1:{FreePort()}";
        _listener.Prefixes.Add(Uri + "/");
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public string Uri { get; }

    public IReadOnlyList<Call> Calls => [.. _calls];

    public IReadOnlyDictionary<string, string> Experiments => _experiments;

    /// <summary>The runs created, with what log-batch and update added to each.</summary>
    public IReadOnlyList<LoggedRun> Runs()
    {
        var calls = Calls;
        var created = calls.Where(c => c.Endpoint == "runs/create").Select((c, i) => (RunId: RunIdAt(i), c.Body));
        return [.. created.Select(run =>
        {
            var batches = calls.Where(c => c.Endpoint == "runs/log-batch" && Text(c.Body["run_id"]) == run.RunId).ToList();
            var update = calls.LastOrDefault(c => c.Endpoint == "runs/update" && Text(c.Body["run_id"]) == run.RunId);
            return new LoggedRun(
                run.RunId,
                Text(run.Body["experiment_id"]),
                KeyValues(run.Body["tags"]),
                batches.SelectMany(b => KeyValues(b.Body["params"])).ToDictionary(),
                batches.SelectMany(b => (b.Body["metrics"]?.AsArray() ?? []).Select(m => m!.AsObject()))
                    .ToDictionary(m => Text(m["key"]), m => m["value"]!.GetValue<double>()),
                update is null ? null : Text(update.Body["status"]));
        })];
    }

    public void Dispose()
    {
        _listener.Close();
        _serving.Wait(TimeSpan.FromSeconds(5));
    }

    /// <summary>A port nobody listens on now (connections to it are refused).</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static string RunIdAt(int index) => $"run-{index + 1}";

    private static string Text(JsonNode? node) => node?.GetValue<string>() ?? "";

    private static Dictionary<string, string> KeyValues(JsonNode? list) =>
        (list?.AsArray() ?? []).Select(e => e!.AsObject()).ToDictionary(e => Text(e["key"]), e => Text(e["value"]));

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return; // closed by Dispose
            }
            await RespondAsync(context);
        }
    }

    private async Task RespondAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var endpoint = request.Url!.AbsolutePath.StartsWith(ApiPrefix, StringComparison.Ordinal)
            ? request.Url.AbsolutePath[ApiPrefix.Length..]
            : request.Url.AbsolutePath;
        using var reader = new StreamReader(request.InputStream, Encoding.UTF8);
        var text = await reader.ReadToEndAsync();
        var body = string.IsNullOrWhiteSpace(text) ? [] : JsonNode.Parse(text)!.AsObject();
        _calls.Enqueue(new Call(endpoint, request.Url.Query, body));

        var (status, reply) = Handle(endpoint, request.QueryString["experiment_name"], body);
        var bytes = Encoding.UTF8.GetBytes(reply.ToJsonString());
        context.Response.StatusCode = (int)status;
        context.Response.ContentType = "application/json";
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }

    private (HttpStatusCode, JsonObject) Handle(string endpoint, string? experimentName, JsonObject body)
    {
        switch (endpoint)
        {
            case "experiments/get-by-name":
                return experimentName is not null && _experiments.TryGetValue(experimentName, out var id)
                    ? (HttpStatusCode.OK, new JsonObject { ["experiment"] = new JsonObject { ["experiment_id"] = id, ["name"] = experimentName } })
                    : (HttpStatusCode.NotFound, Error("RESOURCE_DOES_NOT_EXIST"));
            case "experiments/create":
                var name = Text(body["name"]);
                return _experiments.TryAdd(name, $"{Interlocked.Increment(ref _nextId)}")
                    ? (HttpStatusCode.OK, new JsonObject { ["experiment_id"] = _experiments[name] })
                    : (HttpStatusCode.BadRequest, Error("RESOURCE_ALREADY_EXISTS"));
            case "runs/create":
                var runId = RunIdAt(_calls.Count(c => c.Endpoint == "runs/create") - 1);
                return (HttpStatusCode.OK, new JsonObject { ["run"] = new JsonObject { ["info"] = new JsonObject { ["run_id"] = runId } } });
            case "runs/log-batch" or "runs/update":
                return (HttpStatusCode.OK, []);
            default:
                return (HttpStatusCode.NotFound, Error("ENDPOINT_NOT_FOUND"));
        }
    }

    private static JsonObject Error(string code) => new() { ["error_code"] = code, ["message"] = code };
}
