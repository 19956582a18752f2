using System.Text;
using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;
using K8sFlow.LocalCluster.Store;

namespace K8sFlow.LocalCluster.JobRunner;

/// <summary>
/// Makes a pod's volumes local directories: emptyDir -> a directory of the pod; persistentVolumeClaim ->
/// the claim's directory (the claim object must exist); configMap/secret -> a directory of the pod with a
/// file per key (or per item); hostPath -> that path on this machine.
/// </summary>
internal static class PodVolumes
{
    public const string Supported = "emptyDir, persistentVolumeClaim, configMap, secret and hostPath";

    /// <summary>Volume name -> local directory, or why the pod cannot start yet (Waiting) or ever (Invalid).</summary>
    public static (IReadOnlyDictionary<string, string>? Directories, PodPreparation? Problem) Prepare(
        JsonObject pod, string podDirectory, LocalPaths paths, ClusterStore store)
    {
        var directories = new Dictionary<string, string>(StringComparer.Ordinal);
        var ns = pod.Namespace();
        foreach (var volume in (pod["spec"]?["volumes"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = KubeJson.AsString(volume["name"]) ?? "";
            if (!LocalPaths.IsSafeName(name))
            {
                return (null, new PodPreparation.Invalid($"volume name \"{name}\" cannot be a directory name"));
            }
            var local = LocalPaths.Volume(podDirectory, name);
            PodPreparation? problem = null;
            if (volume["emptyDir"] is not null)
            {
                Directory.CreateDirectory(local);
            }
            else if (volume["persistentVolumeClaim"] is JsonObject claim)
            {
                (local, problem) = Claim(ns, KubeJson.AsString(claim["claimName"]) ?? "", paths, store);
            }
            else if (volume["configMap"] is JsonObject configMap)
            {
                problem = WriteKeys(store, ResourceRef.ConfigMaps, "configmap", ns, KubeJson.AsString(configMap["name"]) ?? "", configMap, local, binary: false);
            }
            else if (volume["secret"] is JsonObject secret)
            {
                problem = WriteKeys(store, ResourceRef.Secrets, "secret", ns, KubeJson.AsString(secret["secretName"]) ?? "", secret, local, binary: true);
            }
            else if (volume["hostPath"] is JsonObject hostPath)
            {
                local = KubeJson.AsString(hostPath["path"]) ?? "";
                if (KubeJson.AsString(hostPath["type"]) == "DirectoryOrCreate")
                {
                    Directory.CreateDirectory(local);
                }
            }
            else
            {
                var type = volume.Select(p => p.Key).FirstOrDefault(k => k != "name") ?? "empty";
                problem = new PodPreparation.Invalid($"volume \"{name}\" is a {type} volume: the local job runner supports {Supported} volumes");
            }
            if (problem is not null)
            {
                return (null, problem);
            }
            directories[name] = local;
        }
        return (directories, null);
    }

    private static (string Local, PodPreparation? Problem) Claim(string ns, string claimName, LocalPaths paths, ClusterStore store)
    {
        if (!LocalPaths.IsSafeName(claimName))
        {
            return ("", new PodPreparation.Invalid($"persistentVolumeClaim name \"{claimName}\" cannot be a directory name"));
        }
        if (!store.Get(ResourceRef.PersistentVolumeClaims, ns, claimName).IsSuccess)
        {
            return ("", new PodPreparation.Waiting("ContainerCreating", $"persistentvolumeclaim \"{claimName}\" not found"));
        }
        var local = paths.Claim(ns, claimName);
        Directory.CreateDirectory(local);
        return (local, null);
    }

    /// <summary>Writes a ConfigMap's or Secret's keys (all, or the listed items) as files.</summary>
    private static PodPreparation? WriteKeys(ClusterStore store, ResourceRef resource, string kind, string ns, string name, JsonObject source, string directory, bool binary)
    {
        var optional = KubeJson.AsBool(source["optional"]) == true;
        var read = store.Get(resource, ns, name);
        Directory.CreateDirectory(directory);
        if (!read.IsSuccess)
        {
            return optional ? null : new PodPreparation.Waiting("ContainerCreating", $"{kind} \"{name}\" not found");
        }
        var values = ObjectData.Values(read.Value, binary);
        var items = (source["items"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(i => (Key: KubeJson.AsString(i["key"]) ?? "", Path: KubeJson.AsString(i["path"]) ?? ""))
            .ToList();
        if (items.Count == 0)
        {
            items = values.Keys.Select(k => (k, k)).ToList();
        }
        foreach (var (key, path) in items)
        {
            if (!values.TryGetValue(key, out var bytes))
            {
                if (optional)
                {
                    continue;
                }
                return new PodPreparation.Waiting("ContainerCreating", $"couldn't find key {key} in {kind} {ns}/{name}");
            }
            if (!LocalPaths.IsSafeRelativePath(path))
            {
                return new PodPreparation.Invalid($"{kind} {ns}/{name}: item path \"{path}\" must be relative and stay inside the volume");
            }
            var file = Path.Combine(directory, path);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllBytes(file, bytes);
        }
        return null;
    }
}

/// <summary>The key/value data of a ConfigMap (data, binaryData) or Secret (base64 data, stringData) as bytes.</summary>
internal static class ObjectData
{
    public static Dictionary<string, byte[]> Values(JsonObject obj, bool secret)
    {
        var values = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (key, value) in obj["data"] as JsonObject ?? [])
        {
            var text = KubeJson.AsString(value) ?? "";
            values[key] = secret ? Decode(text) : Encoding.UTF8.GetBytes(text);
        }
        foreach (var (key, value) in obj[secret ? "stringData" : "binaryData"] as JsonObject ?? [])
        {
            var text = KubeJson.AsString(value) ?? "";
            values[key] = secret ? Encoding.UTF8.GetBytes(text) : Decode(text);
        }
        return values;
    }

    private static byte[] Decode(string base64)
    {
        try
        {
            return Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            return Encoding.UTF8.GetBytes(base64);
        }
    }
}
