using Detector.Modules.Images.Storage;
using Detector.Tests.Integration.Jobs;
using Detector.Web;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Detector.Tests.Integration.ImageStorage;

/// <summary>`images index`: what a backend held before the index existed gets a row, so the orphan sweep sees it.</summary>
public sealed class ImageIndexCommandTests : IAsyncLifetime
{
    private readonly FreshDatabase _database = new("images_index");

    public Task InitializeAsync() => _database.CreateAsync();

    public Task DisposeAsync() => _database.DropAsync();

    [Fact]
    public async Task Indexing_adds_the_images_a_folder_held_without_a_row_and_leaves_indexed_ones_alone()
    {
        await using var host = await ImageStoreHost.StartAsync(_database.ConnectionString, new Dictionary<string, string?> { ["ImageStore:Backend"] = "Local" });
        var tenant = Guid.NewGuid();
        var indexed = await host.Store.PutAsync(tenant, await File.ReadAllBytesAsync(JobsTestKit.CocoFiles[3]), CancellationToken.None);
        // A blob written before the index existed: straight to the backend, no row.
        var legacy = new ImageKey(tenant, new string('a', 64));
        await host.Services.GetRequiredService<IImageBackend>().PutAsync(legacy, new byte[] { 1, 2, 3 }, CancellationToken.None);

        using var output = new StringWriter();
        Assert.Equal(0, await ImagesCommand.RunAsync(host.Services, ["images", "index"], output, CancellationToken.None));

        Assert.Contains("2 image(s) listed, 1 added", output.ToString(), StringComparison.Ordinal);
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT sha256 FROM images.stored WHERE tenant_id = @t ORDER BY sha256", connection);
        command.Parameters.AddWithValue("t", tenant);
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }

        Assert.Equal(new[] { legacy.Sha256, indexed.Sha256 }.Order(StringComparer.Ordinal), rows);
    }
}
