using K8sFlow.Core.Api;
using K8sFlow.Core.Manifests;
using K8sFlow.Core.Params;

namespace K8sFlow.Core.Validation;

/// <summary>Checks a DagRun manifest; with its Dag at hand, also its params (spec §9: a bad run is refused).</summary>
public static class DagRunValidator
{
    public static IReadOnlyList<Diagnostic> Validate(DagRun run, Dag? dag = null, SourceMap? source = null)
    {
        var spec = run.Spec;
        var findings = new Findings(source ?? SourceMap.None, NullIfEmpty(spec.DagName), run.Metadata.Name ?? run.Metadata.GenerateName);
        var name = run.Metadata.Name;
        var generateName = run.Metadata.GenerateName;
        if (string.IsNullOrEmpty(name) && string.IsNullOrEmpty(generateName))
        {
            findings.Error("metadata.name", "a DagRun needs metadata.name or metadata.generateName");
        }
        else if (!string.IsNullOrEmpty(name) && !Names.IsDnsSubdomain(name))
        {
            findings.Error("metadata.name", $"invalid DagRun name \"{name}\": use lowercase letters, digits, '-' or '.', starting and ending with a letter or digit");
        }
        if (string.IsNullOrEmpty(spec.DagName))
        {
            findings.Error("spec.dagName", "a DagRun needs spec.dagName (the Dag to run)");
        }
        else if (!Names.IsDnsSubdomain(spec.DagName) || spec.DagName.Length > Names.MaxLabelLength)
        {
            findings.Error("spec.dagName", $"invalid Dag name \"{spec.DagName}\"");
        }
        if (spec.RunType is { } runType && !Names.RunTypes.All.Contains(runType))
        {
            findings.Error("spec.runType", $"unknown run type \"{runType}\"{Suggestions.DidYouMean(runType, Names.RunTypes.All)} (expected one of {string.Join(", ", Names.RunTypes.All)})");
        }
        if (spec.DataIntervalStart is { } start && spec.DataIntervalEnd is { } end && end < start)
        {
            findings.Error("spec.dataIntervalEnd", $"dataIntervalEnd {Names.FormatIso(end)} is before dataIntervalStart {Names.FormatIso(start)}");
        }
        if (dag is not null)
        {
            foreach (var error in ParamResolver.Resolve(dag.Spec.Params, spec.Params).Errors)
            {
                var field = spec.Params?.ContainsKey(error.Param) == true ? $"spec.params.{error.Param}" : "spec.params";
                findings.Error(field, $"param {error.Param}: {error.Message}");
            }
        }
        return findings.All;
    }

    private static string? NullIfEmpty(string text) => text.Length == 0 ? null : text;
}
