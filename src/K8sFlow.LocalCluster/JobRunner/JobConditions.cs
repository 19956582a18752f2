using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;

namespace K8sFlow.LocalCluster.JobRunner;

/// <summary>Job condition types, reasons and messages as the Kubernetes Job controller writes them.</summary>
internal static class JobConditionTypes
{
    public const string SuccessCriteriaMet = "SuccessCriteriaMet";
    public const string Complete = "Complete";
    public const string FailureTarget = "FailureTarget";
    public const string Failed = "Failed";
    public const string Suspended = "Suspended";

    public const string CompletionsReached = "CompletionsReached";
    public const string CompletionsReachedMessage = "Reached expected number of succeeded pods";
    public const string BackoffLimitExceeded = "BackoffLimitExceeded";
    public const string BackoffLimitExceededMessage = "Job has reached the specified backoff limit";
    public const string DeadlineExceeded = "DeadlineExceeded";
    public const string DeadlineExceededMessage = "Job was active longer than specified deadline";
    public const string PodFailurePolicy = "PodFailurePolicy";
}

/// <summary>
/// A working copy of a status.conditions list: setting a condition to the status it already has
/// keeps its lastTransitionTime, as controllers do.
/// </summary>
internal sealed class JobConditions(JsonNode? conditions, DateTimeOffset now)
{
    private readonly JsonArray _conditions = conditions?.DeepClone() as JsonArray ?? [];

    public JsonArray Conditions => _conditions;

    public bool IsTrue(string type) => KubeJson.AsString(Find(type)?["status"]) == "True";

    public string Reason(string type) => KubeJson.AsString(Find(type)?["reason"]) ?? "";

    public string Message(string type) => KubeJson.AsString(Find(type)?["message"]) ?? "";

    public DateTimeOffset? TransitionTime(string type) =>
        KubeJson.TryParseTime(KubeJson.AsString(Find(type)?["lastTransitionTime"]), out var at) ? at : null;

    public void Set(string type, bool status, string reason, string message)
    {
        var text = status ? "True" : "False";
        var existing = Find(type);
        if (existing is not null && KubeJson.AsString(existing["status"]) == text
            && KubeJson.AsString(existing["reason"]) == reason && KubeJson.AsString(existing["message"]) == message)
        {
            return;
        }
        var time = KubeJson.Time(now);
        var condition = new JsonObject
        {
            ["type"] = type,
            ["status"] = text,
            ["lastProbeTime"] = time,
            ["lastTransitionTime"] = existing is not null && KubeJson.AsString(existing["status"]) == text ? existing["lastTransitionTime"]?.DeepClone() : time,
            ["reason"] = reason,
            ["message"] = message,
        };
        if (existing is null)
        {
            _conditions.Add(condition);
        }
        else
        {
            _conditions[_conditions.IndexOf(existing)] = condition;
        }
    }

    private JsonObject? Find(string type) =>
        _conditions.OfType<JsonObject>().FirstOrDefault(c => KubeJson.AsString(c["type"]) == type);
}
