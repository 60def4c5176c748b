using Microsoft.Extensions.Options;

namespace Detector.Modules.Datasets.ExportVersion;

/// <summary>The materialized versions under <see cref="DatasetsOptions.WorkDirectory"/>, one folder per version id.</summary>
internal sealed class WorkFolders(IOptions<DatasetsOptions> options)
{
    public string Root => Path.GetFullPath(options.Value.WorkDirectory);

    public string FolderOf(string versionId) => Path.Combine(Root, versionId);

    /// <summary>Removes a version's materialized export (its images are a tenant's data: an erase takes them).</summary>
    public void Remove(string versionId)
    {
        var folder = FolderOf(versionId);
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
