using BertSharp.Weights;

namespace BertSharp.Engine.SentenceTransformers;

/// <summary>
/// modules.json as a pipeline: Transformer (the BERT encoder, folder root) → Pooling → the sentence modules in file
/// order (Dense, Normalize, LayerNorm, Dropout). sentence-transformers runs the modules of modules.json one after the
/// other on one features dict (SentenceTransformer.forward); every module BertSharp cannot run is an error naming it,
/// nothing is skipped. A folder without modules.json is Transformer → mean Pooling.
/// </summary>
public sealed class SentencePipeline
{
    public SentencePooling Pooling { get; }
    /// <summary>The modules after Pooling, in modules.json order.</summary>
    public IReadOnlyList<SentenceModule> Modules { get; }
    /// <summary>Width of the sentence vectors the pipeline returns.</summary>
    public int OutputDimension { get; }
    /// <summary>Whether the last module is Normalize (the output is unit-length).</summary>
    public bool EndsNormalized { get; }

    private SentencePipeline(SentencePooling pooling, IReadOnlyList<SentenceModule> modules, int hidden)
    {
        Pooling = pooling; Modules = modules;
        int d = pooling.OutputDimension(hidden);
        foreach (SentenceModule m in modules) d = m.OutputDimension(d);
        OutputDimension = d;
        EndsNormalized = modules.Count > 0 && modules[^1] is NormalizeModule;
    }

    /// <summary>
    /// Builds the pipeline of <paramref name="model"/>'s folder; <paramref name="pooling"/> replaces the Pooling
    /// module's modes (include_prompt stays). The modules.json must start with the Transformer at the folder root.
    /// </summary>
    public static SentencePipeline Load(BertModel model, PoolingMode? pooling = null)
    {
        SentenceTransformersConfig? st = model.SentenceTransformers;
        int hidden = model.Config.HiddenSize;
        if (st is null) return new SentencePipeline(new SentencePooling([pooling ?? PoolingMode.Mean], true), [], hidden);
        string modulesPath = Path.Combine(st.Directory, "modules.json");
        var modules = new List<SentenceModule>();
        bool sawTransformer = false, sawPooling = false;
        foreach (SentenceModuleEntry e in st.Modules)
        {
            string what = $"{modulesPath}: module {e.Index} '{e.Name}' ({e.Type})";
            bool known = e.Type.StartsWith("sentence_transformers.", StringComparison.Ordinal);
            string cls = known ? e.ClassName : "";
            if (cls is "MLMTransformer" or "SpladePooling")
                throw new ConfigException($"{what}: this is a SPLADE sparse-encoder folder; load it with SparseEncoder (CLI: embed --sparse)");
            if (!sawTransformer)
            {
                if (cls != "Transformer") throw new ConfigException($"{what}: the first module must be the Transformer");
                if (e.Path.Length != 0 && e.Path != ".")
                    throw new ConfigException($"{what}: the Transformer lives in subfolder '{e.Path}'; BertSharp reads the encoder from the folder root (load '{Path.Combine(st.Directory, e.Path)}')");
                sawTransformer = true;
                continue;
            }
            string folder = Path.Combine(st.Directory, e.Path);
            switch (cls)
            {
                case "Pooling":
                    if (sawPooling) throw new ConfigException($"{what}: a second Pooling module");
                    sawPooling = true;
                    break;
                case "Transformer":
                    throw new ConfigException($"{what}: a second Transformer module");
                case "Dense" or "Normalize" or "LayerNorm" or "Dropout" when !sawPooling:
                    throw new ConfigException($"{what}: comes before the Pooling module (it needs sentence vectors)");
                case "Dense": modules.Add(DenseModule.Load(e, folder)); break;
                case "Normalize": modules.Add(new NormalizeModule(e)); break;
                case "LayerNorm": modules.Add(LayerNormModule.Load(e, folder)); break;
                case "Dropout": modules.Add(new DropoutModule(e)); break;
                default:
                    throw new ConfigException($"{what}: module type '{e.Type}' is not supported by BertSharp (it runs Transformer, Pooling, Dense, Normalize, LayerNorm, Dropout)");
            }
        }
        if (!sawTransformer) throw new ConfigException($"{modulesPath}: no Transformer module");
        if (!sawPooling && modules.Count > 0)
            throw new ConfigException($"{modulesPath}: no Pooling module before {modules[0]}");
        // No Pooling module at all: sentence-transformers would return no sentence_embedding; BertSharp pools by mean.
        var sentencePooling = new SentencePooling(pooling is PoolingMode p ? [p] : st.PoolingModes, st.IncludePrompt);
        return new SentencePipeline(sentencePooling, modules, hidden);
    }

    /// <summary>
    /// Pools <paramref name="output"/> and runs the modules: [batch, <see cref="OutputDimension"/>].
    /// <paramref name="skipNormalize"/> leaves out the Normalize modules (the caller asked for unnormalised vectors).
    /// </summary>
    public float[] Forward(ModelOutput output, int promptLength, bool skipNormalize, int maxThreads)
    {
        float[] x = Pooling.Forward(output, promptLength);
        int d = Pooling.OutputDimension(output.HiddenSize), rows = output.BatchSize;
        foreach (SentenceModule m in Modules)
        {
            if (skipNormalize && m is NormalizeModule) continue;
            x = m.Forward(x, rows, d, maxThreads);
            d = m.OutputDimension(d);
        }
        return x;
    }
}
