using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;
using K8sFlow.LocalCluster.Resources;
using K8sFlow.LocalCluster.Store;
using K8sFlow.LocalCluster.Tables;
using Microsoft.AspNetCore.Http;

namespace K8sFlow.LocalCluster.Http;

/// <summary>The verbs on resources: GET, LIST, WATCH, POST, PUT, PATCH, DELETE (object and collection).</summary>
internal sealed class ResourceEndpoints(ClusterStore store, ApiSettings settings)
{
    public Task HandleAsync(HttpContext context, ApiPath path, ResourceDefinition definition)
    {
        var method = context.Request.Method;
        var isObject = path.Name is not null;
        if (isObject && definition.Namespaced && path.Namespace is null)
        {
            return HttpIo.WriteStatusAsync(context, ApiStatus.NoSuchResource());
        }
        if (path.Subresource is { } sub && !(sub == "status" && definition.HasStatus))
        {
            return HttpIo.WriteStatusAsync(context, ApiStatus.NoSuchResource());
        }
        return (method, isObject) switch
        {
            ("GET", false) when HttpIo.QueryFlag(context, "watch") => WatchAsync(context, path, definition),
            ("GET", false) => ListAsync(context, path, definition),
            ("GET", true) => GetAsync(context, path, definition),
            ("POST", false) when !definition.Namespaced || path.Namespace is not null => CreateAsync(context, path, definition),
            ("PUT", true) => UpdateAsync(context, path, definition),
            ("PATCH", true) => PatchAsync(context, path, definition),
            ("DELETE", true) => DeleteAsync(context, path, definition),
            ("DELETE", false) => DeleteCollectionAsync(context, path, definition),
            _ => HttpIo.WriteStatusAsync(context, ApiStatus.MethodNotAllowed()),
        };
    }

    private Task GetAsync(HttpContext context, ApiPath path, ResourceDefinition definition)
    {
        var result = store.Get(definition.Ref, path.Namespace, path.Name!);
        if (!result.IsSuccess)
        {
            return HttpIo.WriteStatusAsync(context, result.Error);
        }
        var obj = Relabel(result.Value, definition, path.Version);
        if (HttpIo.WantsTable(context))
        {
            var table = TableConverter.ToTable(Columns(definition, path), [obj], settings.Time.GetUtcNow(), Include(context), true,
                new JsonObject { ["resourceVersion"] = obj.ResourceVersion() });
            return HttpIo.WriteJsonAsync(context, 200, table, TableConverter.ContentType);
        }
        return HttpIo.WriteJsonAsync(context, 200, obj);
    }

    private Task ListAsync(HttpContext context, ApiPath path, ResourceDefinition definition)
    {
        var result = store.List(definition.Ref, path.Namespace, new ListOptions
        {
            LabelSelector = HttpIo.Query(context, "labelSelector"),
            FieldSelector = HttpIo.Query(context, "fieldSelector"),
            Limit = (int?)HttpIo.QueryLong(context, "limit"),
            Continue = HttpIo.Query(context, "continue"),
        });
        if (!result.IsSuccess)
        {
            return HttpIo.WriteStatusAsync(context, result.Error);
        }
        var list = result.Value;
        var metadata = new JsonObject { ["resourceVersion"] = list.ResourceVersion };
        if (list.Continue is not null)
        {
            metadata["continue"] = list.Continue;
        }
        if (list.RemainingItemCount is { } remaining)
        {
            metadata["remainingItemCount"] = remaining;
        }
        var items = list.Items.Select(i => Relabel(i, definition, path.Version)).ToList();
        if (HttpIo.WantsTable(context))
        {
            var table = TableConverter.ToTable(Columns(definition, path), items, settings.Time.GetUtcNow(), Include(context), true, metadata);
            return HttpIo.WriteJsonAsync(context, 200, table, TableConverter.ContentType);
        }
        return HttpIo.WriteJsonAsync(context, 200, new JsonObject
        {
            ["kind"] = definition.ListKind,
            ["apiVersion"] = definition.ApiVersion(path.Version),
            ["metadata"] = metadata,
            ["items"] = new JsonArray(items.Select(i => (JsonNode)i).ToArray()),
        });
    }

    private async Task CreateAsync(HttpContext context, ApiPath path, ResourceDefinition definition)
    {
        if (await ReadWriteRequestAsync(context, path) is not var (body, options))
        {
            return;
        }
        await WriteOutcomeAsync(context, path, definition, store.CreateOutcome(definition.Ref, path.Namespace, body, options));
    }

    /// <summary>The body and write options of a POST or PUT; null after answering with the Status that says what is wrong.</summary>
    private static async Task<(JsonObject Body, WriteOptions Options)?> ReadWriteRequestAsync(HttpContext context, ApiPath path)
    {
        var (body, error) = await ReadObjectAsync(context);
        if (error is not null)
        {
            await HttpIo.WriteStatusAsync(context, error);
            return null;
        }
        var options = WriteOptions(context, path);
        if (!options.IsSuccess)
        {
            await HttpIo.WriteStatusAsync(context, options.Error);
            return null;
        }
        return (body!, options.Value);
    }

    private async Task UpdateAsync(HttpContext context, ApiPath path, ResourceDefinition definition)
    {
        if (await ReadWriteRequestAsync(context, path) is not var (obj, options))
        {
            return;
        }
        if (obj.Name().Length == 0)
        {
            obj.Metadata()["name"] = path.Name;
        }
        else if (obj.Name() != path.Name)
        {
            await HttpIo.WriteStatusAsync(context, ApiStatus.BadRequest($"the name of the object ({obj.Name()}) does not match the name on the URL ({path.Name})"));
            return;
        }
        await WriteOutcomeAsync(context, path, definition, store.UpdateOutcome(definition.Ref, path.Namespace, obj, options, path.Subresource));
    }

    private async Task PatchAsync(HttpContext context, ApiPath path, ResourceDefinition definition)
    {
        var mediaType = (context.Request.ContentType ?? "").Split(';')[0].Trim();
        PatchType? type = mediaType switch
        {
            "application/json-patch+json" => PatchType.Json,
            "application/merge-patch+json" => PatchType.Merge,
            "application/strategic-merge-patch+json" => PatchType.StrategicMerge,
            "application/apply-patch+yaml" => PatchType.Apply,
            _ => null,
        };
        if (type is null)
        {
            await HttpIo.WriteStatusAsync(context, ApiStatus.UnsupportedMediaType(
                $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml{(definition.IsCustom ? "" : ", application/strategic-merge-patch+json")}"));
            return;
        }
        var options = WriteOptions(context, path);
        if (!options.IsSuccess)
        {
            await HttpIo.WriteStatusAsync(context, options.Error);
            return;
        }
        var patchOptions = new PatchOptions
        {
            FieldManager = HttpIo.Query(context, "fieldManager") ?? (type == PatchType.Apply ? null : options.Value.FieldManager),
            DryRun = options.Value.DryRun,
            FieldValidation = options.Value.FieldValidation,
            Version = options.Value.Version,
            Force = HttpIo.QueryFlag(context, "force"),
            Subresource = path.Subresource,
        };
        var body = await HttpIo.ReadBodyAsync(context);
        await WriteOutcomeAsync(context, path, definition, store.PatchCore(definition.Ref, path.Namespace, path.Name!, type.Value, body, patchOptions));
    }

    private async Task DeleteAsync(HttpContext context, ApiPath path, ResourceDefinition definition)
    {
        var options = await DeleteOptionsAsync(context);
        if (!options.IsSuccess)
        {
            await HttpIo.WriteStatusAsync(context, options.Error);
            return;
        }
        var result = store.Delete(definition.Ref, path.Namespace, path.Name!, options.Value);
        if (!result.IsSuccess)
        {
            await HttpIo.WriteStatusAsync(context, result.Error);
            return;
        }
        var deleted = result.Value;
        var body = deleted.Removed
            ? ApiStatus.Success(new StatusDetails(deleted.Object.Name(), definition.Group, definition.Plural, deleted.Object.Uid()))
            : Relabel(deleted.Object, definition, path.Version);
        await HttpIo.WriteJsonAsync(context, 200, body);
    }

    private async Task DeleteCollectionAsync(HttpContext context, ApiPath path, ResourceDefinition definition)
    {
        var options = await DeleteOptionsAsync(context);
        if (!options.IsSuccess)
        {
            await HttpIo.WriteStatusAsync(context, options.Error);
            return;
        }
        var result = store.DeleteCollection(definition.Ref, path.Namespace, new ListOptions
        {
            LabelSelector = HttpIo.Query(context, "labelSelector"),
            FieldSelector = HttpIo.Query(context, "fieldSelector"),
        }, options.Value);
        if (!result.IsSuccess)
        {
            await HttpIo.WriteStatusAsync(context, result.Error);
            return;
        }
        await HttpIo.WriteJsonAsync(context, 200, new JsonObject
        {
            ["kind"] = definition.ListKind,
            ["apiVersion"] = definition.ApiVersion(path.Version),
            ["metadata"] = new JsonObject { ["resourceVersion"] = store.ResourceVersion },
            ["items"] = new JsonArray(result.Value.Select(d => (JsonNode)Relabel(d.Object, definition, path.Version)).ToArray()),
        });
    }

    /// <summary>Streams watch events as JSON lines, flushed one by one, until the timeout, the client leaves or the server stops.</summary>
    private async Task WatchAsync(HttpContext context, ApiPath path, ResourceDefinition definition)
    {
        var result = store.Watch(definition.Ref, path.Namespace, new WatchOptions
        {
            LabelSelector = HttpIo.Query(context, "labelSelector"),
            FieldSelector = HttpIo.Query(context, "fieldSelector"),
            ResourceVersion = HttpIo.Query(context, "resourceVersion"),
            SharedObjects = true, // only serialized (Relabel copies before it changes anything)
        });
        if (!result.IsSuccess)
        {
            await HttpIo.WriteStatusAsync(context, result.Error);
            return;
        }
        using var subscription = result.Value;
        var asTable = HttpIo.WantsTable(context);
        var include = Include(context);
        var columns = Columns(definition, path);
        context.Response.StatusCode = 200;
        context.Response.ContentType = asTable ? TableConverter.ContentType : HttpIo.Json;
        context.Response.Headers.CacheControl = "no-cache, private";
        await context.Response.StartAsync(context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);

        var timeout = HttpIo.QueryLong(context, "timeoutSeconds") is { } seconds and > 0
            ? TimeSpan.FromSeconds(seconds)
            : settings.WatchTimeout ?? TimeSpan.FromMinutes(30 + Random.Shared.Next(30));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, settings.Stopping);
        stop.CancelAfter(timeout);
        var bookmarks = HttpIo.QueryFlag(context, "allowWatchBookmarks") ? SendBookmarksAsync(subscription, stop.Token) : Task.CompletedTask;
        var columnsSent = false;
        try
        {
            await foreach (var watchEvent in subscription.ReadAllAsync(stop.Token))
            {
                if (subscription.Dropped)
                {
                    break;
                }
                JsonNode payload = watchEvent.Object;
                if (watchEvent.Type != WatchEventType.Error)
                {
                    var obj = Relabel(watchEvent.Object, definition, path.Version);
                    payload = obj;
                    if (asTable)
                    {
                        var rows = watchEvent.Type == WatchEventType.Bookmark ? [] : new[] { obj };
                        payload = TableConverter.ToTable(columns, rows, settings.Time.GetUtcNow(), include, !columnsSent,
                            new JsonObject { ["resourceVersion"] = obj.ResourceVersion() });
                        columnsSent = true;
                    }
                }
                await context.Response.Body.WriteAsync(WatchLine(watchEvent.TypeName, payload), stop.Token);
                await context.Response.Body.FlushAsync(stop.Token);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Timeout, client gone or server stopping: the stream simply ends, as the apiserver's does.
        }
        finally
        {
            await stop.CancelAsync();
            await bookmarks;
        }
        if (subscription.Dropped)
        {
            // No terminating chunk: the client sees the connection die mid-stream.
            context.Abort();
        }
    }

    /// <summary>One watch event as a JSON line; written, not wrapped, since the object may be shared with other watchers.</summary>
    private static byte[] WatchLine(string type, JsonNode payload)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = KubeJson.Options.Encoder }))
        {
            writer.WriteStartObject();
            writer.WriteString("type", type);
            writer.WritePropertyName("object");
            payload.WriteTo(writer, KubeJson.Options);
            writer.WriteEndObject();
        }
        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private async Task SendBookmarksAsync(WatchSubscription subscription, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(settings.BookmarkInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                subscription.RequestBookmark();
            }
        }
        catch (OperationCanceledException)
        {
            // The watch ended.
        }
    }

    private async Task WriteOutcomeAsync(HttpContext context, ApiPath path, ResourceDefinition definition, ApiResult<WriteOutcome> outcome)
    {
        if (!outcome.IsSuccess)
        {
            await HttpIo.WriteStatusAsync(context, outcome.Error);
            return;
        }
        await HttpIo.WriteJsonAsync(context, outcome.Value.Created ? 201 : 200, Relabel(outcome.Value.Object, definition, path.Version), warnings: outcome.Warnings);
    }

    private static async Task<(JsonObject? Body, ApiStatus? Error)> ReadObjectAsync(HttpContext context)
    {
        if (HttpIo.UnsupportedBody(context) is { } unsupported)
        {
            return (null, unsupported);
        }
        var text = await HttpIo.ReadBodyAsync(context);
        var yaml = (context.Request.ContentType ?? "").Contains("yaml", StringComparison.OrdinalIgnoreCase);
        var parsed = yaml ? YamlJson.TryParse(text, out var error) : KubeJson.TryParse(text, out error);
        return parsed is JsonObject obj ? (obj, null) : (null, ApiStatus.BadRequest($"the body of the request could not be decoded: {error ?? "expected a JSON object"}"));
    }

    private static ApiResult<WriteOptions> WriteOptions(HttpContext context, ApiPath path)
    {
        var validation = HttpIo.Query(context, "fieldValidation");
        FieldValidation? parsed = validation switch
        {
            null or "" or "Warn" => FieldValidation.Warn,
            "Strict" => FieldValidation.Strict,
            "Ignore" => FieldValidation.Ignore,
            _ => null,
        };
        if (parsed is null)
        {
            return ApiStatus.BadRequest($"fieldValidation parameter unsupported: {validation}, allowed values are Ignore, Warn, Strict");
        }
        var dryRun = HttpIo.Query(context, "dryRun");
        if (dryRun is not (null or "" or "All"))
        {
            return ApiStatus.BadRequest($"dryRun: Unsupported value: \"{dryRun}\": supported values: \"All\"");
        }
        return ApiResult<WriteOptions>.Ok(new WriteOptions
        {
            FieldManager = HttpIo.Query(context, "fieldManager") ?? ManagerFromUserAgent(context),
            DryRun = dryRun == "All",
            FieldValidation = parsed.Value,
            Version = path.Version,
        });
    }

    /// <summary>Without fieldManager the apiserver names the manager after the User-Agent's product ("kubectl").</summary>
    private static string ManagerFromUserAgent(HttpContext context)
    {
        var agent = context.Request.Headers.UserAgent.ToString();
        var product = agent.Split('/')[0].Trim();
        return product.Length == 0 ? "unknown" : product;
    }

    private static async Task<ApiResult<DeleteOptions>> DeleteOptionsAsync(HttpContext context)
    {
        if (HttpIo.UnsupportedBody(context) is { } unsupported)
        {
            return unsupported;
        }
        var text = await HttpIo.ReadBodyAsync(context);
        var body = string.IsNullOrWhiteSpace(text) ? new JsonObject() : KubeJson.TryParse(text, out _) as JsonObject;
        if (body is null)
        {
            return ApiStatus.BadRequest("the body of the request could not be decoded as DeleteOptions");
        }
        var policyText = HttpIo.Query(context, "propagationPolicy") ?? KubeJson.AsString(body["propagationPolicy"]);
        var orphan = HttpIo.Query(context, "orphanDependents") is { } orphanText ? orphanText == "true" : KubeJson.AsBool(body["orphanDependents"]);
        if (!TryParsePolicy(policyText, orphan, out var policy))
        {
            return ApiStatus.BadRequest($"propagationPolicy: Unsupported value: \"{policyText}\": supported values: \"Foreground\", \"Background\", \"Orphan\"");
        }
        var dryRun = HttpIo.Query(context, "dryRun") == "All"
            || (body["dryRun"] is JsonArray dry && dry.Any(d => KubeJson.AsString(d) == "All"));
        return ApiResult<DeleteOptions>.Ok(new DeleteOptions
        {
            PropagationPolicy = policy,
            PreconditionUid = KubeJson.AsString(body["preconditions"]?["uid"]),
            PreconditionResourceVersion = KubeJson.AsString(body["preconditions"]?["resourceVersion"]),
            GracePeriodSeconds = HttpIo.QueryLong(context, "gracePeriodSeconds") ?? KubeJson.AsLong(body["gracePeriodSeconds"]),
            DryRun = dryRun,
        });
    }

    /// <summary>propagationPolicy wins; the deprecated orphanDependents maps to Orphan or Background; neither: the kind's default.</summary>
    private static bool TryParsePolicy(string? text, bool? orphanDependents, out PropagationPolicy? policy)
    {
        policy = text switch
        {
            "Background" => PropagationPolicy.Background,
            "Foreground" => PropagationPolicy.Foreground,
            "Orphan" => PropagationPolicy.Orphan,
            _ => orphanDependents switch
            {
                true => PropagationPolicy.Orphan,
                false => PropagationPolicy.Background,
                null => null,
            },
        };
        return string.IsNullOrEmpty(text) || text is "Background" or "Foreground" or "Orphan";
    }

    private static IncludeObject Include(HttpContext context) => HttpIo.Query(context, "includeObject") switch
    {
        "None" => IncludeObject.None,
        "Object" => IncludeObject.Object,
        _ => IncludeObject.Metadata,
    };

    private static IReadOnlyList<PrinterColumn> Columns(ResourceDefinition definition, ApiPath path) =>
        (definition.Version(path.Version) ?? definition.StorageVersion).Columns;

    /// <summary>One stored copy serves every version: answers carry the version the client asked for.</summary>
    /// <summary>The object as the requested version names it; a copy when that differs (watch events are shared).</summary>
    private static JsonObject Relabel(JsonObject obj, ResourceDefinition definition, string version)
    {
        var apiVersion = definition.ApiVersion(version);
        if (KubeJson.AsString(obj["apiVersion"]) == apiVersion)
        {
            return obj;
        }
        var copy = KubeJson.CloneObject(obj);
        copy["apiVersion"] = apiVersion;
        return copy;
    }
}
