using System.Text.Json.Nodes;
using K8sFlow.LocalCluster.Json;
using K8sFlow.LocalCluster.Store;

namespace K8sFlow.LocalCluster.Schema;

/// <summary>Validation causes worded like k8s.io/apimachinery's field.Error, reason for reason.</summary>
internal static class FieldErrors
{
    public static StatusCause Required(string path, string detail = "") =>
        new("FieldValueRequired", detail.Length == 0 ? "Required value" : $"Required value: {detail}", path);

    public static StatusCause Invalid(string path, JsonNode? value, string detail) =>
        new("FieldValueInvalid", $"Invalid value: {KubeJson.Display(value)}: {detail}", path);

    public static StatusCause TypeInvalid(string path, string actualType, string expectedType) =>
        new("FieldValueTypeInvalid", $"Invalid value: \"{actualType}\": {path} in body must be of type {expectedType}: \"{actualType}\"", path);

    public static StatusCause NotSupported(string path, JsonNode? value, IEnumerable<JsonNode?> supported) =>
        new("FieldValueNotSupported",
            $"Unsupported value: {KubeJson.Display(value)}: supported values: {string.Join(", ", supported.Select(KubeJson.Display))}", path);

    public static StatusCause TooLong(string path, long max) =>
        new("FieldValueTooLong", $"Too long: may not be more than {max} bytes", path);

    public static StatusCause TooMany(string path, long actual, long max) =>
        new("FieldValueTooMany", $"Too many: {actual}: must have at most {max} items", path);

    public static StatusCause Duplicate(string path, JsonNode? value) =>
        new("FieldValueDuplicate", $"Duplicate value: {KubeJson.Display(value)}", path);

    public static StatusCause Forbidden(string path, string detail) =>
        new("FieldValueForbidden", $"Forbidden: {detail}", path);

    public static string Child(string path, string field) => path.Length == 0 ? field : path + "." + field;

    public static string Index(string path, int index) => $"{path}[{index}]";
}
