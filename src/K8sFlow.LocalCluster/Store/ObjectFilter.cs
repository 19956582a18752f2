using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;
using K8sFlow.LocalCluster.Resources;
using K8sFlow.LocalCluster.Selectors;

namespace K8sFlow.LocalCluster.Store;

/// <summary>Which objects a LIST or WATCH sees: one resource, optionally one namespace, both selectors.</summary>
internal sealed class ObjectFilter
{
    private ObjectFilter(ResourceDefinition definition, string? ns, LabelSelector labels, FieldSelector fields)
    {
        Definition = definition;
        Namespace = ns;
        Labels = labels;
        Fields = fields;
    }

    public ResourceDefinition Definition { get; }

    public string? Namespace { get; }

    public LabelSelector Labels { get; }

    public FieldSelector Fields { get; }

    public bool HasSelectors => !Labels.IsEmpty || !Fields.IsEmpty;

    /// <summary>Parses both selectors; unknown field labels are refused as the apiserver does.</summary>
    public static ApiResult<ObjectFilter> Create(ResourceDefinition definition, string? ns, string? labelSelector, string? fieldSelector)
    {
        var labels = LabelSelector.TryParse(labelSelector, out var labelError);
        if (labels is null)
        {
            return ApiStatus.BadRequest(labelError!);
        }
        var fields = FieldSelector.TryParse(fieldSelector, out var fieldError);
        if (fields is null)
        {
            return ApiStatus.BadRequest(fieldError!);
        }
        if (fields.Requirements.FirstOrDefault(r => definition.FieldLabelPath(r.Field) is null) is { } unsupported)
        {
            return definition.IsCustom
                ? ApiStatus.BadRequest($"\"{unsupported.Field}\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"")
                : ApiStatus.BadRequest($"field label not supported: {unsupported.Field}");
        }
        return ApiResult<ObjectFilter>.Ok(new ObjectFilter(definition, string.IsNullOrEmpty(ns) ? null : ns, labels, fields));
    }

    public bool Matches(JsonObject obj) =>
        (Namespace is null || obj.Namespace() == Namespace)
        && Labels.Matches(obj.Labels())
        && Fields.Matches(obj, FieldValue);

    private string FieldValue(JsonObject obj, string label) =>
        Definition.FieldLabelPath(label) is { } path ? KubeJson.ScalarText(KubeJson.At(obj, path)) : "";
}
