using System.Text.RegularExpressions;
using SkiaSharp;

namespace Detector.Tests.Integration.Evaluation;

/// <summary>One inlined plot of a report page: its id, its alt text and its PNG.</summary>
internal sealed record PagePlot(string Id, string Alt, byte[] Png);

/// <summary>How much was drawn in an image: its size, distinct colours, pixels that are not white or that have colour, and whether text (a title) is drawn at its top.</summary>
internal sealed record Ink(int Width, int Height, int DistinctColours, double NonWhiteShare, int ColouredPixels, bool TopBandHasDarkText)
{
    public override string ToString() =>
        $"{Width}x{Height}, {DistinctColours} colours, {NonWhiteShare:P1} not white, {ColouredPixels} coloured pixels, dark text on top: {TopBandHasDarkText}";
}

/// <summary>Reads the plots out of the evaluation report page, measures images, and takes the page's screenshot in headless Chromium.</summary>
internal static partial class ReportPageKit
{
    public static readonly string[] PlotIds = ["plot-pr", "plot-reliability", "plot-confusion", "plot-ap"];

    public const string Chromium = "/usr/bin/chromium";

    public static IReadOnlyList<PagePlot> Plots(string html) =>
        [.. ImageTag().Matches(html).Select(m => new PagePlot(m.Groups["id"].Value, System.Net.WebUtility.HtmlDecode(m.Groups["alt"].Value), Convert.FromBase64String(m.Groups["png"].Value)))];

    /// <summary>The page with its images left out: the text-only baseline a screenshot of the real page must beat.</summary>
    public static string WithoutImages(string html) => ImageTag().Replace(html, string.Empty);

    public static Ink Measure(byte[] png)
    {
        using var bitmap = SKBitmap.Decode(png);
        Assert.True(bitmap is not null, "the PNG does not decode");
        var colours = new HashSet<uint>();
        long nonWhite = 0;
        var coloured = 0;
        var textOnTop = 0;
        var topBand = Math.Max(1, bitmap.Height / 12);
        for (var y = 0; y < bitmap.Height; y++)
        {
            var dark = 0;
            for (var x = 0; x < bitmap.Width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                colours.Add((uint)c);
                if (c.Red < 245 || c.Green < 245 || c.Blue < 245)
                {
                    nonWhite++;
                }

                if (Math.Max(c.Red, Math.Max(c.Green, c.Blue)) - Math.Min(c.Red, Math.Min(c.Green, c.Blue)) > 60)
                {
                    coloured++;
                }

                dark += c.Red < 100 && c.Green < 100 && c.Blue < 100 ? 1 : 0;
            }

            // Dark pixels of the top band in rows that are not a line across (a frame): a title's glyphs.
            textOnTop += y < topBand && dark < bitmap.Width / 2 ? dark : 0;
        }

        return new Ink(bitmap.Width, bitmap.Height, colours.Count, nonWhite / (double)(bitmap.Width * bitmap.Height), coloured, textOnTop > 100);
    }

    /// <summary>
    /// Renders <paramref name="htmlPath"/> in Debian's headless Chromium into <paramref name="pngPath"/>
    /// (a fresh profile, no network services, no GPU) and answers its screenshot's bytes.
    /// </summary>
    public static async Task<byte[]> ScreenshotAsync(string htmlPath, string pngPath, int width, int height)
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install Debian's chromium (deploy/bootstrap.sh does)");
        var profile = Directory.CreateTempSubdirectory("detector-chromium-");
        try
        {
            var (code, output) = await ChildProcess.RunAsync(
                Chromium,
                ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--hide-scrollbars", $"--user-data-dir={profile.FullName}",
                 $"--window-size={width},{height}", $"--screenshot={pngPath}", new Uri(htmlPath).AbsoluteUri],
                TimeSpan.FromSeconds(120));
            Assert.True(File.Exists(pngPath), $"chromium exited {code} without a screenshot: {output}");
            return await File.ReadAllBytesAsync(pngPath);
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }

    [GeneratedRegex("""<img id="(?<id>[^"]+)" src="data:image/png;base64,(?<png>[A-Za-z0-9+/=]+)" alt="(?<alt>[^"]*)"[^>]*>""")]
    private static partial Regex ImageTag();
}
