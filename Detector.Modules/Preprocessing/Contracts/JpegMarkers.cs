namespace Detector.Modules.Preprocessing.Contracts;

/// <summary>The JPEG markers (ITU-T T.81, table B.1) that the walker's callers tell apart.</summary>
public static class JpegMarkers
{
    public const byte Tem = 0x01;
    public const byte Soi = 0xD8;
    public const byte Eoi = 0xD9;
    public const byte Sos = 0xDA;
    public const byte App0 = 0xE0;
    public const byte App1 = 0xE1;
    public const byte App2 = 0xE2;
    public const byte App14 = 0xEE;
    public const byte App15 = 0xEF;
    public const byte Com = 0xFE;

    /// <summary>RST0..RST7: restart markers inside a scan's data.</summary>
    public static bool IsRestart(byte marker) => marker is >= 0xD0 and <= 0xD7;

    /// <summary>Markers that stand alone, without a length: TEM, RSTn, SOI, EOI.</summary>
    public static bool IsStandalone(byte marker) => marker == Tem || marker is >= 0xD0 and <= Eoi;

    /// <summary>A progressive frame header (SOF2, SOF6, SOF10, SOF14): decoding makes one pass per scan.</summary>
    public static bool IsProgressiveFrame(byte marker) => marker is 0xC2 or 0xC6 or 0xCA or 0xCE;

    /// <summary>Any other frame header (SOF0, 1, 3, 5, 7, 9, 11, 13, 15): one pass over the data. DHT (C4), JPG (C8) and DAC (CC) are not frames.</summary>
    public static bool IsSequentialFrame(byte marker) => marker is 0xC0 or 0xC1 or 0xC3 or 0xC5 or 0xC7 or 0xC9 or 0xCB or 0xCD or 0xCF;
}
