using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;

namespace K8sFlow.LocalCluster.JobRunner;

/// <summary>A terminated container as the pod failure policy sees it.</summary>
internal sealed record ContainerExit(string Container, int ExitCode, bool Init);

/// <summary>The facts about one pod the Job controller decides on (read from a pod without keeping it).</summary>
internal sealed record PodObservation(
    string Uid,
    string Name,
    string Phase,
    bool Deleting,
    bool Ready,
    DateTimeOffset Created,
    DateTimeOffset? Started,
    DateTimeOffset? Finished,
    int Restarts,
    long? ActiveDeadlineSeconds,
    IReadOnlyList<ContainerExit> Exits,
    IReadOnlyDictionary<string, string> Conditions)
{
    public bool Succeeded => Phase == PodPhases.Succeeded;

    public bool Failed => Phase == PodPhases.Failed;

    public bool Terminal => Succeeded || Failed;

    /// <summary>Running or waiting to run, and not being deleted.</summary>
    public bool Active => !Terminal && !Deleting;

    public static PodObservation From(JsonObject pod)
    {
        var status = pod["status"] as JsonObject;
        var conditions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var condition in (status?["conditions"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (KubeJson.AsString(condition["type"]) is { } type)
            {
                conditions[type] = KubeJson.AsString(condition["status"]) ?? "";
            }
        }
        var exits = new List<ContainerExit>();
        var restarts = 0;
        DateTimeOffset? finished = null;
        foreach (var (list, init) in new[] { ("initContainerStatuses", true), ("containerStatuses", false) })
        {
            foreach (var container in (status?[list] as JsonArray ?? []).OfType<JsonObject>())
            {
                restarts += (int)(KubeJson.AsLong(container["restartCount"]) ?? 0);
                if (container["state"]?["terminated"] is JsonObject terminated)
                {
                    exits.Add(new ContainerExit(KubeJson.AsString(container["name"]) ?? "", (int)(KubeJson.AsLong(terminated["exitCode"]) ?? 0), init));
                    if (KubeJson.TryParseTime(KubeJson.AsString(terminated["finishedAt"]), out var at) && (finished is null || at > finished))
                    {
                        finished = at;
                    }
                }
            }
        }
        return new PodObservation(
            pod.Uid(),
            pod.Name(),
            KubeJson.AsString(status?["phase"]) ?? PodPhases.Pending,
            pod.IsDeleting(),
            conditions.GetValueOrDefault("Ready") == "True",
            KubeJson.TryParseTime(pod.MetaString("creationTimestamp"), out var created) ? created : DateTimeOffset.MinValue,
            KubeJson.TryParseTime(KubeJson.AsString(status?["startTime"]), out var started) ? started : null,
            finished,
            restarts,
            KubeJson.AsLong(pod["spec"]?["activeDeadlineSeconds"]),
            exits,
            conditions);
    }
}

/// <summary>Pod phases (core/v1).</summary>
internal static class PodPhases
{
    public const string Pending = "Pending";
    public const string Running = "Running";
    public const string Succeeded = "Succeeded";
    public const string Failed = "Failed";
}

/// <summary>One podFailurePolicy rule: an action and what it matches (exit codes or pod conditions).</summary>
internal sealed record PodFailurePolicyRule(string Action, string? ContainerName, bool In, IReadOnlyList<int> ExitCodes, IReadOnlyList<(string Type, string Status)> PodConditions)
{
    public const string FailJob = "FailJob";
    public const string Ignore = "Ignore";
    public const string Count = "Count";

    /// <summary>Why the rule matches the failed pod (the Kubernetes message), or null.</summary>
    public string? Match(string ns, PodObservation pod, string action, int index)
    {
        if (ExitCodes.Count > 0)
        {
            // Like the Job controller: app containers first, then init containers; only non-zero exits count.
            var exit = pod.Exits.OrderBy(e => e.Init)
                .FirstOrDefault(e => e.ExitCode != 0 && (ContainerName is null || ContainerName == e.Container) && ExitCodes.Contains(e.ExitCode) == In);
            return exit is null ? null
                : $"Container {exit.Container} for pod {ns}/{pod.Name} failed with exit code {exit.ExitCode} matching {action} rule at index {index}";
        }
        foreach (var (type, status) in PodConditions)
        {
            if (pod.Conditions.TryGetValue(type, out var actual) && actual == status)
            {
                return $"Pod {ns}/{pod.Name} has condition {type} matching {action} rule at index {index}";
            }
        }
        return null;
    }

    public static IReadOnlyList<PodFailurePolicyRule> Parse(JsonNode? policy)
    {
        var rules = new List<PodFailurePolicyRule>();
        foreach (var rule in (policy?["rules"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var onExitCodes = rule["onExitCodes"] as JsonObject;
            var codes = (onExitCodes?["values"] as JsonArray ?? []).Select(v => (int)(KubeJson.AsLong(v) ?? -1)).ToList();
            var conditions = (rule["onPodConditions"] as JsonArray ?? []).OfType<JsonObject>()
                .Select(c => (KubeJson.AsString(c["type"]) ?? "", KubeJson.AsString(c["status"]) ?? "True"))
                .ToList();
            rules.Add(new PodFailurePolicyRule(
                KubeJson.AsString(rule["action"]) ?? Count,
                KubeJson.AsString(onExitCodes?["containerName"]),
                KubeJson.AsString(onExitCodes?["operator"]) != "NotIn",
                codes,
                conditions));
        }
        return rules;
    }
}

/// <summary>The parts of a batch/v1 Job spec the controller acts on, with the API defaults.</summary>
internal sealed record JobSpecView(
    int? Completions,
    int Parallelism,
    int BackoffLimit,
    long? ActiveDeadlineSeconds,
    long? TtlSecondsAfterFinished,
    bool Suspend,
    string RestartPolicy,
    IReadOnlyList<PodFailurePolicyRule> FailurePolicy)
{
    public static JobSpecView From(JsonObject job)
    {
        var spec = job["spec"] as JsonObject;
        return new JobSpecView(
            KubeJson.AsLong(spec?["completions"]) is { } completions ? (int)completions : null,
            (int)(KubeJson.AsLong(spec?["parallelism"]) ?? 1),
            (int)(KubeJson.AsLong(spec?["backoffLimit"]) ?? 6),
            KubeJson.AsLong(spec?["activeDeadlineSeconds"]),
            KubeJson.AsLong(spec?["ttlSecondsAfterFinished"]),
            KubeJson.AsBool(spec?["suspend"]) == true,
            KubeJson.AsString(spec?["template"]?["spec"]?["restartPolicy"]) ?? "Never",
            PodFailurePolicyRule.Parse(spec?["podFailurePolicy"]));
    }
}
