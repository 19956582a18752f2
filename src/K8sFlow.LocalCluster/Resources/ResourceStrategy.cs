using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using K8sFlow.LocalCluster.Json;
using K8sFlow.LocalCluster.Schema;
using K8sFlow.LocalCluster.Store;

namespace K8sFlow.LocalCluster.Resources;

/// <summary>Per-request facts a strategy needs: the clock, the version spoken, how to treat unknown fields.</summary>
internal sealed record WriteContext(DateTimeOffset Now, string? Version, FieldValidation FieldValidation)
{
    public List<string> Warnings { get; } = [];
}

/// <summary>
/// The per-kind part of a write, as in the apiserver's registry strategies: defaulting on create,
/// carrying over on update, validation. The store does everything common to all kinds.
/// </summary>
internal partial class ResourceStrategy
{
    public static readonly ResourceStrategy Default = new();

    private const string SubdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    private const string LabelValueMessage = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

    private const string QualifiedNameMessage = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    protected static partial Regex Subdomain();

    [GeneratedRegex(@"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")]
    private static partial Regex LabelValue();

    [GeneratedRegex(@"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")]
    private static partial Regex QualifiedName();

    /// <summary>Defaults a new object; uid and creationTimestamp are already set, status already dropped.</summary>
    public virtual void PrepareForCreate(JsonObject obj, WriteContext context)
    {
    }

    /// <summary>Adjusts an update of the main resource; status was already carried over when it is a subresource.</summary>
    public virtual void PrepareForUpdate(JsonObject obj, JsonObject old, WriteContext context)
    {
    }

    /// <summary>Validates (and for custom resources prunes and defaults) the object about to be stored.</summary>
    public ApiStatus? Validate(JsonObject obj, JsonObject? old, ResourceDefinition definition, WriteContext context)
    {
        var causes = new List<StatusCause>();
        ValidateMetadata(obj, causes);
        var refusal = ValidateObject(obj, old, definition, context, causes);
        if (refusal is not null)
        {
            return refusal;
        }
        return causes.Count == 0 ? null : ApiStatus.Invalid(definition.QualifiedKind, definition.Kind, definition.Group, obj.Name(), causes);
    }

    /// <summary>Kind-specific checks; a non-null result refuses the request with that Status (e.g. 400).</summary>
    protected virtual ApiStatus? ValidateObject(JsonObject obj, JsonObject? old, ResourceDefinition definition, WriteContext context, List<StatusCause> causes) => null;

    protected virtual void ValidateName(string name, List<StatusCause> causes)
    {
        if (name.Length > 253 || !Subdomain().IsMatch(name))
        {
            causes.Add(FieldErrors.Invalid("metadata.name", name, SubdomainMessage));
        }
    }

    private void ValidateMetadata(JsonObject obj, List<StatusCause> causes)
    {
        ValidateName(obj.Name(), causes);
        foreach (var (key, value) in obj.Labels())
        {
            ValidateLabelKey(key, causes);
            if (value.Length > 63)
            {
                causes.Add(FieldErrors.Invalid("metadata.labels", value, "must be no more than 63 characters"));
            }
            else if (!LabelValue().IsMatch(value))
            {
                causes.Add(FieldErrors.Invalid("metadata.labels", value, LabelValueMessage));
            }
        }
    }

    private static void ValidateLabelKey(string key, List<StatusCause> causes)
    {
        var slash = key.IndexOf('/');
        var name = slash < 0 ? key : key[(slash + 1)..];
        var prefix = slash < 0 ? null : key[..slash];
        if (prefix is not null && (prefix.Length > 253 || !Subdomain().IsMatch(prefix)))
        {
            causes.Add(FieldErrors.Invalid("metadata.labels", key, "prefix part " + SubdomainMessage));
        }
        if (name.Length > 63 || !QualifiedName().IsMatch(name))
        {
            causes.Add(FieldErrors.Invalid("metadata.labels", key, name.Length > 63 ? "name part must be no more than 63 characters" : QualifiedNameMessage));
        }
    }
}
