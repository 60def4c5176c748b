namespace Detector.Modules.Variants;

/// <summary>A model or a setting the export cannot handle; the command prints the message and exits 1.</summary>
internal sealed class VariantExportException(string message) : Exception(message);
