using System.Net;
using System.Text.Json.Nodes;

namespace K8sFlow.Kubernetes.Tests.Fakes;

/// <summary>
/// Just enough of an API server for single-object work: GET, POST (AlreadyExists), PUT (Conflict on a
/// stale resourceVersion), merge PATCH and DELETE, with one global resourceVersion counter.
/// </summary>
public sealed class FakeObjectStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, JsonObject> _objects = new(StringComparer.Ordinal);
    private long _resourceVersion;

    public JsonObject? this[string path]
    {
        get
        {
            lock (_lock)
            {
                return _objects.TryGetValue(path, out var obj) ? (JsonObject)obj.DeepClone() : null;
            }
        }
    }

    public IReadOnlyList<string> Paths
    {
        get
        {
            lock (_lock)
            {
                return [.. _objects.Keys];
            }
        }
    }

    /// <summary>A client whose requests go through <paramref name="intercept"/> first (null response = pass to the store).</summary>
    public KubeClient Client(Func<RecordedRequest, HttpResponseMessage?>? intercept = null) =>
        Handler(intercept).Client();

    public FakeHttpHandler Handler(Func<RecordedRequest, HttpResponseMessage?>? intercept = null) =>
        new(request => intercept?.Invoke(request) ?? Handle(request));

    public HttpResponseMessage Handle(RecordedRequest request)
    {
        lock (_lock)
        {
            var path = request.Path;
            if (request.Method == HttpMethod.Get)
            {
                return _objects.TryGetValue(path, out var found) ? Ok(found) : NotFound(path);
            }
            if (request.Method == HttpMethod.Post)
            {
                var created = JsonNode.Parse(request.Body!)!.AsObject();
                var name = (string)created["metadata"]!["name"]!;
                var itemPath = $"{path}/{name}";
                if (_objects.ContainsKey(itemPath))
                {
                    return FakeHttpHandler.Status(409, "AlreadyExists", $"\\\"{name}\\\" already exists");
                }
                return Store(itemPath, created, HttpStatusCode.Created);
            }
            if (!_objects.TryGetValue(path, out var current))
            {
                return NotFound(path);
            }
            if (request.Method == HttpMethod.Put)
            {
                var replacement = JsonNode.Parse(request.Body!)!.AsObject();
                var expected = (string?)replacement["metadata"]?["resourceVersion"];
                if (!string.IsNullOrEmpty(expected) && expected != (string?)current["metadata"]!["resourceVersion"])
                {
                    return FakeHttpHandler.Status(409, "Conflict", "the object has been modified; please apply your changes to the latest version and try again");
                }
                return Store(path, replacement, HttpStatusCode.OK);
            }
            if (request.Method == HttpMethod.Patch)
            {
                var merged = (JsonObject)current.DeepClone();
                MergePatch(merged, JsonNode.Parse(request.Body!)!.AsObject());
                return Store(path, merged, HttpStatusCode.OK);
            }
            if (request.Method == HttpMethod.Delete)
            {
                _objects.Remove(path);
                return FakeHttpHandler.Json(HttpStatusCode.OK, """{"kind":"Status","apiVersion":"v1","status":"Success","code":200}""");
            }
            return FakeHttpHandler.Status(405, "MethodNotAllowed", request.Method.Method);
        }
    }

    private HttpResponseMessage Store(string path, JsonObject obj, HttpStatusCode code)
    {
        obj["metadata"]!["resourceVersion"] = (++_resourceVersion).ToString();
        _objects[path] = obj;
        return FakeHttpHandler.Json(code, obj.ToJsonString());
    }

    private static HttpResponseMessage Ok(JsonObject obj) => FakeHttpHandler.Json(HttpStatusCode.OK, obj.ToJsonString());

    private static HttpResponseMessage NotFound(string path) => FakeHttpHandler.Status(404, "NotFound", $"{path} not found");

    private static void MergePatch(JsonObject target, JsonObject patch)
    {
        foreach (var (key, value) in patch.ToList())
        {
            if (value is null)
            {
                target.Remove(key);
            }
            else if (value is JsonObject patchObject && target[key] is JsonObject targetObject)
            {
                MergePatch(targetObject, patchObject);
            }
            else
            {
                target[key] = value.DeepClone();
            }
        }
    }
}
