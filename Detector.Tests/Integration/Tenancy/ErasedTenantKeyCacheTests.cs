using System.Diagnostics;
using System.Net;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Images.Encryption;
using Detector.Tests.Integration.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace Detector.Tests.Integration.Tenancy;

/// <summary>Two instances of one database: erasing a tenant through one drops its image data key from the other's memory.</summary>
[Collection(TwoInstancesCollection.Name)]
public sealed class ErasedTenantKeyCacheTests(TwoInstances instances)
{
    [Fact]
    public async Task An_instance_drops_an_erased_tenants_cached_data_key_as_soon_as_it_hears_of_the_erase()
    {
        var (tenantId, _, _) = await instances.A.CreateTenantAsync("erase-key-cache");
        var keysOnB = instances.B.Services.GetRequiredService<TenantKeyStore>();
        await instances.B.Services.GetRequiredService<IImageStore>().PutAsync(tenantId, await File.ReadAllBytesAsync(JobsTestKit.CocoFiles[11]), CancellationToken.None);
        Assert.True(keysOnB.IsCached(tenantId));

        using var admin = instances.A.Admin();
        using (var erased = await admin.PostAsync($"/v1/admin/tenants/{tenantId}/erase", null))
        {
            Assert.Equal(HttpStatusCode.OK, erased.StatusCode);
        }

        // Heard through Tenancy's change feed (LISTEN/NOTIFY), not when the key's 60 s in B's cache run out.
        var stopwatch = Stopwatch.StartNew();
        while (keysOnB.IsCached(tenantId))
        {
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), "B still holds the erased tenant's data key 5 s after the erase");
            await Task.Delay(20);
        }
    }
}
