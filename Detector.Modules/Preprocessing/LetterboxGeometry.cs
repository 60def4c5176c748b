using Detector.Modules.Preprocessing.Contracts;

namespace Detector.Modules.Preprocessing;

/// <summary>Where the resized image lands in the model input, computed from the oriented original size only.</summary>
internal readonly record struct LetterboxGeometry(int ResizedWidth, int ResizedHeight, int OffsetX, int OffsetY, InputTransform Transform)
{
    public static LetterboxGeometry For(PreprocessSpec spec, int width, int height)
    {
        if (spec.ResizeMode == ResizeMode.Stretch)
        {
            var stretch = new InputTransform((float)spec.Width / width, (float)spec.Height / height, 0, 0, width, height);
            return new LetterboxGeometry(spec.Width, spec.Height, 0, 0, stretch);
        }

        // Double and truncation on purpose: the reference is Python's r = min(H/h, W/w); int(w*r).
        var r = Math.Min((double)spec.Height / height, (double)spec.Width / width);
        var nw = Math.Clamp((int)(width * r), 1, spec.Width);
        var nh = Math.Clamp((int)(height * r), 1, spec.Height);
        var (ox, oy) = spec.ResizeMode == ResizeMode.LetterboxCentered
            ? ((spec.Width - nw) / 2, (spec.Height - nh) / 2)
            : (0, 0);
        var transform = new InputTransform((float)r, (float)r, ox, oy, width, height);
        return new LetterboxGeometry(nw, nh, ox, oy, transform);
    }
}
