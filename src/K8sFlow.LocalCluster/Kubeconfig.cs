using System.Text;

namespace K8sFlow.LocalCluster;

/// <summary>The kubeconfig that points kubectl (or any client) at a local cluster.</summary>
internal static class Kubeconfig
{
    public static string Render(Uri server, string token, string contextName, string? certificateAuthorityPem, string ns = "default")
    {
        var text = new StringBuilder();
        text.Append("apiVersion: v1\n");
        text.Append("kind: Config\n");
        text.Append("clusters:\n");
        text.Append($"- name: {contextName}\n");
        text.Append("  cluster:\n");
        text.Append($"    server: {server.GetLeftPart(UriPartial.Authority)}\n");
        if (certificateAuthorityPem is not null)
        {
            text.Append($"    certificate-authority-data: {Convert.ToBase64String(Encoding.UTF8.GetBytes(certificateAuthorityPem))}\n");
        }
        text.Append("users:\n");
        text.Append($"- name: {contextName}\n");
        text.Append("  user:\n");
        text.Append($"    token: {token}\n");
        text.Append("contexts:\n");
        text.Append($"- name: {contextName}\n");
        text.Append("  context:\n");
        text.Append($"    cluster: {contextName}\n");
        text.Append($"    user: {contextName}\n");
        text.Append($"    namespace: {ns}\n");
        text.Append($"current-context: {contextName}\n");
        return text.ToString();
    }

    /// <summary>Writes the file readable by its owner only (it holds the token).</summary>
    public static async Task WriteAsync(string path, string content, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }
        var temporary = path + ".tmp";
        await File.WriteAllTextAsync(temporary, content, cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        File.Move(temporary, path, overwrite: true);
    }
}
