using BertSharp.Weights;

namespace BertSharp.Engine.Model.Heads;

/// <summary>
/// Checks that a checkpoint fits a task model before anything is loaded: every required tensor present with its shape.
/// A misfit is one <see cref="CheckpointException"/> listing what is missing, mis-shaped and unexpected (stored but
/// used by neither the encoder nor the head), so "a masked-LM checkpoint loaded as a classifier" reads as such.
/// Unexpected tensors alone are not an error (transformers only warns: e.g. a BertForPreTraining checkpoint used for
/// fill-mask carries cls.seq_relationship); they are returned for the caller to expose.
/// </summary>
internal static class HeadTensors
{
    /// <param name="required">encoder + head tensors the model reads</param>
    /// <param name="optional">canonical names that may be stored and are not unexpected (pooler, tied duplicates)</param>
    public static IReadOnlyList<string> Verify(Checkpoint checkpoint, string modelName, IEnumerable<ExpectedTensor> required,
        IEnumerable<string> optional)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        var missing = new List<string>();
        var misShaped = new List<string>();
        foreach (ExpectedTensor e in required)
        {
            string? stored = checkpoint.Resolve(e.Name);
            if (stored is null) { missing.Add(e.ToString()); continue; }
            used.Add(stored);
            TensorInfo info = checkpoint.GetInfo(e.Name);
            if (!SameShape(info.Shape, e.Shape))
                misShaped.Add($"'{stored}' has shape {info.ShapeString} != expected {TensorInfo.FormatShape(e.Shape)}");
        }
        foreach (string name in optional)
            if (checkpoint.Resolve(name) is string stored) used.Add(stored);
        var unexpected = new List<string>(checkpoint.UnusedTensorNames(used));
        if (missing.Count > 0 || misShaped.Count > 0)
        {
            var parts = new List<string>();
            if (missing.Count > 0) parts.Add($"missing {missing.Count}: {string.Join(", ", missing)}");
            if (misShaped.Count > 0) parts.Add($"wrong shape: {string.Join("; ", misShaped)}");
            if (unexpected.Count > 0) parts.Add($"unexpected {unexpected.Count}: {string.Join(", ", unexpected)}");
            string arch = checkpoint.Config.Architectures.Count > 0 ? string.Join(",", checkpoint.Config.Architectures) : "none";
            throw new CheckpointException(
                $"{checkpoint.Directory}: checkpoint does not fit {modelName} (config architectures: {arch}): {string.Join("; ", parts)}");
        }
        return unexpected;
    }

    private static bool SameShape(long[] stored, int[] expected)
    {
        if (stored.Length != expected.Length) return false;
        for (int i = 0; i < expected.Length; i++) if (stored[i] != expected[i]) return false;
        return true;
    }

    public static ExpectedTensor[] Linear(string weightName, string biasName, int outFeatures, int inFeatures) =>
        [new(weightName, [outFeatures, inFeatures]), new(biasName, [outFeatures])];
}
