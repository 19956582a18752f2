using System.Text;

namespace K8sFlow.LocalCluster.JobRunner;

/// <summary>
/// Kubernetes' <c>$(VAR)</c> references in env values, command and args: a defined variable is
/// replaced, an undefined reference stays as written, and <c>$$</c> escapes a <c>$</c>.
/// </summary>
internal static class VariableExpansion
{
    public static string Expand(string input, Func<string, string?> lookup)
    {
        var output = new StringBuilder(input.Length);
        for (var i = 0; i < input.Length; i++)
        {
            if (input[i] != '$' || i + 1 >= input.Length)
            {
                output.Append(input[i]);
                continue;
            }
            var next = input[i + 1];
            if (next == '$')
            {
                output.Append('$');
                i++;
            }
            else if (next == '(' && input.IndexOf(')', i + 2) is var close and > 0)
            {
                var name = input[(i + 2)..close];
                output.Append(lookup(name) ?? $"$({name})");
                i = close;
            }
            else
            {
                output.Append('$').Append(next);
                i++;
            }
        }
        return output.ToString();
    }
}
