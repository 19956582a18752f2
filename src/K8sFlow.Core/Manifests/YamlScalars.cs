using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace K8sFlow.Core.Manifests;

/// <summary>
/// The YAML 1.2 core schema for plain (unquoted) scalars: null/~, true/false, integers and floats.
/// Quoted, literal and folded scalars are always strings. YAML 1.1's yes/no/on/off stay strings.
/// </summary>
internal static partial class YamlScalars
{
    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex DecimalInteger();

    [GeneratedRegex(@"^0o[0-7]+$")]
    private static partial Regex OctalInteger();

    [GeneratedRegex(@"^0x[0-9a-fA-F]+$")]
    private static partial Regex HexInteger();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex Float();

    private const string StringTag = "tag:yaml.org,2002:str";

    /// <summary>Unquoted and not tagged <c>!!str</c>: only these scalars get a type inferred.</summary>
    public static bool IsPlain(YamlScalarNode scalar) =>
        scalar.Style is ScalarStyle.Plain or ScalarStyle.Any && !(!scalar.Tag.IsEmpty && scalar.Tag.Value == StringTag);

    public static bool IsNull(YamlScalarNode scalar) =>
        IsPlain(scalar) && scalar.Value is null or "" or "~" or "null" or "Null" or "NULL";

    public static bool TryBoolean(YamlScalarNode scalar, out bool value)
    {
        value = scalar.Value is "true" or "True" or "TRUE";
        return IsPlain(scalar) && (value || scalar.Value is "false" or "False" or "FALSE");
    }

    public static bool TryInteger(YamlScalarNode scalar, out long value)
    {
        value = 0;
        var text = scalar.Value ?? "";
        if (!IsPlain(scalar))
        {
            return false;
        }
        if (DecimalInteger().IsMatch(text))
        {
            return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
        }
        if (HexInteger().IsMatch(text))
        {
            return long.TryParse(text[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value) && value >= 0;
        }
        if (OctalInteger().IsMatch(text))
        {
            try
            {
                value = Convert.ToInt64(text[2..], 8);
                return value >= 0;
            }
            catch (OverflowException)
            {
                return false;
            }
        }
        return false;
    }

    /// <summary>A finite float or integer (JSON has no infinity or NaN, so .inf/.nan stay strings).</summary>
    public static bool TryNumber(YamlScalarNode scalar, out double value)
    {
        value = 0;
        if (TryInteger(scalar, out var integer))
        {
            value = integer;
            return true;
        }
        return IsPlain(scalar) && Float().IsMatch(scalar.Value ?? "")
            && double.TryParse(scalar.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out value)
            && double.IsFinite(value);
    }

    /// <summary>The scalar's JSON value with its type inferred (for free-form fields: param defaults, podTemplate).</summary>
    public static JsonNode? Infer(YamlScalarNode scalar)
    {
        if (IsNull(scalar))
        {
            return null;
        }
        if (TryBoolean(scalar, out var boolean))
        {
            return JsonValue.Create(boolean);
        }
        if (TryInteger(scalar, out var integer))
        {
            return JsonValue.Create(integer);
        }
        if (TryNumber(scalar, out var number))
        {
            return JsonValue.Create(number);
        }
        return JsonValue.Create(scalar.Value ?? "");
    }
}
