using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Config;
using K8sFlow.Kubernetes.Models;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace K8sFlow.Kubernetes;

/// <summary>
/// <see cref="IKubeClient"/> over HttpClient and System.Text.Json. Thread-safe; share one instance.
/// </summary>
public sealed class KubeClient : IKubeClient, IDisposable
{
    private const string JsonContentType = "application/json";

    /// <summary>How long past its timeoutSeconds a silent watch is kept before the client ends it.</summary>
    private static readonly TimeSpan WatchGracePeriod = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly string _baseUrl;
    private readonly KubeClientOptions _options;
    private readonly ResiliencePipeline<HttpResponseMessage> _idempotentPipeline;
    private readonly ResiliencePipeline<HttpResponseMessage> _createPipeline;

    /// <summary>A client over <paramref name="http"/>, whose BaseAddress is the API server URL.</summary>
    public KubeClient(HttpClient http, KubeClientOptions? options = null)
        : this(http, options ?? new KubeClientOptions(), ownsHttp: false)
    {
    }

    private KubeClient(HttpClient http, KubeClientOptions options, bool ownsHttp)
    {
        _http = http;
        _ownsHttp = ownsHttp;
        _baseUrl = http.BaseAddress?.AbsoluteUri.TrimEnd('/')
            ?? throw new ArgumentException("The HttpClient needs a BaseAddress: the API server URL.", nameof(http));
        _options = options;
        _idempotentPipeline = BuildRetryPipeline(idempotent: true);
        _createPipeline = BuildRetryPipeline(idempotent: false);
    }

    /// <summary>
    /// A client for a kubeconfig context or the in-cluster service account; its default namespace
    /// is the connection's.
    /// </summary>
    public static KubeClient Create(ClusterConnection connection, KubeClientOptions? options = null)
    {
        var http = new HttpClient(connection.CreateHandler(), disposeHandler: true)
        {
            BaseAddress = connection.Server,
            // Watches last for minutes; per-attempt limits come from KubeClientOptions.RequestTimeout.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        return new KubeClient(http, (options ?? new KubeClientOptions()) with { DefaultNamespace = connection.Namespace }, ownsHttp: true);
    }

    public string DefaultNamespace => _options.DefaultNamespace;

    public async Task<T> GetAsync<T>(ResourceKind<T> kind, string? @namespace, string name, CancellationToken cancellationToken = default)
        where T : KubernetesObject
    {
        var request = ObjectRequest(KubeVerb.Get, HttpMethod.Get, kind, @namespace, name, subresource: null, query: null, body: null);
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        return await ReadObjectAsync<T>(response, request, cancellationToken).ConfigureAwait(false);
    }

    public async Task<T?> TryGetAsync<T>(ResourceKind<T> kind, string? @namespace, string name, CancellationToken cancellationToken = default)
        where T : KubernetesObject
    {
        var request = ObjectRequest(KubeVerb.Get, HttpMethod.Get, kind, @namespace, name, subresource: null, query: null, body: null);
        using var response = await SendAsync(request, cancellationToken, acceptNotFound: true).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.NotFound
            ? null
            : await ReadObjectAsync<T>(response, request, cancellationToken).ConfigureAwait(false);
    }

    public async Task<KubeList<T>> ListAsync<T>(ResourceKind<T> kind, string? @namespace, ListOptions? options = null,
        CancellationToken cancellationToken = default)
        where T : KubernetesObject
    {
        var query = new QueryBuilder()
            .Add("labelSelector", options?.LabelSelector)
            .Add("fieldSelector", options?.FieldSelector)
            .Add("limit", options?.Limit?.ToString())
            .Add("continue", options?.Continue)
            .Add("resourceVersion", options?.ResourceVersion);
        var request = new KubeRequest(KubeVerb.List, HttpMethod.Get, kind, @namespace, null, null,
            kind.CollectionPath(@namespace), query.ToString(), Body: null, ContentType: null);
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        return await ReadObjectAsync<KubeList<T>>(response, request, cancellationToken).ConfigureAwait(false);
    }

    public async Task<T> CreateAsync<T>(ResourceKind<T> kind, T obj, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : KubernetesObject
    {
        var @namespace = NamespaceFor(kind, obj.Metadata.Namespace);
        var request = new KubeRequest(KubeVerb.Create, HttpMethod.Post, kind, @namespace, obj.Metadata.Name, null,
            kind.CollectionPath(@namespace), WriteQuery(options).ToString(), Serialize(obj), JsonContentType);
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        return await ReadObjectAsync<T>(response, request, cancellationToken).ConfigureAwait(false);
    }

    public Task<T> ReplaceAsync<T>(ResourceKind<T> kind, T obj, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : KubernetesObject =>
        PutAsync(kind, obj, subresource: null, options, cancellationToken);

    public Task<T> ReplaceStatusAsync<T>(ResourceKind<T> kind, T obj, WriteOptions? options = null, CancellationToken cancellationToken = default)
        where T : KubernetesObject =>
        PutAsync(kind, obj, subresource: "status", options, cancellationToken);

    public Task<T> PatchAsync<T>(ResourceKind<T> kind, string? @namespace, string name, KubePatch patch, PatchOptions? options = null,
        CancellationToken cancellationToken = default)
        where T : KubernetesObject =>
        SendPatchAsync(kind, @namespace, name, subresource: null, patch, options, cancellationToken);

    public Task<T> PatchStatusAsync<T>(ResourceKind<T> kind, string? @namespace, string name, KubePatch patch, PatchOptions? options = null,
        CancellationToken cancellationToken = default)
        where T : KubernetesObject =>
        SendPatchAsync(kind, @namespace, name, subresource: "status", patch, options, cancellationToken);

    public async Task<T?> DeleteAsync<T>(ResourceKind<T> kind, string? @namespace, string name, DeleteOptions? options = null,
        CancellationToken cancellationToken = default)
        where T : KubernetesObject
    {
        var body = options is null ? null : JsonSerializer.SerializeToUtf8Bytes(options, KubeJson.Options);
        var request = ObjectRequest(KubeVerb.Delete, HttpMethod.Delete, kind, @namespace, name, subresource: null, query: null, body);
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        // 200 with the object while finalizers are pending; 200/202 with a Status once it is gone.
        var json = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        using var document = JsonDocument.Parse(json);
        var isStatus = document.RootElement.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String && k.GetString() == "Status";
        return isStatus ? null : document.RootElement.Deserialize<T>(KubeJson.Options);
    }

    public async IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(ResourceKind<T> kind, string? @namespace, WatchOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where T : KubernetesObject
    {
        var query = new QueryBuilder()
            .Add("allowWatchBookmarks", options?.AllowWatchBookmarks == true ? "true" : null)
            .Add("fieldSelector", options?.FieldSelector)
            .Add("labelSelector", options?.LabelSelector)
            .Add("resourceVersion", options?.ResourceVersion)
            .Add("timeoutSeconds", options?.TimeoutSeconds?.ToString())
            .Add("watch", "true");
        var request = new KubeRequest(KubeVerb.Watch, HttpMethod.Get, kind, @namespace, null, null,
            kind.CollectionPath(@namespace), query.ToString(), Body: null, ContentType: null, Streaming: true);
        // A connection that died silently would never end the stream: give up a grace period after the
        // server should have closed it, as if it had.
        using var overdue = options?.TimeoutSeconds is { } seconds
            ? new CancellationTokenSource(TimeSpan.FromSeconds(seconds) + WatchGracePeriod, _options.TimeProvider)
            : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, overdue.Token);
        using var response = await SendAsync(request, linked.Token).ConfigureAwait(false);
        var stream = await response.Content.ReadAsStreamAsync(linked.Token).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var events = WatchStream.ReadAsync<T>(stream, linked.Token).GetAsyncEnumerator(linked.Token);
            await using (events.ConfigureAwait(false))
            {
                while (true)
                {
                    bool more;
                    try
                    {
                        more = await events.MoveNextAsync().ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (overdue.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                    {
                        _options.Logger?.LogDebug("Watch {Path} outlived timeoutSeconds by {Grace}; ending it", request.Path, WatchGracePeriod);
                        more = false;
                    }
                    if (!more)
                    {
                        yield break;
                    }
                    yield return events.Current;
                }
            }
        }
    }

    public async Task<Stream> GetPodLogAsync(string @namespace, string name, PodLogOptions? options = null, CancellationToken cancellationToken = default)
    {
        var query = new QueryBuilder()
            .Add("container", options?.Container)
            .Add("follow", options?.Follow == true ? "true" : null)
            .Add("limitBytes", options?.LimitBytes?.ToString())
            .Add("previous", options?.Previous == true ? "true" : null)
            .Add("sinceSeconds", options?.SinceSeconds?.ToString())
            .Add("tailLines", options?.TailLines?.ToString())
            .Add("timestamps", options?.Timestamps == true ? "true" : null);
        var request = ObjectRequest(KubeVerb.Get, HttpMethod.Get, KubeKinds.Pod, @namespace, name, "log", query, body: null,
            streaming: options?.Follow == true);
        var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private async Task<T> PutAsync<T>(ResourceKind<T> kind, T obj, string? subresource, WriteOptions? options, CancellationToken cancellationToken)
        where T : KubernetesObject
    {
        var request = ObjectRequest(KubeVerb.Update, HttpMethod.Put, kind, obj.Metadata.Namespace, obj.Metadata.Name ?? "", subresource,
            WriteQuery(options), Serialize(obj));
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        return await ReadObjectAsync<T>(response, request, cancellationToken).ConfigureAwait(false);
    }

    private async Task<T> SendPatchAsync<T>(ResourceKind<T> kind, string? @namespace, string name, string? subresource, KubePatch patch,
        PatchOptions? options, CancellationToken cancellationToken)
        where T : KubernetesObject
    {
        var fieldManager = options?.FieldManager ?? _options.FieldManager;
        var query = new QueryBuilder()
            .Add("dryRun", options?.DryRun == true ? "All" : null)
            .Add("fieldManager", fieldManager)
            .Add("fieldValidation", options?.FieldValidation)
            .Add("force", patch.Type == PatchType.Apply && options?.Force == true ? "true" : null);
        var request = ObjectRequest(KubeVerb.Patch, HttpMethod.Patch, kind, @namespace, name, subresource, query,
            Encoding.UTF8.GetBytes(patch.Body), patch.ContentType);
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        return await ReadObjectAsync<T>(response, request, cancellationToken).ConfigureAwait(false);
    }

    private QueryBuilder WriteQuery(WriteOptions? options) => new QueryBuilder()
        .Add("dryRun", options?.DryRun == true ? "All" : null)
        .Add("fieldManager", options?.FieldManager ?? _options.FieldManager)
        .Add("fieldValidation", options?.FieldValidation);

    private KubeRequest ObjectRequest(KubeVerb verb, HttpMethod method, ResourceKind kind, string? @namespace, string name,
        string? subresource, QueryBuilder? query, byte[]? body, string contentType = JsonContentType, bool streaming = false)
    {
        var resolved = NamespaceFor(kind, @namespace);
        return new KubeRequest(verb, method, kind, resolved, name, subresource, kind.ObjectPath(resolved, name, subresource),
            query?.ToString() ?? "", body, body is null ? null : contentType, streaming);
    }

    /// <summary>Single-object requests on namespaced kinds fall back to the default namespace, like kubectl.</summary>
    private string? NamespaceFor(ResourceKind kind, string? @namespace) =>
        !kind.Namespaced ? null : string.IsNullOrEmpty(@namespace) ? _options.DefaultNamespace : @namespace;

    private static byte[] Serialize<T>(T obj) where T : KubernetesObject =>
        JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), KubeJson.Options);

    private static async Task<T> ReadObjectAsync<T>(HttpResponseMessage response, KubeRequest request, CancellationToken cancellationToken)
    {
        var value = await response.Content.ReadFromJsonAsync<T>(KubeJson.Options, cancellationToken).ConfigureAwait(false);
        return value ?? throw new InvalidDataException($"{request.Method} {request.Path}: the server answered {(int)response.StatusCode} with an empty body.");
    }

    /// <summary>
    /// Sends with retries and returns a successful response (or 404 when <paramref name="acceptNotFound"/>);
    /// anything else becomes a <see cref="KubeApiException"/>.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(KubeRequest request, CancellationToken cancellationToken, bool acceptNotFound = false)
    {
        var pipeline = request.Method == HttpMethod.Post ? _createPipeline : _idempotentPipeline;
        var attempt = 0;
        var response = await pipeline.ExecuteAsync(
            token => SendOnceAsync(request, ++attempt, token, cancellationToken),
            cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode || (acceptNotFound && response.StatusCode == HttpStatusCode.NotFound))
        {
            return response;
        }
        using (response)
        {
            throw await ToExceptionAsync(response, request, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<HttpResponseMessage> SendOnceAsync(KubeRequest request, int attempt, CancellationToken attemptToken,
        CancellationToken callerToken)
    {
        var started = _options.TimeProvider.GetTimestamp();
        int? statusCode = null;
        using var timeout = request.Streaming ? null : new CancellationTokenSource(_options.RequestTimeout, _options.TimeProvider);
        using var linked = timeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(attemptToken, timeout.Token);
        using var message = new HttpRequestMessage(request.Method, _baseUrl + request.Path + request.Query);
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(JsonContentType));
        message.Headers.UserAgent.ParseAdd(_options.UserAgent);
        if (request.Body is not null)
        {
            message.Content = new ByteArrayContent(request.Body);
            message.Content.Headers.ContentType = new MediaTypeHeaderValue(request.ContentType ?? JsonContentType);
        }
        try
        {
            var completion = request.Streaming ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead;
            var response = await _http.SendAsync(message, completion, linked?.Token ?? attemptToken).ConfigureAwait(false);
            statusCode = (int)response.StatusCode;
            return response;
        }
        catch (OperationCanceledException) when (timeout?.IsCancellationRequested == true && !callerToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{request.Method} {request.Path}: no answer within {_options.RequestTimeout.TotalSeconds:0.###}s.");
        }
        finally
        {
            _options.RequestObserver?.OnRequest(new KubeRequestRecord(request.Verb, request.Kind, request.Namespace, request.Name,
                request.Subresource, statusCode, attempt, _options.TimeProvider.GetElapsedTime(started)));
        }
    }

    private ResiliencePipeline<HttpResponseMessage> BuildRetryPipeline(bool idempotent)
    {
        var retry = _options.Retry;
        if (retry.MaxRetries <= 0)
        {
            return ResiliencePipeline<HttpResponseMessage>.Empty;
        }
        return new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = _options.TimeProvider }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = retry.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = retry.BaseDelay,
                MaxDelay = retry.MaxDelay,
                ShouldHandle = args => ValueTask.FromResult(idempotent ? IsTransient(args.Outcome) : IsConnectFailure(args.Outcome.Exception)),
                DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result)),
                OnRetry = args =>
                {
                    _options.Logger?.LogDebug("Retrying Kubernetes API request after {Outcome} (retry {Retry}, waiting {Delay})",
                        args.Outcome.Result is { } r ? (int)r.StatusCode : args.Outcome.Exception?.Message, args.AttemptNumber + 1, args.RetryDelay);
                    args.Outcome.Result?.Dispose();
                    return default;
                },
            })
            .Build();
    }

    /// <summary>429 and 5xx answers, connection failures and attempt timeouts: worth another try.</summary>
    private static bool IsTransient(Outcome<HttpResponseMessage> outcome) =>
        outcome.Result is { } response
            ? response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway
                or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout
            : outcome.Exception is HttpRequestException or TimeoutException;

    /// <summary>The request never reached the server: retrying a create cannot create twice.</summary>
    private static bool IsConnectFailure(Exception? exception) =>
        exception is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError };

    private TimeSpan? RetryAfter(HttpResponseMessage? response)
    {
        var header = response?.Headers.RetryAfter;
        var delay = header?.Delta ?? (header?.Date is { } date ? date - _options.TimeProvider.GetUtcNow() : null);
        return delay is null ? null
            : delay < TimeSpan.Zero ? TimeSpan.Zero
            : delay > _options.Retry.MaxRetryAfter ? _options.Retry.MaxRetryAfter
            : delay;
    }

    private static async Task<KubeApiException> ToExceptionAsync(HttpResponseMessage response, KubeRequest request, CancellationToken cancellationToken)
    {
        var code = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var status = response.Content.Headers.ContentType?.MediaType == JsonContentType ? TryParseStatus(text) : null;
        status = status is null
            ? new ApiStatus { Status = "Failure", Code = code, Reason = KubeApiException.ReasonFor(code), Message = Truncate(text) ?? response.ReasonPhrase }
            : status with { Code = status.Code == 0 ? code : status.Code, Reason = status.Reason ?? KubeApiException.ReasonFor(code) };
        return new KubeApiException(status, request.Method.Method, request.Path);
    }

    private static ApiStatus? TryParseStatus(string text)
    {
        try
        {
            var status = JsonSerializer.Deserialize<ApiStatus>(text, KubeJson.Options);
            return status is { Kind: "Status" } ? status : null;
        }
        catch (JsonException)
        {
            // Not a Status after all: the caller reports the raw text.
            return null;
        }
    }

    private static string? Truncate(string text) =>
        text.Length == 0 ? null : text.Length <= 500 ? text.Trim() : text[..500].Trim() + "...";

    private sealed record KubeRequest(
        KubeVerb Verb,
        HttpMethod Method,
        ResourceKind Kind,
        string? Namespace,
        string? Name,
        string? Subresource,
        string Path,
        string Query,
        byte[]? Body,
        string? ContentType,
        bool Streaming = false);
}

/// <summary>Query strings with escaped values, skipping unset parameters.</summary>
internal sealed class QueryBuilder
{
    private readonly StringBuilder _query = new();

    public QueryBuilder Add(string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            _query.Append(_query.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
        }
        return this;
    }

    public override string ToString() => _query.ToString();
}
