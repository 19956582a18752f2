using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;

namespace K8sFlow.LocalCluster.Tables;

/// <summary>The columns the apiserver's printers give the built-in kinds served here.</summary>
internal static class BuiltInColumns
{
    private static PrinterColumn Text(string name, Func<JsonObject, DateTimeOffset, JsonNode?> cell, int priority = 0, string description = "") =>
        new(name, "string", "", description, priority, cell);

    private static PrinterColumn Integer(string name, Func<JsonObject, DateTimeOffset, JsonNode?> cell, int priority = 0) =>
        new(name, "integer", "", "", priority, cell);

    public static readonly IReadOnlyList<PrinterColumn> Generic = [PrinterColumn.NameColumn, PrinterColumn.Age];

    public static readonly IReadOnlyList<PrinterColumn> Namespaces =
    [
        PrinterColumn.NameColumn,
        Text("Status", (o, _) => KubeJson.AsString(o["status"]?["phase"]) ?? ""),
        PrinterColumn.Age,
    ];

    public static readonly IReadOnlyList<PrinterColumn> Pods =
    [
        PrinterColumn.NameColumn,
        Text("Ready", (o, _) => PodReady(o)),
        Text("Status", (o, _) => PodStatus(o)),
        Text("Restarts", (o, _) => Containers(o["status"]?["containerStatuses"]).Sum(c => KubeJson.AsLong(c["restartCount"]) ?? 0).ToString()),
        PrinterColumn.Age,
        Text("IP", (o, _) => KubeJson.AsString(o["status"]?["podIP"]) ?? "<none>", priority: 1),
        Text("Node", (o, _) => KubeJson.AsString(o["spec"]?["nodeName"]) ?? "<none>", priority: 1),
    ];

    public static readonly IReadOnlyList<PrinterColumn> Jobs =
    [
        PrinterColumn.NameColumn,
        Text("Status", (o, _) => JobStatus(o)),
        Text("Completions", (o, _) => $"{KubeJson.AsLong(o["status"]?["succeeded"]) ?? 0}/{KubeJson.AsLong(o["spec"]?["completions"]) ?? 1}"),
        Text("Duration", (o, now) => JobDuration(o, now)),
        PrinterColumn.Age,
        Text("Containers", (o, _) => string.Join(",", Containers(o["spec"]?["template"]?["spec"]?["containers"]).Select(c => KubeJson.ScalarText(c["name"]))), priority: 1),
        Text("Images", (o, _) => string.Join(",", Containers(o["spec"]?["template"]?["spec"]?["containers"]).Select(c => KubeJson.ScalarText(c["image"]))), priority: 1),
        Text("Selector", (o, _) => string.Join(",", KubeObject.StringMap(o["spec"]?["selector"]?["matchLabels"]).Select(l => $"{l.Key}={l.Value}")), priority: 1),
    ];

    public static readonly IReadOnlyList<PrinterColumn> Events =
    [
        Text("Last Seen", (o, now) => PrinterColumn.AgeOf(KubeJson.AsString(o["lastTimestamp"]) ?? KubeJson.AsString(o["eventTime"]) ?? o.MetaString("creationTimestamp"), now)),
        Text("Type", (o, _) => KubeJson.AsString(o["type"]) ?? ""),
        Text("Reason", (o, _) => KubeJson.AsString(o["reason"]) ?? ""),
        Text("Object", (o, _) => $"{(KubeJson.AsString(o["involvedObject"]?["kind"]) ?? "").ToLowerInvariant()}/{KubeJson.AsString(o["involvedObject"]?["name"])}"),
        Text("Source", (o, _) => KubeJson.AsString(o["source"]?["component"]) ?? KubeJson.AsString(o["reportingComponent"]) ?? "", priority: 1),
        Text("Message", (o, _) => KubeJson.AsString(o["message"]) ?? ""),
        Text("First Seen", (o, now) => PrinterColumn.AgeOf(KubeJson.AsString(o["firstTimestamp"]) ?? o.MetaString("creationTimestamp"), now), priority: 1),
        Integer("Count", (o, _) => KubeJson.AsLong(o["count"]) ?? 1, priority: 1),
        Text("Name", (o, _) => o.Name(), priority: 1),
    ];

    public static readonly IReadOnlyList<PrinterColumn> Leases =
    [
        PrinterColumn.NameColumn,
        Text("Holder", (o, _) => KubeJson.AsString(o["spec"]?["holderIdentity"]) ?? ""),
        PrinterColumn.Age,
    ];

    public static readonly IReadOnlyList<PrinterColumn> ConfigMaps =
    [
        PrinterColumn.NameColumn,
        Integer("Data", (o, _) => Count(o["data"]) + Count(o["binaryData"])),
        PrinterColumn.Age,
    ];

    public static readonly IReadOnlyList<PrinterColumn> Secrets =
    [
        PrinterColumn.NameColumn,
        Text("Type", (o, _) => KubeJson.AsString(o["type"]) ?? "Opaque"),
        Integer("Data", (o, _) => Count(o["data"]) + Count(o["stringData"])),
        PrinterColumn.Age,
    ];

    public static readonly IReadOnlyList<PrinterColumn> ServiceAccounts =
    [
        PrinterColumn.NameColumn,
        Integer("Secrets", (o, _) => o["secrets"] is JsonArray a ? a.Count : 0),
        PrinterColumn.Age,
    ];

    public static readonly IReadOnlyList<PrinterColumn> PersistentVolumeClaims =
    [
        PrinterColumn.NameColumn,
        Text("Status", (o, _) => KubeJson.AsString(o["status"]?["phase"]) ?? "Pending"),
        Text("Volume", (o, _) => KubeJson.AsString(o["spec"]?["volumeName"]) ?? ""),
        Text("Capacity", (o, _) => KubeJson.AsString(o["status"]?["capacity"]?["storage"]) ?? ""),
        Text("Access Modes", (o, _) => string.Join(",", (o["status"]?["accessModes"] as JsonArray ?? []).Select(KubeJson.ScalarText).Select(ShortAccessMode))),
        Text("StorageClass", (o, _) => KubeJson.AsString(o["spec"]?["storageClassName"]) ?? "<unset>"),
        Text("VolumeAttributesClass", (o, _) => KubeJson.AsString(o["spec"]?["volumeAttributesClassName"]) ?? "<unset>"),
        PrinterColumn.Age,
        Text("VolumeMode", (o, _) => KubeJson.AsString(o["spec"]?["volumeMode"]) ?? "Filesystem", priority: 1),
    ];

    public static readonly IReadOnlyList<PrinterColumn> CustomResourceDefinitions =
    [
        PrinterColumn.NameColumn,
        new("Created At", "date", "", "", 0, (o, _) => KubeJson.TryParseTime(o.MetaString("creationTimestamp"), out var t) ? KubeJson.Time(t) : null),
    ];

    private static IEnumerable<JsonObject> Containers(JsonNode? list) => list is JsonArray a ? a.OfType<JsonObject>() : [];

    private static int Count(JsonNode? map) => map is JsonObject o ? o.Count : 0;

    private static string ShortAccessMode(string mode) => mode switch
    {
        "ReadWriteOnce" => "RWO",
        "ReadOnlyMany" => "ROX",
        "ReadWriteMany" => "RWX",
        "ReadWriteOncePod" => "RWOP",
        _ => mode,
    };

    private static string PodReady(JsonObject pod)
    {
        var total = Containers(pod["spec"]?["containers"]).Count();
        var ready = Containers(pod["status"]?["containerStatuses"]).Count(c => KubeJson.AsBool(c["ready"]) == true);
        return $"{ready}/{total}";
    }

    /// <summary>kubectl's pod STATUS: the phase, overridden by container waiting/terminated reasons, or Terminating.</summary>
    private static string PodStatus(JsonObject pod)
    {
        var reason = KubeJson.AsString(pod["status"]?["reason"]) ?? KubeJson.AsString(pod["status"]?["phase"]) ?? "";
        var hasRunning = false;
        foreach (var container in Containers(pod["status"]?["containerStatuses"]).Reverse())
        {
            var state = container["state"];
            if (KubeJson.AsString(state?["waiting"]?["reason"]) is { Length: > 0 } waiting)
            {
                reason = waiting;
            }
            else if (state?["terminated"] is JsonObject terminated)
            {
                reason = KubeJson.AsString(terminated["reason"]) is { Length: > 0 } why
                    ? why
                    : KubeJson.AsLong(terminated["signal"]) is { } signal and not 0
                        ? $"Signal:{signal}"
                        : $"ExitCode:{KubeJson.AsLong(terminated["exitCode"]) ?? 0}";
            }
            else if (state?["running"] is not null && KubeJson.AsBool(container["ready"]) == true)
            {
                hasRunning = true;
            }
        }
        if (reason == "Completed" && hasRunning)
        {
            reason = "Running";
        }
        return pod.IsDeleting() ? "Terminating" : reason;
    }

    private static string JobStatus(JsonObject job)
    {
        bool Has(string type) => (job["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>()
            .Any(c => KubeJson.AsString(c["type"]) == type && KubeJson.AsString(c["status"]) == "True");
        return Has("Complete") ? "Complete"
            : Has("Failed") ? "Failed"
            : job.IsDeleting() ? "Terminating"
            : Has("Suspended") ? "Suspended"
            : Has("FailureTarget") ? "FailureTarget"
            : Has("SuccessCriteriaMet") ? "SuccessCriteriaMet"
            : "Running";
    }

    private static string JobDuration(JsonObject job, DateTimeOffset now)
    {
        if (!KubeJson.TryParseTime(KubeJson.AsString(job["status"]?["startTime"]), out var start))
        {
            return "";
        }
        var end = KubeJson.TryParseTime(KubeJson.AsString(job["status"]?["completionTime"]), out var completion) ? completion : now;
        return HumanDuration.Format(end - start);
    }
}
