namespace Detector.Tests;

/// <summary>Secrets of the test hosts only (never of a deployment): fixed, so every test host of a run can read every other's images.</summary>
internal static class TestSecrets
{
    /// <summary>ImageStore:Encryption:MasterKey of the tests: 32 bytes (SHA-256 of a fixed phrase) in base64.</summary>
    public const string ImageMasterKey = "LNIieojwXY2XdRXbse+rw5oYiLwQ5oLV3BHI3RH5Cvs=";

    /// <summary>Compliance:AuditSubjectKey of the tests (at least 32 characters).</summary>
    public const string AuditSubjectKey = "tests-audit-subject-key-0123456789abcdef";
}
