using Detector.Client;
using Detector.Tests.Integration.Jobs;

namespace Detector.Tests.Integration.Client;

/// <summary>A job through Detector.Client against the real service and its real queue.</summary>
[Collection("Jobs")]
public sealed class TypedClientJobsTests(JobsApiFactory factory) : IClassFixture<JobsApiFactory>
{
    [Fact]
    public async Task A_job_of_five_distinct_coco_photos_is_submitted_followed_and_read_back_page_by_page()
    {
        using var http = await factory.NewTenantAsync("client-jobs");
        var client = new DetectorClient(http, new DetectorClientOptions { JobPollInterval = TimeSpan.FromMilliseconds(200) });
        var photos = new List<ImageUpload>();
        foreach (var path in JobsTestKit.CocoFiles.Take(5))
        {
            photos.Add(await ImageUpload.FromFileAsync(path));
        }

        var accepted = await client.SubmitJobAsync(photos, new JobOptions { MinScore = 0.3f });
        Assert.Equal("queued", accepted.Status);
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var job = await client.WaitForJobAsync(accepted.Id, patience.Token);
        Assert.Equal("succeeded", job.Status);
        Assert.Equal(new JobCounts(5, 5, 0, 0, 0), job.Counts);

        var items = new List<JobItem>();
        await foreach (var item in client.ListJobResultsAsync(accepted.Id, pageSize: 2))
        {
            items.Add(item); // three pages: 2, 2, 1
        }

        Assert.Equal([0, 1, 2, 3, 4], items.Select(i => i.Index));
        Assert.Equal(photos.Select(p => p.FileName), items.Select(i => i.FileName));
        Assert.All(items, i =>
        {
            Assert.Equal("succeeded", i.Status);
            Assert.Null(i.Error);
            Assert.Equal("job", i.Result!.Source);
            Assert.All(i.Result.Detections, d => Assert.True(d.Score >= 0.3f));
        });
        Assert.Equal(5, items.Select(i => i.Result!.Image.Sha256).Distinct().Count());
        Assert.Contains(items, i => i.Result!.Detections.Count > 0);
    }

    [Fact]
    public async Task A_job_that_does_not_exist_is_a_NotFoundException_with_the_job_code()
    {
        using var http = await factory.NewTenantAsync("client-jobs-missing");
        var client = new DetectorClient(http);
        var missing = await Assert.ThrowsAsync<NotFoundException>(() => client.GetJobAsync(Guid.NewGuid()));
        Assert.Equal(ProblemCodes.JobNotFound, missing.Code);
    }
}
