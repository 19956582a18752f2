using System.Text;
using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;
using K8sFlow.LocalCluster.Logs;
using K8sFlow.LocalCluster.Store;
using Microsoft.AspNetCore.Http;

namespace K8sFlow.LocalCluster.Http;

/// <summary>GET /api/v1/namespaces/{ns}/pods/{name}/log: text/plain, chunked and flushed per line with follow=true.</summary>
internal sealed class PodLogEndpoint(ClusterStore store, IPodLogStore logs, ApiSettings settings)
{
    public async Task HandleAsync(HttpContext context, ApiPath path)
    {
        if (context.Request.Method != "GET")
        {
            await HttpIo.WriteStatusAsync(context, ApiStatus.MethodNotAllowed());
            return;
        }
        var pod = store.Get(ResourceRef.Pods, path.Namespace, path.Name!);
        if (!pod.IsSuccess)
        {
            await HttpIo.WriteStatusAsync(context, pod.Error);
            return;
        }
        var name = path.Name!;
        var ns = path.Namespace!;
        var containers = Names(pod.Value["spec"]?["containers"]);
        var initContainers = Names(pod.Value["spec"]?["initContainers"]);
        var container = HttpIo.Query(context, "container");
        if (string.IsNullOrEmpty(container))
        {
            if (containers.Count != 1)
            {
                var init = initContainers.Count > 0 ? $" or one of the init containers: [{string.Join(" ", initContainers)}]" : "";
                await HttpIo.WriteStatusAsync(context, ApiStatus.BadRequest(
                    $"a container name must be specified for pod {name}, choose one of: [{string.Join(" ", containers)}]{init}"));
                return;
            }
            container = containers[0];
        }
        if (!containers.Contains(container) && !initContainers.Contains(container))
        {
            await HttpIo.WriteStatusAsync(context, ApiStatus.BadRequest($"container {container} is not valid for pod {name}"));
            return;
        }
        var options = new PodLogOptions
        {
            Follow = HttpIo.QueryFlag(context, "follow"),
            Previous = HttpIo.QueryFlag(context, "previous"),
            SinceSeconds = HttpIo.QueryLong(context, "sinceSeconds"),
            SinceTime = KubeJson.TryParseTime(HttpIo.Query(context, "sinceTime"), out var since) ? since : null,
            Timestamps = HttpIo.QueryFlag(context, "timestamps"),
            TailLines = HttpIo.QueryLong(context, "tailLines"),
            LimitBytes = HttpIo.QueryLong(context, "limitBytes"),
        };
        if (!logs.HasLog(ns, name, container, options.Previous))
        {
            if (options.Previous)
            {
                await HttpIo.WriteStatusAsync(context, ApiStatus.BadRequest($"previous terminated container \"{container}\" in pod \"{name}\" not found"));
                return;
            }
            if (KubeJson.AsString(pod.Value["status"]?["phase"]) is null or "Pending")
            {
                await HttpIo.WriteStatusAsync(context, ApiStatus.BadRequest($"container \"{container}\" in pod \"{name}\" is waiting to start: ContainerCreating"));
                return;
            }
        }
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/plain";
        await context.Response.StartAsync(context.RequestAborted);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, settings.Stopping);
        try
        {
            await foreach (var chunk in logs.StreamAsync(ns, name, container, options, stop.Token))
            {
                await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(chunk), stop.Token);
                if (options.Follow)
                {
                    await context.Response.Body.FlushAsync(stop.Token);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The client left or the server is stopping.
        }
    }

    private static List<string> Names(JsonNode? containers) =>
        containers is JsonArray list ? list.OfType<JsonObject>().Select(c => KubeJson.AsString(c["name"]) ?? "").ToList() : [];
}
