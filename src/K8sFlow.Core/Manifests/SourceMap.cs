namespace K8sFlow.Core.Manifests;

/// <summary>
/// Where one loaded document came from: the file, the document's index and first line, and the line of
/// every field path the loader saw (<c>spec.tasks[2].retries</c> -> 14), so validation errors point at the
/// exact line. Resources that did not come from a file (e.g. read from the API server) use <see cref="None"/>.
/// </summary>
public sealed class SourceMap
{
    private readonly IReadOnlyDictionary<string, int> _lines;

    public SourceMap(string? file, int? documentIndex, int? startLine, IReadOnlyDictionary<string, int>? lines = null)
    {
        File = file;
        DocumentIndex = documentIndex;
        StartLine = startLine;
        _lines = lines ?? new Dictionary<string, int>();
    }

    public static SourceMap None { get; } = new(null, null, null);

    public string? File { get; }
    public int? DocumentIndex { get; }

    /// <summary>1-based line where the document's content starts.</summary>
    public int? StartLine { get; }

    /// <summary>
    /// The line of <paramref name="fieldPath"/>, else of its nearest ancestor that was written
    /// (a missing <c>spec.tasks[1].image</c> points at <c>spec.tasks[1]</c>), else the document start.
    /// </summary>
    public int? LineOf(string? fieldPath)
    {
        var path = fieldPath;
        while (!string.IsNullOrEmpty(path))
        {
            if (_lines.TryGetValue(path, out var line))
            {
                return line;
            }
            path = FieldPaths.Parent(path);
        }
        return StartLine;
    }

    /// <summary>A diagnostic located at <paramref name="fieldPath"/> in this source.</summary>
    public Diagnostic Diagnose(Severity severity, string? fieldPath, string message) => new(severity, message)
    {
        File = File,
        Line = LineOf(fieldPath),
        DocumentIndex = DocumentIndex,
        Field = fieldPath,
    };
}

/// <summary>Field paths as users read them: <c>spec.tasks[2].retries</c>.</summary>
public static class FieldPaths
{
    public static string Property(string? parent, string name) =>
        string.IsNullOrEmpty(parent) ? name : parent + "." + name;

    public static string Item(string parent, int index) => $"{parent}[{index}]";

    /// <summary><c>spec.tasks[2].retries</c> -> <c>spec.tasks[2]</c> -> <c>spec.tasks</c> -> <c>spec</c> -> null.</summary>
    public static string? Parent(string path)
    {
        var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
        return cut <= 0 ? null : path[..cut];
    }
}
