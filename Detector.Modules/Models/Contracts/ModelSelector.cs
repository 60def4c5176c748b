namespace Detector.Modules.Models.Contracts;

/// <summary>
/// What a request's <c>model</c> names: a model (its serving version), or a pinned version of it,
/// <c>name@version</c>. A pinned request is served by exactly that version or refused, never by a
/// degradation stand-in.
/// </summary>
public readonly record struct ModelSelector(string Name, string? Version)
{
    public const char Separator = '@';

    public bool Pinned => Version is not null;

    public static ModelSelector Parse(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var at = model.IndexOf(Separator, StringComparison.Ordinal);
        return at < 0 ? new ModelSelector(model, null) : new ModelSelector(model[..at], model[(at + 1)..]);
    }

    /// <summary>Whether <paramref name="model"/> pins a version (null: the default model, unpinned).</summary>
    public static bool IsPinned(string? model) => model is not null && model.Contains(Separator, StringComparison.Ordinal);
}
