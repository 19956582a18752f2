namespace K8sFlow.Core.Tests.Crds;

/// <summary>Files committed in the repository (the tests run from bin/, somewhere below its root).</summary>
internal static class RepoFiles
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "K8sFlow.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"K8sFlow.sln not found above {AppContext.BaseDirectory}");
    }
}
