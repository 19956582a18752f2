using K8sFlow.Core.Manifests;

namespace K8sFlow.Cli;

/// <summary>The manifests of one file, as loaded (the file name is the path the user gave).</summary>
internal sealed record ManifestFile(string Path, ManifestLoadResult Result);

/// <summary>Finds and reads manifest files: the CLI's I/O edge in front of the pure <see cref="ManifestLoader"/>.</summary>
internal static class ManifestFiles
{
    private static readonly string[] Extensions = [".yaml", ".yml", ".json"];

    /// <summary>
    /// Loads every path: files as given, directories as their *.yaml, *.yml and *.json files (with
    /// <paramref name="recursive"/>, also in subdirectories, like kubectl apply -R). A path that cannot be
    /// read becomes an error diagnostic naming it.
    /// </summary>
    public static IReadOnlyList<ManifestFile> Load(IEnumerable<string> paths, bool recursive)
    {
        var files = new List<ManifestFile>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                var option = recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly;
                var found = Directory.EnumerateFiles(path, "*", option)
                    .Where(f => Extensions.Contains(System.IO.Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal)
                    .ToList();
                if (found.Count == 0)
                {
                    files.Add(Failed(path, "no *.yaml, *.yml or *.json files in this directory"));
                }
                files.AddRange(found.Select(LoadFile));
            }
            else
            {
                files.Add(LoadFile(path));
            }
        }
        return files;
    }

    private static ManifestFile LoadFile(string path)
    {
        if (!File.Exists(path))
        {
            return Failed(path, "no such file or directory");
        }
        try
        {
            return new ManifestFile(path, ManifestLoader.Load(File.ReadAllText(path), path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Failed(path, "cannot read the file: " + e.Message);
        }
    }

    private static ManifestFile Failed(string path, string message) =>
        new(path, new ManifestLoadResult([], [], [new Diagnostic(Severity.Error, message) { File = path }]));
}
