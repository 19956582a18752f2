using System.Text.Json;
using System.Text.Json.Nodes;
using K8sFlow.Core.Api;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace K8sFlow.Core.Manifests;

/// <summary>A resource loaded from a manifest, with where it came from.</summary>
public sealed record LoadedManifest<T>(T Resource, SourceMap Source) where T : KubernetesObject;

/// <summary>Everything found in one manifest text: the K8sFlow resources that loaded, and the diagnostics.</summary>
public sealed record ManifestLoadResult(
    IReadOnlyList<LoadedManifest<Dag>> Dags,
    IReadOnlyList<LoadedManifest<DagRun>> DagRuns,
    IReadOnlyList<Diagnostic> Diagnostics)
{
    public bool HasErrors => Diagnostics.Any(d => d.IsError);
}

/// <summary>
/// Loads Dag and DagRun manifests from YAML (one or more documents separated by <c>---</c>) or JSON text.
/// Pure: the caller reads the file and passes its text and name. Never throws on bad input: syntax errors,
/// unknown fields and wrong types come back as <see cref="Diagnostic"/>s with file and line.
/// Documents of other kinds (ConfigMaps, CRDs...) are skipped with an info diagnostic.
/// </summary>
public static class ManifestLoader
{
    public static ManifestLoadResult Load(string text, string? sourceName = null)
    {
        var dags = new List<LoadedManifest<Dag>>();
        var runs = new List<LoadedManifest<DagRun>>();
        var diagnostics = new List<Diagnostic>();

        // JSON is (for manifests) a subset of YAML: one parser gives both formats line numbers.
        var stream = new YamlStream();
        var parser = new Parser(new StringReader(text));
        Diagnostic? syntaxError = null;
        try
        {
            stream.Load(parser);
        }
        catch (YamlException e)
        {
            // Documents before the broken one are kept in stream.Documents and still checked.
            syntaxError = SyntaxError(YamlMessage(e), e.Start, sourceName, stream.Documents.Count);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // YamlDotNet's scanner throws these on some malformed input (e.g. an unclosed flow mapping).
            syntaxError = SyntaxError("malformed document (check for an unclosed bracket, brace or quote on or before this line)", parser.Current?.End, sourceName, stream.Documents.Count);
        }

        for (var index = 0; index < stream.Documents.Count; index++)
        {
            var root = stream.Documents[index].RootNode;
            var document = new DocumentContext(sourceName, index, checked((int)root.Start.Line));
            LoadDocument(root, document, dags, runs, diagnostics);
        }
        if (syntaxError is not null)
        {
            diagnostics.Add(syntaxError);
        }
        return new ManifestLoadResult(dags, runs, diagnostics);
    }

    private static Diagnostic SyntaxError(string message, Mark? at, string? sourceName, int documentIndex) =>
        new(Severity.Error, "YAML syntax error: " + message)
        {
            File = sourceName,
            Line = at is { Line: > 0 } mark ? checked((int)mark.Line) : null,
            DocumentIndex = documentIndex,
        };

    private static void LoadDocument(
        YamlNode root, DocumentContext document,
        List<LoadedManifest<Dag>> dags, List<LoadedManifest<DagRun>> runs, List<Diagnostic> diagnostics)
    {
        if (root is YamlScalarNode empty && YamlScalars.IsNull(empty))
        {
            return; // an empty document, e.g. after a trailing ---
        }
        if (root is not YamlMappingNode mapping)
        {
            diagnostics.Add(document.Diagnose(Severity.Error, null,
                $"expected a Kubernetes object (a mapping with apiVersion and kind), got {TypedYamlReader.DescribeNode(root)}"));
            return;
        }
        var apiVersion = ScalarAt(mapping, "apiVersion");
        var kind = ScalarAt(mapping, "kind");
        var name = ScalarAt(mapping, "metadata", "name") ?? ScalarAt(mapping, "metadata", "generateName");
        if (string.IsNullOrEmpty(apiVersion) || string.IsNullOrEmpty(kind))
        {
            var missing = string.IsNullOrEmpty(apiVersion) ? "apiVersion" : "kind";
            diagnostics.Add(document.Diagnose(Severity.Error, missing,
                $"missing {missing} (a K8sFlow manifest starts with apiVersion: {K8sFlowApi.ApiVersion} and kind: {K8sFlowApi.DagKind} or {K8sFlowApi.DagRunKind})"));
            return;
        }
        var isOurGroup = apiVersion.StartsWith(K8sFlowApi.Group + "/", StringComparison.Ordinal);
        var type = kind switch
        {
            K8sFlowApi.DagKind => typeof(Dag),
            K8sFlowApi.DagRunKind => typeof(DagRun),
            _ => null,
        };
        if (!isOurGroup)
        {
            var what = name is null ? kind : $"{kind} {name}";
            diagnostics.Add(document.Diagnose(Severity.Info, null, $"skipped {what} ({apiVersion} is not a K8sFlow resource)"));
            return;
        }
        if (apiVersion != K8sFlowApi.ApiVersion)
        {
            diagnostics.Add(document.Diagnose(Severity.Error, "apiVersion",
                $"unsupported apiVersion \"{apiVersion}\" (expected {K8sFlowApi.ApiVersion})"));
            return;
        }
        if (type is null)
        {
            diagnostics.Add(document.Diagnose(Severity.Error, "kind",
                $"unknown kind \"{kind}\" (expected {K8sFlowApi.DagKind} or {K8sFlowApi.DagRunKind})"));
            return;
        }

        var named = type == typeof(Dag) ? document with { Dag = name } : document with { DagRun = name };
        var reader = new TypedYamlReader(named);
        var json = reader.Read(root, type, "");
        diagnostics.AddRange(reader.Diagnostics);
        if (reader.Diagnostics.Count > 0 || json is null)
        {
            return;
        }
        var source = new SourceMap(document.File, document.Index, document.StartLine, reader.Lines);
        if (!TryDeserialize(json, type, named, source, diagnostics, out var resource))
        {
            return;
        }
        switch (resource)
        {
            case Dag dag:
                dags.Add(new LoadedManifest<Dag>(dag, source));
                break;
            case DagRun run:
                runs.Add(new LoadedManifest<DagRun>(run, source));
                break;
        }
    }

    private static bool TryDeserialize(
        JsonNode json, Type type, DocumentContext document, SourceMap source, List<Diagnostic> diagnostics,
        out KubernetesObject? resource)
    {
        try
        {
            resource = (KubernetesObject?)json.Deserialize(type, K8sFlowJson.Options);
            return resource is not null;
        }
        catch (JsonException e)
        {
            // The typed reader checks shapes first, so this is a backstop; keep it located and readable.
            var path = e.Path is { Length: > 1 } p ? p.TrimStart('$').TrimStart('.') : null;
            var message = e.Message.Split(" Path:", 2)[0];
            diagnostics.Add(document.Diagnose(Severity.Error, path, message, source.LineOf(path), task: null));
            resource = null;
            return false;
        }
    }

    private static string? ScalarAt(YamlMappingNode mapping, params string[] keys)
    {
        YamlNode node = mapping;
        foreach (var key in keys)
        {
            if (node is not YamlMappingNode m || !m.Children.TryGetValue(new YamlScalarNode(key), out node!))
            {
                return null;
            }
        }
        return (node as YamlScalarNode)?.Value;
    }

    // YamlDotNet messages sometimes repeat the position ("(Line: 3, Col: 1, Idx: 9) - (...): "); the line is reported separately.
    private static string YamlMessage(YamlException e)
    {
        var message = e.Message;
        var marker = message.IndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith("(Line:", StringComparison.Ordinal) && marker > 0 ? message[(marker + 3)..] : message;
    }
}

/// <summary>Where a document is and what it is called, for the diagnostics raised while loading it.</summary>
internal sealed record DocumentContext(string? File, int Index, int StartLine)
{
    public string? Dag { get; init; }
    public string? DagRun { get; init; }

    public Diagnostic Diagnose(Severity severity, string? field, string message, int? line = null, string? task = null) =>
        new(severity, message)
        {
            File = File,
            Line = line ?? StartLine,
            DocumentIndex = Index,
            Dag = Dag,
            DagRun = DagRun,
            Task = task,
            Field = string.IsNullOrEmpty(field) ? null : field,
        };
}
