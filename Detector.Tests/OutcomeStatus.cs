using Detector.Modules.Common;

namespace Detector.Tests;

/// <summary>
/// The HTTP status a domain outcome is answered with (the outcome table's), readable as
/// <c>ex.Status</c> in tests written when outcomes carried one.
/// </summary>
internal static class OutcomeStatus
{
    extension(DomainException problem)
    {
        public int Status => OutcomeTable.StatusOf(problem.Kind);
    }
}
