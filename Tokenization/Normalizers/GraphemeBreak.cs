namespace BertSharp.Tokenization.Normalizers;

/// <summary>
/// Extended grapheme cluster boundaries (UAX #29, rules GB3–GB13 and GB999, as unicode-segmentation's
/// <c>graphemes(true)</c>) over code points, from the generated tables (GraphemeBreakTables.g.cs). GB9c (Indic
/// conjuncts) is not applied: its clusters are at least 7 UTF-8 bytes, above what the Precompiled rule looks at.
/// </summary>
internal static partial class GraphemeBreak
{
    internal enum Property : byte { Other, CR, LF, Control, Extend, ZWJ, RegionalIndicator, Prepend, SpacingMark, L, V, T, LV, LVT }

    public static Property Of(int cp)
    {
        int i = BreakStarts.BinarySearch(cp);
        if (i < 0) i = ~i - 1;
        return i >= 0 && cp <= BreakEnds[i] ? (Property)BreakValues[i] : Property.Other;
    }

    public static bool IsExtendedPictographic(int cp)
    {
        int i = PictographicStarts.BinarySearch(cp);
        if (i < 0) i = ~i - 1;
        return i >= 0 && cp <= PictographicEnds[i];
    }

    /// <summary>The end (exclusive) of the cluster that starts at code point <paramref name="start"/> of <paramref name="cps"/>.</summary>
    public static int ClusterEnd(ReadOnlySpan<int> cps, int start)
    {
        int i = start;
        var prev = Of(cps[i]);
        bool inEmoji = IsExtendedPictographic(cps[i]);   // the text so far ends with ExtPict Extend*
        bool zwjAfterEmoji = false;                       // prev is a ZWJ that follows ExtPict Extend* (GB11)
        int regional = prev == Property.RegionalIndicator ? 1 : 0;
        i++;
        while (i < cps.Length)
        {
            var next = Of(cps[i]);
            bool nextPictographic = IsExtendedPictographic(cps[i]);
            bool join;
            if (prev == Property.CR && next == Property.LF) join = true;                                   // GB3
            else if (prev is Property.Control or Property.CR or Property.LF) join = false;                 // GB4
            else if (next is Property.Control or Property.CR or Property.LF) join = false;                 // GB5
            else if (prev == Property.L && next is Property.L or Property.V or Property.LV or Property.LVT) join = true; // GB6
            else if (prev is Property.LV or Property.V && next is Property.V or Property.T) join = true;   // GB7
            else if (prev is Property.LVT or Property.T && next == Property.T) join = true;                // GB8
            else if (next is Property.Extend or Property.ZWJ) join = true;                                 // GB9
            else if (next == Property.SpacingMark) join = true;                                            // GB9a
            else if (prev == Property.Prepend) join = true;                                                // GB9b
            else if (prev == Property.ZWJ && zwjAfterEmoji && nextPictographic) join = true;               // GB11
            else if (prev == Property.RegionalIndicator && next == Property.RegionalIndicator && regional % 2 == 1) join = true; // GB12/13
            else join = false;
            if (!join) break;
            if (next == Property.ZWJ) { zwjAfterEmoji = inEmoji; inEmoji = false; }
            else { zwjAfterEmoji = false; inEmoji = nextPictographic || (inEmoji && next == Property.Extend); }
            regional = next == Property.RegionalIndicator ? regional + 1 : 0;
            prev = next;
            i++;
        }
        return i;
    }
}
