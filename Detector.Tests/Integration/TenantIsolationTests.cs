using System.Net;
using System.Text.Json;
using Detector.Modules.Common;

namespace Detector.Tests.Integration;

[Collection(ApiCollection.Name)]
public sealed class TenantIsolationTests(DetectorApiFactory factory)
{
    [Fact]
    public async Task Tenant_B_gets_404_for_tenant_As_result_and_never_lists_it()
    {
        var (a, _) = await factory.CreateTenantClientAsync("tenant-a");
        var (b, _) = await factory.CreateTenantClientAsync("tenant-b");
        using var posted = await a.PostAsync("/v1/detect", DetectorApiFactory.ImageForm(BadImages.Dog));
        using var doc = JsonDocument.Parse(await posted.Content.ReadAsStringAsync());
        var id = doc.RootElement.GetProperty("id").GetGuid();

        using (var mine = await a.GetAsync($"/v1/results/{id}"))
        {
            Assert.Equal(HttpStatusCode.OK, mine.StatusCode);
        }

        using (var theirs = await b.GetAsync($"/v1/results/{id}"))
        {
            await ProblemAssert.IsProblemAsync(theirs, HttpStatusCode.NotFound, ErrorCodes.NotFound);
        }

        using var list = JsonDocument.Parse(await b.GetStringAsync("/v1/results?limit=100"));
        Assert.DoesNotContain(list.RootElement.GetProperty("items").EnumerateArray(), i => i.GetProperty("id").GetGuid() == id);
    }
}
