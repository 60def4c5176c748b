namespace Detector.Web;

/// <summary>`Detector.Web eval ...`: runs a COCO dataset through the same pipeline the API uses.</summary>
internal static class EvalCommand
{
    public static Task<int> RunAsync(string[] args)
    {
        _ = args;
        Console.Error.WriteLine("eval: not wired yet");
        return Task.FromResult(2);
    }
}
