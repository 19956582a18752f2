namespace K8sFlow.Core.Params;

/// <summary>The param types of <c>spec.params.*.type</c> (JSON Schema names).</summary>
public static class ParamTypes
{
    public const string String = "string";
    public const string Integer = "integer";
    public const string Number = "number";
    public const string Boolean = "boolean";
    public const string Array = "array";
    public const string Object = "object";

    /// <summary>An absent type means string.</summary>
    public const string Default = String;

    public static readonly IReadOnlyList<string> All = [String, Integer, Number, Boolean, Array, Object];

    public static bool IsKnown(string? type) => type is null || All.Contains(type);
}
