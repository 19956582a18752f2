using System.Text.Json.Nodes;

namespace K8sFlow.LocalCluster.Store;

/// <summary>One cause of a failed request, e.g. a field that failed validation.</summary>
public sealed record StatusCause(string Reason, string Message, string? Field = null);

/// <summary>The details block of a Status: what the error is about.</summary>
public sealed record StatusDetails(
    string? Name = null,
    string? Group = null,
    string? Kind = null,
    string? Uid = null,
    IReadOnlyList<StatusCause>? Causes = null);

/// <summary>
/// A failed API call as the apiserver reports it (a meta/v1 Status with status Failure).
/// The factories reproduce the real server's reasons and messages so kubectl prints the same text.
/// </summary>
public sealed record ApiStatus(int Code, string Reason, string Message, StatusDetails? Details = null)
{
    public static ApiStatus NotFound(ResourceRef resource, string name) =>
        new(404, "NotFound", $"{resource} \"{name}\" not found", new(name, resource.Group, resource.Resource));

    /// <summary>The path names no resource this server serves.</summary>
    public static ApiStatus NoSuchResource() =>
        new(404, "NotFound", "the server could not find the requested resource", new());

    public static ApiStatus AlreadyExists(ResourceRef resource, string name) =>
        new(409, "AlreadyExists", $"{resource} \"{name}\" already exists", new(name, resource.Group, resource.Resource));

    public static ApiStatus Conflict(ResourceRef resource, string name, string why) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {resource} \"{name}\": {why}", new(name, resource.Group, resource.Resource));

    public const string ObjectModified = "the object has been modified; please apply your changes to the latest version and try again";

    public static ApiStatus StaleResourceVersion(ResourceRef resource, string name) => Conflict(resource, name, ObjectModified);

    public static ApiStatus BadRequest(string message) => new(400, "BadRequest", message);

    /// <summary>422 with one cause per field, worded like field.ErrorList.ToAggregate.</summary>
    public static ApiStatus Invalid(string qualifiedKind, string kind, string group, string name, IReadOnlyList<StatusCause> causes)
    {
        var parts = causes.Select(c => c.Field is null ? c.Message : $"{c.Field}: {c.Message}").ToList();
        var summary = parts.Count == 1 ? parts[0] : "[" + string.Join(", ", parts) + "]";
        return new(422, "Invalid", $"{qualifiedKind} \"{name}\" is invalid: {summary}", new(name, group, kind, Causes: causes));
    }

    public static ApiStatus Expired(string message) => new(410, "Expired", message);

    public static ApiStatus UnsupportedMediaType(string message) => new(415, "UnsupportedMediaType", message);

    public static ApiStatus MethodNotAllowed() =>
        new(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");

    public static ApiStatus Unauthorized() => new(401, "Unauthorized", "Unauthorized");

    public static ApiStatus InternalError(string message) => new(500, "InternalError", $"Internal error occurred: {message}");

    /// <summary>The meta/v1 Status object for this error.</summary>
    public JsonObject ToJson()
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = Message,
            ["reason"] = Reason,
        };
        if (Details is not null)
        {
            status["details"] = DetailsJson(Details);
        }
        status["code"] = Code;
        return status;
    }

    /// <summary>The Status kubectl receives for a delete that removed the object at once.</summary>
    public static JsonObject Success(StatusDetails details) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Success",
        ["details"] = DetailsJson(details),
    };

    private static JsonObject DetailsJson(StatusDetails details)
    {
        var json = new JsonObject();
        if (details.Name is not null) json["name"] = details.Name;
        if (details.Group is not null) json["group"] = details.Group;
        if (details.Kind is not null) json["kind"] = details.Kind;
        if (details.Uid is not null) json["uid"] = details.Uid;
        if (details.Causes is { Count: > 0 } causes)
        {
            json["causes"] = new JsonArray(causes.Select(c =>
            {
                var cause = new JsonObject { ["reason"] = c.Reason, ["message"] = c.Message };
                if (c.Field is not null) cause["field"] = c.Field;
                return (JsonNode)cause;
            }).ToArray());
        }
        return json;
    }
}
