using System.Text.Json.Nodes;
using K8sFlow.Core.Json;
using K8sFlow.LocalCluster.Json;
using K8sFlow.LocalCluster.Patching;
using K8sFlow.LocalCluster.Resources;
using K8sFlow.LocalCluster.Schema;

namespace K8sFlow.LocalCluster.Store;

/// <summary>A write's result and whether it created the object (201 rather than 200 over HTTP).</summary>
internal sealed record WriteOutcome(JsonObject Object, bool Created);

public sealed partial class ClusterStore
{
    /// <summary>Metadata only the server sets; whatever a client sends there is replaced.</summary>
    private static readonly string[] ServerSetMetadata =
        ["uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "selfLink"];

    private enum WriteKind
    {
        Put,
        Patch,
        Apply,
    }

    /// <summary>
    /// Creates an object (POST). generateName gets 5 random characters; uid, creationTimestamp, generation
    /// and resourceVersion are set here; status is dropped for kinds with a status subresource.
    /// 409 AlreadyExists when the name is taken, 404 when the namespace does not exist.
    /// </summary>
    public ApiResult<JsonObject> Create(ResourceRef resource, string? ns, JsonObject obj, WriteOptions? options = null)
    {
        options ??= new WriteOptions();
        lock (_gate)
        {
            if (Resolve(resource, out var definition) is { } unknown)
            {
                return unknown;
            }
            if (ScopeNamespace(definition, ns, obj, out var scope) is { } bad)
            {
                return bad;
            }
            return Unwrap(CreateLocked(definition, scope, KubeJson.CloneObject(obj), options, applied: false));
        }
    }

    /// <summary>
    /// Replaces an object (PUT). A non-empty metadata.resourceVersion must match the stored one (else 409
    /// Conflict); an empty one updates unconditionally. With a status subresource the stored status is kept.
    /// </summary>
    public ApiResult<JsonObject> Update(ResourceRef resource, string? ns, JsonObject obj, WriteOptions? options = null) =>
        UpdateCore(resource, ns, obj, options ?? new WriteOptions(), subresource: null);

    /// <summary>Replaces only .status (PUT on the status subresource); everything else stays as stored.</summary>
    public ApiResult<JsonObject> UpdateStatus(ResourceRef resource, string? ns, JsonObject obj, WriteOptions? options = null) =>
        UpdateCore(resource, ns, obj, options ?? new WriteOptions(), subresource: "status");

    /// <summary>
    /// Patches an object with any of the four patch types (see <see cref="PatchType"/>). A resourceVersion in
    /// the patch is a precondition. Server-side apply needs <see cref="WriteOptions.FieldManager"/>, creates
    /// missing objects, and fails with 409 on fields other managers own unless <see cref="PatchOptions.Force"/>.
    /// </summary>
    public ApiResult<JsonObject> Patch(ResourceRef resource, string? ns, string name, PatchType type, string body, PatchOptions? options = null) =>
        Unwrap(PatchCore(resource, ns, name, type, body, options ?? new PatchOptions()));

    internal ApiResult<WriteOutcome> UpdateOutcome(ResourceRef resource, string? ns, JsonObject obj, WriteOptions options, string? subresource)
    {
        lock (_gate)
        {
            if (Resolve(resource, out var definition) is { } unknown)
            {
                return unknown;
            }
            if (subresource is not null && !(subresource == "status" && definition.HasStatus))
            {
                return ApiStatus.NoSuchResource();
            }
            if (ScopeNamespace(definition, ns, obj, out var scope) is { } bad)
            {
                return bad;
            }
            var existing = Find(resource, scope, obj.Name());
            if (existing is null)
            {
                return obj.Name().Length == 0
                    ? ApiStatus.BadRequest("name is required")
                    : ApiStatus.NotFound(resource, obj.Name());
            }
            return UpdateLocked(definition, existing, KubeJson.CloneObject(obj), options, subresource, WriteKind.Put);
        }
    }

    internal ApiResult<WriteOutcome> CreateOutcome(ResourceRef resource, string? ns, JsonObject obj, WriteOptions options)
    {
        lock (_gate)
        {
            if (Resolve(resource, out var definition) is { } unknown)
            {
                return unknown;
            }
            if (ScopeNamespace(definition, ns, obj, out var scope) is { } bad)
            {
                return bad;
            }
            return CreateLocked(definition, scope, KubeJson.CloneObject(obj), options, applied: false);
        }
    }

    private ApiResult<JsonObject> UpdateCore(ResourceRef resource, string? ns, JsonObject obj, WriteOptions options, string? subresource) =>
        Unwrap(UpdateOutcome(resource, ns, obj, options, subresource));

    private static ApiResult<JsonObject> Unwrap(ApiResult<WriteOutcome> outcome) =>
        outcome.IsSuccess ? ApiResult<JsonObject>.Ok(outcome.Value.Object, outcome.Warnings) : outcome.Error;

    internal ApiResult<WriteOutcome> PatchCore(ResourceRef resource, string? ns, string name, PatchType type, string body, PatchOptions options)
    {
        lock (_gate)
        {
            if (Resolve(resource, out var definition) is { } unknown)
            {
                return unknown;
            }
            if (options.Subresource is { } sub && !(sub == "status" && definition.HasStatus))
            {
                return ApiStatus.NoSuchResource();
            }
            if (ScopeNamespace(definition, ns, null, out var scope) is { } bad)
            {
                return bad;
            }
            if (type == PatchType.StrategicMerge && definition.IsCustom)
            {
                return ApiStatus.UnsupportedMediaType(
                    "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
            }
            var existing = Find(resource, scope, name);
            if (type == PatchType.Apply)
            {
                return ApplyLocked(definition, scope, name, existing, body, options);
            }
            if (existing is null)
            {
                return ApiStatus.NotFound(resource, name);
            }
            var patch = KubeJson.TryParse(body, out var parseError);
            if (parseError is not null)
            {
                return ApiStatus.BadRequest($"error decoding patch: {parseError}");
            }
            JsonNode? patched;
            switch (type)
            {
                case PatchType.Json:
                    patched = JsonPatch.Apply(existing, patch, out var patchError);
                    if (patchError is not null)
                    {
                        return patchError.Malformed ? ApiStatus.BadRequest(patchError.Message) : new ApiStatus(422, "Invalid", patchError.Message);
                    }
                    break;
                case PatchType.Merge when patch is JsonObject:
                    patched = JsonMergePatch.Apply(existing, patch);
                    break;
                case PatchType.StrategicMerge when patch is JsonObject patchObject:
                    patched = StrategicMergePatch.Apply(existing, patchObject, definition.Lists, out var smpError);
                    if (smpError is not null)
                    {
                        return ApiStatus.BadRequest(smpError);
                    }
                    break;
                default:
                    return ApiStatus.BadRequest("the patch must be a JSON object");
            }
            if (patched is not JsonObject candidate)
            {
                return ApiStatus.BadRequest("the patched object is not a JSON object");
            }
            return UpdateLocked(definition, existing, candidate, options, options.Subresource, WriteKind.Patch);
        }
    }

    private ApiResult<WriteOutcome> CreateLocked(ResourceDefinition definition, string ns, JsonObject candidate, WriteOptions options, bool applied)
    {
        var context = Context(options);
        if (CheckEnvelope(definition, candidate, options.Version) is { } wrongType)
        {
            return wrongType;
        }
        var meta = candidate.Metadata();
        if (definition.Namespaced)
        {
            if (candidate.Namespace().Length > 0 && candidate.Namespace() != ns)
            {
                return ApiStatus.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            }
            meta["namespace"] = ns;
        }
        else
        {
            meta.Remove("namespace");
        }
        if (candidate.Name().Length == 0)
        {
            if (KubeJson.AsString(meta["generateName"]) is not { Length: > 0 } prefix)
            {
                return ApiStatus.Invalid(definition.QualifiedKind, definition.Kind, definition.Group, "",
                    [FieldErrors.Required("metadata.name", "name or generateName is required")]);
            }
            meta["name"] = prefix + RandomSuffix();
        }
        var name = candidate.Name();
        if (definition.Namespaced && Find(ResourceRef.Namespaces, "", ns) is null)
        {
            return ApiStatus.NotFound(ResourceRef.Namespaces, ns);
        }
        if (Find(definition.Ref, ns, name) is not null)
        {
            return ApiStatus.AlreadyExists(definition.Ref, name);
        }
        foreach (var field in ServerSetMetadata)
        {
            meta.Remove(field);
        }
        if (definition.HasStatus)
        {
            candidate.Remove("status");
        }
        if (!applied && meta["managedFields"] is not JsonArray { Count: > 0 })
        {
            ManagedFields.RecordUpdate(null, candidate, options.FieldManager ?? DefaultFieldManager, null, definition.Lists, KubeJson.Time(context.Now));
        }
        meta["uid"] = NewUid();
        meta["creationTimestamp"] = KubeJson.Time(context.Now);
        meta["generation"] = 1;
        definition.Strategy.PrepareForCreate(candidate, context);
        if (definition.Strategy.Validate(candidate, null, definition, context) is { } invalid)
        {
            return invalid;
        }
        if (definition.IsCustom) // built-in kinds are not pruned: every field recorded above is still there
        {
            DropAbsentManagedFields(candidate, definition);
        }
        if (options.DryRun)
        {
            return ApiResult<WriteOutcome>.Ok(new WriteOutcome(candidate, true), context.Warnings);
        }
        var stored = Put(definition, candidate, WatchEventType.Added, null);
        return ApiResult<WriteOutcome>.Ok(new WriteOutcome(KubeJson.CloneObject(stored), true), context.Warnings);
    }

    private ApiResult<WriteOutcome> UpdateLocked(ResourceDefinition definition, JsonObject existing, JsonObject candidate, WriteOptions options, string? subresource, WriteKind kind)
    {
        var context = Context(options);
        if (CheckEnvelope(definition, candidate, options.Version) is { } wrongType)
        {
            return wrongType;
        }
        if (candidate.Name().Length > 0 && candidate.Name() != existing.Name())
        {
            return ApiStatus.BadRequest($"the name of the object ({candidate.Name()}) does not match the name on the URL ({existing.Name()})");
        }
        if (definition.Namespaced && candidate.Namespace().Length > 0 && candidate.Namespace() != existing.Namespace())
        {
            return ApiStatus.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }
        var requestedVersion = candidate.ResourceVersion();
        if (requestedVersion.Length > 0 && requestedVersion != existing.ResourceVersion())
        {
            return ApiStatus.StaleResourceVersion(definition.Ref, existing.Name());
        }
        var manager = options.FieldManager ?? DefaultFieldManager;
        var requestManagedFields = candidate["metadata"]?["managedFields"];
        JsonObject updated;
        if (subresource == "status")
        {
            updated = KubeJson.CloneObject(existing);
            SetOrRemove(updated, "status", candidate["status"]);
        }
        else
        {
            updated = candidate;
            if (definition.HasStatus)
            {
                SetOrRemove(updated, "status", existing["status"]);
            }
        }
        var meta = updated.Metadata();
        foreach (var field in new[] { "name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "resourceVersion" })
        {
            SetOrRemove(meta, field, existing["metadata"]?[field]);
        }
        // A client that sends changed managedFields sets them as they are (kubectl's client-side to
        // server-side apply migration does); otherwise the change is recorded for its manager.
        var setByClient = subresource is null && requestManagedFields is JsonArray { Count: > 0 }
            && !KubeJson.Equal(requestManagedFields, existing["metadata"]?["managedFields"]);
        if (kind == WriteKind.Apply)
        {
            SetOrRemove(meta, "managedFields", requestManagedFields);
        }
        else if (!setByClient)
        {
            SetOrRemove(meta, "managedFields", existing["metadata"]?["managedFields"]);
            ManagedFields.RecordUpdate(existing, updated, manager, subresource, definition.Lists, KubeJson.Time(context.Now));
        }
        if (subresource is null)
        {
            definition.Strategy.PrepareForUpdate(updated, existing, context);
        }
        if (existing.IsDeleting())
        {
            var added = updated.Finalizers().Except(existing.Finalizers()).ToList();
            if (added.Count > 0)
            {
                return ApiStatus.Invalid(definition.QualifiedKind, definition.Kind, definition.Group, existing.Name(),
                    [FieldErrors.Forbidden("metadata.finalizers",
                        $"no new finalizers can be added if the object is being deleted, found new finalizers []string{{{string.Join(", ", added.Select(f => $"\"{f}\""))}}}")]);
            }
        }
        if (definition.Strategy.Validate(updated, existing, definition, context) is { } invalid)
        {
            return invalid;
        }
        // Only custom resources are pruned, and only a main-resource update is prepared (fields reset) after ownership
        // was recorded: a built-in kind's status write has nothing to drop.
        if (definition.IsCustom || subresource is null)
        {
            DropAbsentManagedFields(updated, definition);
        }
        if (SpecChanged(existing, updated))
        {
            meta["generation"] = (KubeJson.AsLong(existing["metadata"]?["generation"]) ?? 0) + 1;
        }
        if (KubeJson.Equal(updated, existing))
        {
            return ApiResult<WriteOutcome>.Ok(new WriteOutcome(KubeJson.CloneObject(existing), false), context.Warnings);
        }
        if (options.DryRun)
        {
            return ApiResult<WriteOutcome>.Ok(new WriteOutcome(updated, false), context.Warnings);
        }
        var stored = Put(definition, updated, WatchEventType.Modified, existing);
        var result = KubeJson.CloneObject(stored);
        if (stored.IsDeleting() && stored.Finalizers().Count == 0)
        {
            result = Remove(definition, stored);
        }
        return ApiResult<WriteOutcome>.Ok(new WriteOutcome(result, false), context.Warnings);
    }

    private ApiResult<WriteOutcome> ApplyLocked(ResourceDefinition definition, string ns, string name, JsonObject? existing, string body, PatchOptions options)
    {
        if (string.IsNullOrEmpty(options.FieldManager))
        {
            return ApiStatus.BadRequest("PATCH, application/apply-patch+yaml requires fieldManager to be set");
        }
        var parsed = body.TrimStart().StartsWith('{') ? KubeJson.TryParse(body, out var error) : YamlJson.TryParse(body, out error);
        if (parsed is not JsonObject config)
        {
            return ApiStatus.BadRequest($"error decoding YAML: {error ?? "the applied configuration must be an object"}");
        }
        if (config.ApiVersion().Length == 0 || config.Kind().Length == 0)
        {
            return ApiStatus.BadRequest($"invalid object type: {config.ApiVersion()}, Kind={config.Kind()}");
        }
        if (config["metadata"]?["managedFields"] is JsonArray { Count: > 0 })
        {
            return ApiStatus.BadRequest("metadata.managedFields must be nil");
        }
        if (config.Name().Length > 0 && config.Name() != name)
        {
            return ApiStatus.BadRequest($"the name of the object ({config.Name()}) does not match the name on the URL ({name})");
        }
        config.Metadata()["name"] = name;
        if (definition.Namespaced)
        {
            if (config.Namespace().Length > 0 && config.Namespace() != ns)
            {
                return ApiStatus.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            }
            config.Metadata()["namespace"] = ns;
        }
        if (options.Subresource == "status")
        {
            config = new JsonObject
            {
                ["apiVersion"] = config.ApiVersion(),
                ["kind"] = config.Kind(),
                ["metadata"] = config["metadata"]?.DeepClone(),
                ["status"] = config["status"]?.DeepClone(),
            };
        }
        else if (definition.HasStatus)
        {
            config.Remove("status");
        }
        var time = KubeJson.Time(Now);
        if (existing is null)
        {
            if (options.Subresource is not null)
            {
                return ApiStatus.NotFound(definition.Ref, name);
            }
            var created = ManagedFields.Apply(null, config, options.FieldManager, null, options.Force, definition.Lists, time, out _)!;
            return CreateLocked(definition, ns, created, options, applied: true);
        }
        var precondition = config.ResourceVersion();
        if (precondition.Length > 0 && precondition != existing.ResourceVersion())
        {
            return ApiStatus.StaleResourceVersion(definition.Ref, name);
        }
        var result = ManagedFields.Apply(existing, config, options.FieldManager, options.Subresource, options.Force, definition.Lists, time, out var conflicts);
        if (result is null && options.FieldManager == LastAppliedConfiguration.KubectlManager
            && LastAppliedConfiguration.CoversConflicts(existing, conflicts, definition.Lists))
        {
            result = ManagedFields.Apply(existing, config, options.FieldManager, options.Subresource, force: true, definition.Lists, time, out conflicts);
        }
        if (result is null)
        {
            return new ApiStatus(409, "Conflict", ManagedFields.Describe(conflicts), new StatusDetails(name, definition.Group, definition.Plural,
                Causes: conflicts.Select(c => new StatusCause("FieldManagerConflict", $"conflict with \"{c.Manager}\" using {c.ApiVersion}", c.Path.ToString())).ToList()));
        }
        if (options.FieldManager == LastAppliedConfiguration.KubectlManager)
        {
            LastAppliedConfiguration.Refresh(result, config);
        }
        return UpdateLocked(definition, existing, result, options, options.Subresource, WriteKind.Apply);
    }

    /// <summary>apiVersion and kind, when sent, must be this resource's; when missing they are filled in.</summary>
    private static ApiStatus? CheckEnvelope(ResourceDefinition definition, JsonObject obj, string? version)
    {
        var apiVersion = obj.ApiVersion();
        var expected = definition.ApiVersion(version ?? definition.StorageVersion.Name);
        if (apiVersion.Length > 0 && !definition.Versions.Any(v => definition.ApiVersion(v.Name) == apiVersion))
        {
            return ApiStatus.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({expected})");
        }
        var kind = obj.Kind();
        if (kind.Length > 0 && kind != definition.Kind)
        {
            return ApiStatus.BadRequest($"the kind in the data ({kind}) does not match the expected kind ({definition.Kind})");
        }
        obj["apiVersion"] = definition.ApiVersion(definition.StorageVersion.Name);
        obj["kind"] = definition.Kind;
        return null;
    }

    /// <summary>Generation counts changes to anything but metadata and status.</summary>
    private static bool SpecChanged(JsonObject before, JsonObject after)
    {
        static JsonObject Body(JsonObject obj)
        {
            var copy = new JsonObject();
            foreach (var (key, value) in obj)
            {
                if (key is not ("metadata" or "status" or "apiVersion" or "kind"))
                {
                    copy[key] = value?.DeepClone();
                }
            }
            return copy;
        }
        return !KubeJson.Equal(Body(before), Body(after));
    }

    /// <summary>Fields pruned or rejected after ownership was recorded are owned by nobody.</summary>
    private static void DropAbsentManagedFields(JsonObject obj, ResourceDefinition definition)
    {
        var entries = ManagedFieldsEntry.Read(obj);
        if (entries.Count == 0)
        {
            return;
        }
        var present = FieldSet.FromObject(obj, definition.Lists);
        ManagedFieldsEntry.Write(obj, entries.Select(e => e with { Fields = e.Fields.Where(p => present.Contains(p)) }));
    }

    private static void SetOrRemove(JsonObject target, string field, JsonNode? value)
    {
        if (value is null)
        {
            target.Remove(field);
        }
        else
        {
            target[field] = value.DeepClone();
        }
    }
}
