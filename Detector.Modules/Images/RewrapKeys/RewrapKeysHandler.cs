using Detector.Modules.Images.Encryption;

namespace Detector.Modules.Images.RewrapKeys;

/// <summary>
/// `images rewrap-keys`: moves every tenant's data key under the active master key, after a
/// master-key rotation; the images themselves are not rewritten. Once it has run, the retired
/// master keys can be dropped from the configuration.
/// </summary>
internal sealed class RewrapKeysHandler(TenantKeyStore keys, IKeyWrapper wrapper)
{
    public async Task<int> HandleAsync(TextWriter output, CancellationToken ct)
    {
        var moved = await keys.RewrapAllAsync(ct);
        await output.WriteLineAsync($"images rewrap-keys: {moved} data key(s) now wrapped under master key '{wrapper.ActiveKeyId}'; no image was rewritten");
        return 0;
    }
}
