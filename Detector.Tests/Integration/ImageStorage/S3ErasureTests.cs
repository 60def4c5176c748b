using System.Reflection;
using System.Runtime.ExceptionServices;
using Amazon.S3;
using Amazon.S3.Model;
using Detector.Modules.Common;
using Detector.Tests.Integration.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace Detector.Tests.Integration.ImageStorage;

/// <summary>
/// A tenant erase on the S3 backend against s3rver, with faults s3rver cannot produce injected in
/// front of it: a key DeleteObjects keeps refusing (a per-key error, which the SDK raises as
/// DeleteObjectsException), a key a store reports deleted but keeps listing, and unfinished
/// multipart uploads (s3rver 3.7.1 implements neither ListMultipartUploads nor
/// AbortMultipartUpload: it answers NotImplemented and 405, so those two calls are answered here).
/// </summary>
public sealed class S3ErasureTests(S3ServerFixture s3) : IClassFixture<S3ServerFixture>, IAsyncLifetime
{
    private readonly FreshDatabase _database = new("images_s3_erase");
    private readonly string _prefix = $"t-{Guid.NewGuid():N}/";

    public Task InitializeAsync() => _database.CreateAsync();

    public Task DisposeAsync() => _database.DropAsync();

    [Theory]
    [InlineData("refused")]
    [InlineData("kept")]
    public async Task An_S3_erase_with_a_key_the_store_will_not_delete_stops_after_its_retries_and_fails_saying_so(string fault)
    {
        var faults = new S3Faults();
        var settings = s3.Server.Settings(keyPrefix: _prefix);
        settings["ImageStore:S3:EraseRetries"] = "2";
        await using var host = await ImageStoreHost.StartAsync(_database.ConnectionString, settings, services => faults.Install(services));
        var tenant = Guid.NewGuid();
        var stuck = await host.Store.PutAsync(tenant, await File.ReadAllBytesAsync(JobsTestKit.CocoFiles[7]), CancellationToken.None);
        var other = await host.Store.PutAsync(tenant, await File.ReadAllBytesAsync(JobsTestKit.CocoFiles[8]), CancellationToken.None);
        faults.Stuck = key => key.EndsWith(stuck.Sha256, StringComparison.Ordinal);
        faults.Fault = fault;

        var erase = host.Store.EraseTenantAsync(tenant, CancellationToken.None);
        var failed = await Assert.ThrowsAsync<DomainException>(() => erase.WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(503, failed.Status);
        Assert.Equal(ErrorCodes.StorageUnavailable, failed.Code);
        Assert.Contains("1 image object(s)", failed.Detail, StringComparison.Ordinal);
        Assert.Contains(fault == "refused" ? "AccessDenied" : "listed again", failed.Detail, StringComparison.Ordinal);
        Assert.Equal(3, faults.DeleteCalls); // the first pass and two retries, then no more
        var left = new List<string>();
        await foreach (var key in host.Services.GetRequiredService<Detector.Modules.Images.Storage.IImageBackend>().ListAsync(CancellationToken.None))
        {
            left.Add(key.Sha256);
        }

        Assert.Equal([stuck.Sha256], left); // the other object went
        Assert.DoesNotContain(other.Sha256, left);
        Assert.Equal(2L, await CountAsync("SELECT count(*) FROM images.stored WHERE tenant_id = @t", tenant)); // the index stays: a retried erase finds the tenant
    }

    [Fact]
    public async Task An_S3_erase_aborts_the_tenants_unfinished_multipart_uploads_and_no_one_elses()
    {
        var tenant = Guid.NewGuid();
        var other = Guid.NewGuid();
        var faults = new S3Faults
        {
            Uploads =
            [
                new MultipartUpload { Key = $"{_prefix}{tenant:N}/ab/ab{new string('0', 62)}", UploadId = "tenant-upload", Initiated = DateTime.UtcNow },
                new MultipartUpload { Key = $"{_prefix}{other:N}/cd/cd{new string('0', 62)}", UploadId = "other-upload", Initiated = DateTime.UtcNow },
            ],
        };
        await using var host = await ImageStoreHost.StartAsync(_database.ConnectionString, s3.Server.Settings(keyPrefix: _prefix), services => faults.Install(services));
        await host.Store.PutAsync(tenant, await File.ReadAllBytesAsync(JobsTestKit.CocoFiles[9]), CancellationToken.None);

        var erased = await host.Store.EraseTenantAsync(tenant, CancellationToken.None);

        Assert.Equal(1, erased.Blobs);
        Assert.Equal(["tenant-upload"], faults.Aborted);
    }

    private async Task<long> CountAsync(string sql, Guid tenant)
    {
        await using var connection = new Npgsql.NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("t", tenant);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>The real S3 client, with faults injected into the calls a tenant erase makes.</summary>
public sealed class S3Faults
{
    private int _deleteCalls;

    /// <summary>Keys the store will not delete: "refused" answers a per-key AccessDenied, "kept" says deleted and keeps them.</summary>
    public Func<string, bool> Stuck { get; set; } = _ => false;

    public string Fault { get; set; } = "refused";

    /// <summary>Unfinished multipart uploads to list (null: ask the server).</summary>
    public List<MultipartUpload>? Uploads { get; init; }

    public List<string> Aborted { get; } = [];

    public int DeleteCalls => Volatile.Read(ref _deleteCalls);

    public void Install(IServiceCollection services)
    {
        var real = services.Last(d => d.ServiceType == typeof(IAmazonS3));
        services.AddSingleton(sp =>
        {
            var proxy = DispatchProxy.Create<IAmazonS3, S3FaultProxy>();
            ((S3FaultProxy)(object)proxy).Init((IAmazonS3)real.ImplementationFactory!(sp), this);
            return proxy;
        });
    }

    internal async Task<DeleteObjectsResponse> DeleteObjectsAsync(IAmazonS3 inner, DeleteObjectsRequest request, CancellationToken ct)
    {
        Interlocked.Increment(ref _deleteCalls);
        var stuck = request.Objects.Where(o => Stuck(o.Key)).ToList();
        var rest = request.Objects.Except(stuck).ToList();
        if (rest.Count > 0)
        {
            await inner.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = request.BucketName, Objects = rest }, ct);
        }

        if (stuck.Count == 0 || Fault == "kept")
        {
            return new DeleteObjectsResponse { DeletedObjects = [.. request.Objects.Select(o => new DeletedObject { Key = o.Key })] };
        }

        // What the SDK does with an answer that carries per-key errors.
        var response = new DeleteObjectsResponse
        {
            DeletedObjects = [.. rest.Select(o => new DeletedObject { Key = o.Key })],
            DeleteErrors = [.. stuck.Select(o => new DeleteError { Key = o.Key, Code = "AccessDenied", Message = "Access Denied" })],
        };
        var constructor = typeof(DeleteObjectsException).GetConstructor(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, [typeof(DeleteObjectsResponse)])!;
        throw (DeleteObjectsException)constructor.Invoke([response]);
    }

    internal ListMultipartUploadsResponse ListUploads(ListMultipartUploadsRequest request) =>
        new() { MultipartUploads = [.. Uploads!.Where(u => u.Key.StartsWith(request.Prefix ?? "", StringComparison.Ordinal))], IsTruncated = false };
}

/// <summary>Forwards every call to the real client but those <see cref="S3Faults"/> answers.</summary>
public class S3FaultProxy : DispatchProxy
{
    private IAmazonS3 _inner = null!;
    private S3Faults _faults = null!;

    internal void Init(IAmazonS3 inner, S3Faults faults)
    {
        _inner = inner;
        _faults = faults;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        switch (args)
        {
            case [DeleteObjectsRequest delete, CancellationToken ct]:
                return _faults.DeleteObjectsAsync(_inner, delete, ct);
            case [ListMultipartUploadsRequest list, CancellationToken] when _faults.Uploads is not null:
                return Task.FromResult(_faults.ListUploads(list));
            case [AbortMultipartUploadRequest abort, CancellationToken] when _faults.Uploads is not null:
                lock (_faults.Aborted)
                {
                    _faults.Aborted.Add(abort.UploadId);
                }

                return Task.FromResult(new AbortMultipartUploadResponse());
        }

        try
        {
            return targetMethod.Invoke(_inner, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }
    }
}
