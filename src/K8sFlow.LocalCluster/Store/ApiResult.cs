using System.Diagnostics.CodeAnalysis;

namespace K8sFlow.LocalCluster.Store;

/// <summary>
/// The outcome of a store call: a value, or the Status the HTTP API would answer with.
/// Warnings are what the server would send as <c>Warning: 299</c> headers.
/// </summary>
public sealed record ApiResult<T>
{
    private ApiResult(T? value, ApiStatus? error, IReadOnlyList<string> warnings)
    {
        Value = value;
        Error = error;
        Warnings = warnings;
    }

    public T? Value { get; }

    public ApiStatus? Error { get; }

    public IReadOnlyList<string> Warnings { get; }

    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Error is null;

    public static ApiResult<T> Ok(T value, IReadOnlyList<string>? warnings = null) => new(value, null, warnings ?? []);

    public static ApiResult<T> Fail(ApiStatus error) => new(default, error, []);

    public static implicit operator ApiResult<T>(ApiStatus error) => Fail(error);

    /// <summary>The value, or an exception naming the Status (for callers that treat failure as a bug).</summary>
    public T Unwrap() => IsSuccess ? Value : throw new InvalidOperationException($"{Error.Code} {Error.Reason}: {Error.Message}");
}
