using System.Collections;
using System.Text;
using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;
using K8sFlow.LocalCluster.Store;

namespace K8sFlow.LocalCluster.JobRunner;

/// <summary>
/// How one container runs as a local process: the command line and env with container paths
/// rewritten (<see cref="PathMap"/>), the working directory and the local termination-message file.
/// <see cref="Error"/> set: it can never start here, and says why.
/// </summary>
internal sealed record ContainerLaunch(
    string? Error,
    IReadOnlyList<string> Command,
    IReadOnlyDictionary<string, string> Environment,
    string WorkingDirectory,
    string TerminationMessageFile)
{
    public static ContainerLaunch Refused(string error) => new(error, [], new Dictionary<string, string>(), "", "");
}

/// <summary>Why a container cannot start: never (<see cref="Error"/>) or not yet (<see cref="Waiting"/>: a missing object).</summary>
internal sealed record LaunchProblem(string? Error, PodPreparation.Waiting? Waiting)
{
    public static LaunchProblem Never(string error) => new(error, null);

    public static LaunchProblem NotYet(string reason, string message) => new(null, new PodPreparation.Waiting(reason, message));
}

/// <summary>Builds a <see cref="ContainerLaunch"/> from a container of a prepared pod.</summary>
internal static class ContainerLaunches
{
    /// <summary>PATH when the runner's environment is not inherited (the usual container default).</summary>
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private const string SupportedValueFrom = "fieldRef, configMapKeyRef and secretKeyRef";

    public static (ContainerLaunch? Launch, PodPreparation.Waiting? Waiting) Build(
        JsonObject pod, JsonObject container, IReadOnlyDictionary<string, string> volumes, string podDirectory, ClusterStore store, bool inheritEnvironment,
        IReadOnlyDictionary<string, string> hostMounts)
    {
        var name = KubeJson.AsString(container["name"]) ?? "";
        var image = KubeJson.AsString(container["image"]) ?? "";
        var command = Strings(container["command"]);
        if (command.Count == 0)
        {
            return (ContainerLaunch.Refused(
                $"container \"{name}\" has no command: the local job runner runs the container's command on this machine; image {image} has no command here (the image is not pulled; set command in the pod spec)"), null);
        }

        var terminationLog = LocalPaths.TerminationLog(podDirectory, name);
        var mapped = new List<(string, string)> { (KubeJson.AsString(container["terminationMessagePath"]) ?? TerminationMessages.DefaultPath, terminationLog) };
        foreach (var mount in (container["volumeMounts"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var volume = KubeJson.AsString(mount["name"]) ?? "";
            var mountPath = KubeJson.AsString(mount["mountPath"]) ?? "";
            if (!volumes.TryGetValue(volume, out var local))
            {
                return (ContainerLaunch.Refused($"container \"{name}\": volumeMount \"{volume}\" at {mountPath} names no volume of the pod"), null);
            }
            if (mount["subPathExpr"] is not null)
            {
                return (ContainerLaunch.Refused($"container \"{name}\": volumeMount \"{volume}\": subPathExpr is not supported by the local job runner (use subPath)"), null);
            }
            if (KubeJson.AsString(mount["subPath"]) is { Length: > 0 } subPath)
            {
                if (!LocalPaths.IsSafeRelativePath(subPath))
                {
                    return (ContainerLaunch.Refused($"container \"{name}\": volumeMount \"{volume}\": subPath \"{subPath}\" must be relative and stay inside the volume"), null);
                }
                local = Path.Combine(local, subPath);
                Directory.CreateDirectory(local);
            }
            mapped.Add((mountPath, local));
        }
        // After the pod's own mounts: among equal container paths the first one wins.
        mapped.AddRange(hostMounts.Select(m => (m.Key, m.Value)));
        var paths = new PathMap(mapped);

        var (env, problem) = Environment(pod, container, store);
        if (problem is not null)
        {
            return problem.Waiting is { } waiting ? (null, waiting) : (ContainerLaunch.Refused($"container \"{name}\": {problem.Error}"), null);
        }
        string? Lookup(string variable) => env.TryGetValue(variable, out var value) ? value : null;
        var argv = command.Concat(Strings(container["args"]))
            .Select(item => paths.Rewrite(VariableExpansion.Expand(item, Lookup)))
            .ToList();

        string workingDirectory;
        if (KubeJson.AsString(container["workingDir"]) is { Length: > 0 } workingDir)
        {
            if (paths.Map(workingDir) is { } localWorkingDir)
            {
                Directory.CreateDirectory(localWorkingDir);
                workingDirectory = localWorkingDir;
            }
            else if (Directory.Exists(workingDir))
            {
                workingDirectory = workingDir;
            }
            else
            {
                return (ContainerLaunch.Refused(
                    $"container \"{name}\": workingDir {workingDir} is not a directory on this machine and no volumeMount maps it"), null);
            }
        }
        else
        {
            workingDirectory = LocalPaths.DefaultWorkingDirectory(podDirectory, name);
            Directory.CreateDirectory(workingDirectory);
        }

        var processEnv = new Dictionary<string, string>(StringComparer.Ordinal);
        if (inheritEnvironment)
        {
            foreach (DictionaryEntry variable in System.Environment.GetEnvironmentVariables())
            {
                processEnv[(string)variable.Key] = (string?)variable.Value ?? "";
            }
        }
        else
        {
            processEnv["PATH"] = DefaultPath;
        }
        processEnv["HOSTNAME"] = pod.Name();
        foreach (var (variable, value) in env)
        {
            processEnv[variable] = paths.Rewrite(value);
        }
        return (new ContainerLaunch(null, argv, processEnv, workingDirectory, terminationLog), null);
    }

    /// <summary>
    /// The container's env in Kubernetes order: envFrom, then env (later names win); values may refer to
    /// earlier variables with $(NAME). Values are container paths still (rewritten by the caller).
    /// </summary>
    private static (Dictionary<string, string> Env, LaunchProblem? Problem) Environment(
        JsonObject pod, JsonObject container, ClusterStore store)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        var ns = pod.Namespace();
        foreach (var source in (container["envFrom"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var prefix = KubeJson.AsString(source["prefix"]) ?? "";
            var (reference, resource, kind, secret) = source["configMapRef"] is JsonObject cm
                ? (cm, ResourceRef.ConfigMaps, "configmap", false)
                : (source["secretRef"] as JsonObject, ResourceRef.Secrets, "secret", true);
            if (reference is null)
            {
                continue;
            }
            var objectName = KubeJson.AsString(reference["name"]) ?? "";
            var read = store.Get(resource, ns, objectName);
            if (!read.IsSuccess)
            {
                if (KubeJson.AsBool(reference["optional"]) == true)
                {
                    continue;
                }
                return (env, LaunchProblem.NotYet("CreateContainerConfigError", $"{kind} \"{objectName}\" not found"));
            }
            foreach (var (key, bytes) in ObjectData.Values(read.Value, secret))
            {
                env[prefix + key] = Encoding.UTF8.GetString(bytes);
            }
        }
        foreach (var variable in (container["env"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = KubeJson.AsString(variable["name"]) ?? "";
            if (variable["valueFrom"] is JsonObject valueFrom)
            {
                var (value, problem) = ValueFrom(pod, name, valueFrom, store);
                if (problem is not null)
                {
                    return (env, problem);
                }
                if (value is not null)
                {
                    env[name] = value;
                }
                continue;
            }
            env[name] = VariableExpansion.Expand(KubeJson.AsString(variable["value"]) ?? "", v => env.TryGetValue(v, out var known) ? known : null);
        }
        return (env, null);
    }

    /// <summary>A valueFrom source; null value with no problem: an optional reference that is missing.</summary>
    private static (string? Value, LaunchProblem? Problem) ValueFrom(JsonObject pod, string name, JsonObject valueFrom, ClusterStore store)
    {
        if (valueFrom["fieldRef"] is JsonObject fieldRef)
        {
            var path = KubeJson.AsString(fieldRef["fieldPath"]) ?? "";
            return FieldValue(pod, path) is { } value
                ? (value, null)
                : (null, LaunchProblem.Never($"env {name}: fieldRef {path} is not supported by the local job runner (metadata.name, metadata.namespace, metadata.uid, metadata.labels['k'], metadata.annotations['k'], spec.nodeName, spec.serviceAccountName, status.podIP, status.hostIP)"));
        }
        var (reference, resource, kind, secret) = valueFrom["configMapKeyRef"] is JsonObject cm
            ? (cm, ResourceRef.ConfigMaps, "configmap", false)
            : (valueFrom["secretKeyRef"] as JsonObject, ResourceRef.Secrets, "secret", true);
        if (reference is null)
        {
            var source = valueFrom.Select(p => p.Key).FirstOrDefault() ?? "nothing";
            return (null, LaunchProblem.Never($"env {name}: valueFrom.{source} is not supported by the local job runner (supported: value, and valueFrom {SupportedValueFrom})"));
        }
        var objectName = KubeJson.AsString(reference["name"]) ?? "";
        var key = KubeJson.AsString(reference["key"]) ?? "";
        var optional = KubeJson.AsBool(reference["optional"]) == true;
        var read = store.Get(resource, pod.Namespace(), objectName);
        if (!read.IsSuccess)
        {
            return optional ? (null, null) : (null, LaunchProblem.NotYet("CreateContainerConfigError", $"{kind} \"{objectName}\" not found"));
        }
        if (!ObjectData.Values(read.Value, secret).TryGetValue(key, out var bytes))
        {
            return optional ? (null, null) : (null, LaunchProblem.NotYet("CreateContainerConfigError", $"couldn't find key {key} in {kind} {pod.Namespace()}/{objectName}"));
        }
        return (Encoding.UTF8.GetString(bytes), null);
    }

    /// <summary>The downward-API fields a local pod has.</summary>
    private static string? FieldValue(JsonObject pod, string path)
    {
        foreach (var map in new[] { "labels", "annotations" })
        {
            var prefix = $"metadata.{map}['";
            if (path.StartsWith(prefix, StringComparison.Ordinal) && path.EndsWith("']", StringComparison.Ordinal))
            {
                return KubeJson.AsString(pod["metadata"]?[map]?[path[prefix.Length..^2]]) ?? "";
            }
        }
        return path switch
        {
            "metadata.name" => pod.Name(),
            "metadata.namespace" => pod.Namespace(),
            "metadata.uid" => pod.Uid(),
            "spec.nodeName" => KubeJson.AsString(pod["spec"]?["nodeName"]) ?? "",
            "spec.serviceAccountName" => KubeJson.AsString(pod["spec"]?["serviceAccountName"]) ?? "default",
            "status.podIP" or "status.hostIP" or "status.podIPs" or "status.hostIPs" => PodStatusModel.LocalIp,
            _ => null,
        };
    }

    private static List<string> Strings(JsonNode? node) =>
        (node as JsonArray ?? []).Select(KubeJson.ScalarText).ToList();
}
