using System.Text.Json;
using System.Text.Json.Nodes;
using K8sFlow.Core.Crds;
using K8sFlow.Kubernetes.Models;

namespace K8sFlow.Kubernetes.Crds;

/// <summary>
/// Installs K8sFlow's CustomResourceDefinitions (generated from Core's API types by
/// <see cref="CrdGenerator"/>, so no crds/ folder is needed at run time) through the API.
/// </summary>
public static class CrdInstaller
{
    public const string DefaultFieldManager = "k8sflow-crds";

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Creates or updates every K8sFlow CRD with server-side apply (forcing ownership: the generated
    /// CRDs are the truth), then waits until the API server reports each one Established, so Dags and
    /// DagRuns can be created right after. Returns the CRDs as the server stored them.
    /// </summary>
    public static async Task<IReadOnlyList<CustomResourceDefinition>> InstallAsync(IKubeClient client, string fieldManager = DefaultFieldManager,
        TimeSpan? establishTimeout = null, CancellationToken cancellationToken = default)
    {
        var installed = new List<CustomResourceDefinition>();
        foreach (var definition in CrdGenerator.All)
        {
            var applied = await client.PatchAsync(KubeKinds.CustomResourceDefinition, null, definition.Name, KubePatch.Apply(ToJson(definition)),
                new PatchOptions { FieldManager = fieldManager, Force = true }, cancellationToken).ConfigureAwait(false);
            installed.Add(await WaitEstablishedAsync(client, applied, establishTimeout ?? TimeSpan.FromSeconds(30), cancellationToken)
                .ConfigureAwait(false));
        }
        return installed;
    }

    /// <summary>The CRD manifest exactly as <see cref="CrdGenerator"/> builds it, as JSON.</summary>
    public static JsonObject ToJson(CrdDefinition definition) =>
        JsonSerializer.SerializeToNode(CrdGenerator.Build(definition))!.AsObject();

    public static bool IsEstablished(CustomResourceDefinition crd) =>
        crd.Status?.Conditions?.Any(c => c.Type == "Established" && c.Status == "True") == true;

    private static async Task<CustomResourceDefinition> WaitEstablishedAsync(IKubeClient client, CustomResourceDefinition crd, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            while (!IsEstablished(crd))
            {
                // A real API server establishes a new CRD within moments; the local cluster at once.
                await Task.Delay(PollInterval, deadline.Token).ConfigureAwait(false);
                crd = await client.GetAsync(KubeKinds.CustomResourceDefinition, null, crd.Metadata.Name!, deadline.Token).ConfigureAwait(false);
            }
            return crd;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var conditions = string.Join(", ", crd.Status?.Conditions?.Select(c => $"{c.Type}={c.Status} ({c.Message})") ?? []);
            throw new TimeoutException(
                $"CRD {crd.Metadata.Name} was not Established within {timeout.TotalSeconds:0} s; conditions: {(conditions.Length == 0 ? "none" : conditions)}.");
        }
    }
}
