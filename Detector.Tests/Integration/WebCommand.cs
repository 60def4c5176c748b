namespace Detector.Tests.Integration;

/// <summary>One of the service's command lines (`Detector.Web export|calibrate ...`) run as a real process, as scripts run it.</summary>
internal static class WebCommand
{
    public static Task<(int Code, string Output)> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string> environment, TimeSpan timeout) =>
        ChildProcess.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "Detector.Web.dll"), .. args], timeout, environment);
}
