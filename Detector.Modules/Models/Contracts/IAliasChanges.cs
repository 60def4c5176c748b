namespace Detector.Modules.Models.Contracts;

/// <summary>Alias changes other modules make (rollouts: a guardrail's rollback, a promotion), kept in the alias history and the audit log like the admin API's.</summary>
public interface IAliasChanges
{
    /// <summary>
    /// Sets the alias's traffic share, if it still names <paramref name="version"/> (false when it
    /// moved meanwhile: the decision was about a version no longer there).
    /// </summary>
    Task<bool> SetShareAsync(string model, string aliasName, string version, double share, string actor, string reason, CancellationToken cancellationToken);

    /// <summary>
    /// Points production at the version <paramref name="aliasName"/> names and removes the alias, if it
    /// still names <paramref name="version"/> (null: whatever it names, read in the transaction);
    /// returns the version promoted, or null when the alias is gone or moved.
    /// </summary>
    Task<string?> PromoteAsync(string model, string aliasName, string? version, string actor, string reason, CancellationToken cancellationToken);
}
