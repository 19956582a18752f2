using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Http;
using K8sFlow.LocalCluster.JobRunner;
using K8sFlow.LocalCluster.Json;
using K8sFlow.LocalCluster.Logs;
using K8sFlow.LocalCluster.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace K8sFlow.LocalCluster;

/// <summary>
/// An in-memory Kubernetes API server on 127.0.0.1 (HTTPS with a generated CA, bearer token), faithful enough for
/// the real kubectl 1.32 and for K8sFlow's own client: discovery, OpenAPI v3, CRUD with the four
/// patch types, watches, tables, CRDs with schema validation, garbage collection and pod logs.
/// In-process components use <see cref="Store"/> and <see cref="Logs"/> directly.
/// </summary>
public sealed class LocalClusterServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping;
    private readonly StorePersistence? _persistence;
    private readonly ServerCertificates? _certificates;
    private readonly string _contextName;
    private int _disposed;

    private LocalClusterServer(WebApplication app, CancellationTokenSource stopping, ClusterStore store, PodLogStore logs,
        StorePersistence? persistence, ServerCertificates? certificates, Uri baseAddress, string token, string? kubeconfigPath, string contextName,
        LocalJobRunner? jobRunner)
    {
        JobRunner = jobRunner;
        _app = app;
        _contextName = contextName;
        _certificates = certificates;
        _stopping = stopping;
        Store = store;
        Logs = logs;
        _persistence = persistence;
        BaseAddress = baseAddress;
        Token = token;
        KubeconfigPath = kubeconfigPath;
        store.Removed += ForgetLogsOfDeletedPod;
    }

    /// <summary>https://127.0.0.1:PORT/ (http:// without TLS).</summary>
    public Uri BaseAddress { get; }

    /// <summary>PEM of the certificate authority that signed the serving certificate; null without TLS.</summary>
    public string? CertificateAuthorityPem => _certificates?.AuthorityPem;

    public int Port => BaseAddress.Port;

    /// <summary>The bearer token every request (except /version and health checks) must carry.</summary>
    public string Token { get; }

    /// <summary>The kubeconfig written at start, or null.</summary>
    public string? KubeconfigPath { get; }

    /// <summary>The object store: the same data the HTTP API serves.</summary>
    public ClusterStore Store { get; }

    /// <summary>Container logs served by GET .../pods/{name}/log; the job runner appends to it.</summary>
    public IPodLogStore Logs { get; }

    /// <summary>The Job controller and kubelet started with the server; null when <see cref="LocalClusterOptions.JobRunner"/> is Off.</summary>
    public LocalJobRunner? JobRunner { get; }

    /// <summary>Starts the server (and loads saved state when <see cref="LocalClusterOptions.DataDirectory"/> holds some).</summary>
    public static async Task<LocalClusterServer> StartAsync(LocalClusterOptions options, CancellationToken cancellationToken = default)
    {
        var store = new ClusterStore(options.Store);
        var persistence = options.DataDirectory is { } directory
            ? await StorePersistence.AttachAsync(store, directory, options.PersistenceDebounce, cancellationToken)
            : null;
        var logs = new PodLogStore(options.Store.Time);
        var token = options.Token ?? Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
        var stopping = new CancellationTokenSource();
        var certificates = options.UseTls ? ServerCertificates.Create() : null;

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseKestrelCore().UseKestrelHttpsConfiguration().ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, options.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                if (certificates is not null)
                {
                    listen.UseHttps(certificates.Server);
                }
            });
            kestrel.Limits.MaxRequestBodySize = 3 * 1024 * 1024;
        });
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.Logging.ClearProviders();
        var app = builder.Build();

        var settings = new ApiSettings(options.BookmarkInterval, options.WatchTimeout, options.Store.Time, stopping.Token);
        var handler = new ApiRequestHandler(store, logs, settings);
        var expectedAuthorization = Encoding.UTF8.GetBytes("Bearer " + token);
        app.Use(async (context, next) =>
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                if (options.RequireToken && !ApiRequestHandler.IsPublic(context.Request.Path.Value ?? "") && !Authorized(context, expectedAuthorization))
                {
                    await HttpIo.WriteStatusAsync(context, ApiStatus.Unauthorized());
                    return;
                }
                await next(context);
            }
            catch (Exception e) when (e is not OperationCanceledException && !context.Response.HasStarted)
            {
                // A bug answers like the apiserver's panic handler: a 500 Status naming the failure.
                await HttpIo.WriteStatusAsync(context, ApiStatus.InternalError(e.Message));
            }
            finally
            {
                options.RequestLog?.Invoke(new RequestLogEntry(
                    context.Request.Method,
                    context.Request.Path + context.Request.QueryString,
                    context.Response.StatusCode,
                    context.Request.Headers.Accept.ToString(),
                    context.Request.ContentType,
                    context.Request.Headers.UserAgent.ToString(),
                    Stopwatch.GetElapsedTime(started)));
            }
        });
        app.Run(handler.HandleAsync);
        await app.StartAsync(cancellationToken);

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var baseAddress = new Uri($"{(certificates is null ? "http" : "https")}://127.0.0.1:{new Uri(address).Port}/");
        var jobRunner = options.JobRunner.Mode == JobRunnerMode.Off ? null : LocalJobRunner.Start(store, logs, options.JobRunner, options.DataDirectory);
        var server = new LocalClusterServer(app, stopping, store, logs, persistence, certificates, baseAddress, token, options.KubeconfigPath,
            options.ContextName, jobRunner);
        if (options.KubeconfigPath is { } kubeconfig)
        {
            try
            {
                await server.WriteKubeconfigAsync(kubeconfig, cancellationToken);
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }
        return server;
    }

    /// <summary>
    /// Writes a kubeconfig for this server (context <see cref="LocalClusterOptions.ContextName"/>, namespace
    /// default, its token and CA), readable by its owner only and replaced atomically. For callers that
    /// set the cluster up before announcing it (leave <see cref="LocalClusterOptions.KubeconfigPath"/> null,
    /// then write it once ready).
    /// </summary>
    public Task WriteKubeconfigAsync(string path, CancellationToken cancellationToken = default) =>
        Kubeconfig.WriteAsync(path, Kubeconfig.Render(BaseAddress, Token, _contextName, CertificateAuthorityPem), cancellationToken);

    /// <summary>
    /// An HttpClient for this server: base address, bearer token, and trust in exactly this server's
    /// certificate authority. The caller disposes it.
    /// </summary>
    public HttpClient CreateHttpClient()
    {
        var handler = new SocketsHttpHandler();
        if (_certificates is { } certificates)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                using var presented = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                return certificates.Validates(presented);
            };
        }
        var client = new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return client;
    }

    private static bool Authorized(HttpContext context, byte[] expected)
    {
        var presented = Encoding.UTF8.GetBytes(context.Request.Headers.Authorization.ToString());
        return CryptographicOperations.FixedTimeEquals(presented, expected);
    }

    /// <summary>A kubelet forgets the logs of pods that are gone.</summary>
    private void ForgetLogsOfDeletedPod(ResourceRef resource, JsonObject removed)
    {
        if (resource == ResourceRef.Pods)
        {
            Logs.RemovePod(KubeJson.AsString(removed["metadata"]?["namespace"]) ?? "", KubeJson.AsString(removed["metadata"]?["name"]) ?? "");
        }
    }

    /// <summary>Stops serving: open watches and log streams end, then state is saved (with persistence).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        if (JobRunner is not null)
        {
            await JobRunner.DisposeAsync();
        }
        await _stopping.CancelAsync();
        Store.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Store.Removed -= ForgetLogsOfDeletedPod;
        if (_persistence is not null)
        {
            await _persistence.DisposeAsync();
        }
        _stopping.Dispose();
        _certificates?.Dispose();
    }
}
