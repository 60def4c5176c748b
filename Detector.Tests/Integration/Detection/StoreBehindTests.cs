using System.Net;
using System.Text.Json;
using Detector.Modules.Detection.DetectAndRecord;
using Detector.Modules.Images.Contracts;
using Detector.Tests.Integration.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace Detector.Tests.Integration.Detection;

/// <summary>The sync service with a gate in front of its image store, and a behind-budget of about one photo.</summary>
public sealed class StoreBehindFactory : JobsApiFactory
{
    /// <summary>The two photos these tests send; the budget holds either one, never both.</summary>
    public static readonly byte[][] Photos = [.. JobsTestKit.Coco(2).Select(p => p.Bytes)];

    internal GatedImageBackend Gate => Services.GetRequiredService<GatedImageBackend>();

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings() =>
    [
        new("Models:Enabled:0", "yolox_nano_416"),
        new("Detection:StoreBehindMaxBytes", (Photos.Max(p => p.Length) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)),
    ];

    protected override void ConfigureServices(IServiceCollection services) => GatedImageBackend.Install(services);
}

/// <summary>
/// A sync photo is stored behind its answer (ADR 0016): the answer does not wait for a store that
/// is slow, the result says <c>pending</c> and then what became of the image, and what a late put
/// wrote is removed when its result is gone.
/// </summary>
[Collection("Jobs")]
public sealed class StoreBehindTests(StoreBehindFactory factory) : IClassFixture<StoreBehindFactory>
{
    [Fact]
    public async Task A_photo_whose_store_is_stalled_is_answered_pending_and_its_result_says_stored_once_written()
    {
        using var tenant = await factory.NewTenantAsync("behind-stored");
        factory.Gate.Close();
        try
        {
            var answer = await StoredImages.DetectAsync(tenant, StoreBehindFactory.Photos[0]);
            Assert.Equal(("pending", (string?)null), StoredImages.Of(answer));
            var id = answer.GetProperty("id").GetGuid();
            Assert.Equal("pending", StoredImages.Of(JsonDocument.Parse(await tenant.GetStringAsync($"/v1/results/{id}")).RootElement).Storage);

            factory.Gate.Open();
            Assert.Equal(("stored", (string?)null), await StoredImages.SettledAsync(tenant, id));
            Assert.NotNull(await ImageAsync(tenant, answer));
        }
        finally
        {
            factory.Gate.Open();
        }
    }

    [Fact]
    public async Task A_result_deleted_while_its_photo_is_being_stored_leaves_no_image()
    {
        using var tenant = await factory.NewTenantAsync("behind-deleted");
        var orphanedBefore = DetectionMetrics.Puts.WithLabels("orphaned").Value;
        factory.Gate.Close();
        try
        {
            var answer = await StoredImages.DetectAsync(tenant, StoreBehindFactory.Photos[0]);
            Assert.Equal("pending", StoredImages.Of(answer).Storage);
            using (var deleted = await tenant.DeleteAsync($"/v1/results/{answer.GetProperty("id").GetGuid()}"))
            {
                Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
            }

            factory.Gate.Open();
            await WaitUntilAsync(() => DetectionMetrics.Puts.WithLabels("orphaned").Value > orphanedBefore, "the late put was never settled");
            Assert.Null(await ImageAsync(tenant, answer));
        }
        finally
        {
            factory.Gate.Open();
        }
    }

    [Fact]
    public async Task A_put_failing_after_the_answer_leaves_not_stored_and_the_next_request_hears_the_failing_store()
    {
        using var tenant = await factory.NewTenantAsync("behind-failed");
        factory.Gate.Close();
        try
        {
            var answer = await StoredImages.DetectAsync(tenant, StoreBehindFactory.Photos[1]);
            Assert.Equal("pending", StoredImages.Of(answer).Storage);
            factory.Gate.Open(succeed: false);
            Assert.Equal(("not_stored", "store_failed"), await StoredImages.SettledAsync(tenant, answer.GetProperty("id").GetGuid()));
            Assert.Null(await ImageAsync(tenant, answer));

            // The store failed last: the next photo is stored before its answer, which says so.
            using (var refused = await tenant.PostAsync("/v1/detect", DetectorApiFactory.ImageForm(StoreBehindFactory.Photos[0])))
            {
                await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.ServiceUnavailable, Detector.Modules.Common.ErrorCodes.StorageUnavailable);
            }

            // Healed: stored before the answer once, then behind answers again.
            factory.Gate.Close();
            factory.Gate.Open();
            Assert.Equal(("stored", (string?)null), StoredImages.Of(await StoredImages.DetectAsync(tenant, StoreBehindFactory.Photos[0])));
            factory.Gate.Close();
            Assert.Equal("pending", StoredImages.Of(await StoredImages.DetectAsync(tenant, StoreBehindFactory.Photos[1])).Storage);
        }
        finally
        {
            factory.Gate.Close();
            factory.Gate.Open();
        }
    }

    [Fact]
    public async Task Past_the_behind_budget_a_request_waits_for_its_own_put()
    {
        using var tenant = await factory.NewTenantAsync("behind-budget");
        factory.Gate.Close();
        try
        {
            var first = await StoredImages.DetectAsync(tenant, StoreBehindFactory.Photos[0]);
            Assert.Equal("pending", StoredImages.Of(first).Storage);

            // The budget holds one photo: the second is answered only once its own put is through.
            var second = StoredImages.DetectAsync(tenant, StoreBehindFactory.Photos[1]);
            await WaitUntilAsync(() => factory.Gate.Waiting >= 2, "the second put never reached the store");
            await Task.Delay(300);
            Assert.False(second.IsCompleted, "answered while its put waited with the budget full");

            factory.Gate.Open();
            Assert.Equal(("stored", (string?)null), StoredImages.Of(await second));
            Assert.Equal(("stored", (string?)null), await StoredImages.SettledAsync(tenant, first.GetProperty("id").GetGuid()));
        }
        finally
        {
            factory.Gate.Open();
        }
    }

    private async Task<byte[]?> ImageAsync(HttpClient tenant, JsonElement answer)
    {
        using var usage = JsonDocument.Parse(await tenant.GetStringAsync("/v1/usage"));
        var tenantId = usage.RootElement.GetProperty("tenant_id").GetGuid();
        return await factory.Services.GetRequiredService<IImageStore>().GetAsync(tenantId, answer.GetProperty("image").GetProperty("sha256").GetString()!, CancellationToken.None);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string failure)
    {
        var deadline = DateTime.UtcNow + StoredImages.Bound;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(20);
        }
    }
}
