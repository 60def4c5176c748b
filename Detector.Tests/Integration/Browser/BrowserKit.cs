using Microsoft.Playwright;

namespace Detector.Tests.Integration.Browser;

/// <summary>
/// Debian's headless Chromium driven by Playwright (the system browser as the executable: no
/// browser download), and where page tests keep their screenshots: <c>.run/test-results/screenshots</c>,
/// beside the test results CI keeps.
/// </summary>
internal sealed class BrowserKit : IAsyncDisposable
{
    public const string Chromium = "/usr/bin/chromium";

    public static readonly (int Width, int Height) Desktop = (1280, 900);

    /// <summary>A phone's viewport (CSS pixels of a 6.1" phone).</summary>
    public static readonly (int Width, int Height) Phone = (390, 844);

    private BrowserKit(IPlaywright playwright, IBrowser browser) => (Playwright, Browser) = (playwright, browser);

    public IPlaywright Playwright { get; }

    public IBrowser Browser { get; }

    public static string Screenshots { get; } = Path.Combine(TestPaths.RepoRoot, ".run", "test-results", "screenshots");

    public static async Task<BrowserKit> LaunchAsync()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install Debian's chromium (deploy/bootstrap.sh does)");
        var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        return new BrowserKit(playwright, browser);
    }

    public async Task<IPage> PageAsync((int Width, int Height) viewport, bool isMobile = false)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = viewport.Width, Height = viewport.Height },
            IsMobile = isMobile,
            HasTouch = isMobile,
        });
        return await context.NewPageAsync();
    }

    /// <summary>Saves the page's screenshot as a test artefact and answers its bytes.</summary>
    public static async Task<byte[]> KeepScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(Screenshots);
        return await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        Playwright.Dispose();
    }
}
