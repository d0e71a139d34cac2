using BenchmarkDotNet.Attributes;
using BertSharp.Engine;
using Microsoft.ML.OnnxRuntime;

namespace BertSharp.Benchmarks;

/// <summary>
/// all-MiniLM-L6-v2 forward pass (last_hidden_state) on synthetic ids: BertSharp vs ONNX Runtime (CPU, 2 intra-op
/// threads, all graph optimisations) on the official ONNX export, and ONNX Runtime on the same export dynamically
/// quantized to int8 (shared/baselines/all-MiniLM-L6-v2-onnx: quantize_dynamic's per-tensor default and per-channel),
/// measured in the same run.
/// Run: dotnet run -c Release --project Benchmarks -- --filter '*EndToEnd*'
/// (one path only, e.g. --filter '*EndToEnd*OnnxRuntimeInt8*'; BERT-base shapes: BertBaseBenchmarks)
/// "BertSharp int8": the same model loaded with LoadOptions { Quantization = Int8 } (default plan: SmoothQuant, FFN
/// down projection fp32, full-range 8-bit weights), RunInto.
/// </summary>
[MemoryDiagnoser]
public class EndToEndBenchmarks
{
    [Params("1x8", "1x128", "1x512", "32x128")]
    public string Shape { get; set; } = "1x128";

    private int _batch, _seq;
    private BertModel _model = null!, _modelInt8 = null!;
    private BertBatch _input = null!;
    private float[] _output = null!;
    private InferenceSession _session = null!, _sessionInt8 = null!, _sessionInt8PerChannel = null!;
    private OrtValue[] _ortInputs = null!;
    private string[] _ortInputNames = null!;
    private string[] _ortOutputNames = null!;
    private BertSharp.Engine.RunOptions _options = null!;
    private Microsoft.ML.OnnxRuntime.RunOptions _ortRun = null!;

    [GlobalSetup]
    public void Setup()
    {
        string[] parts = Shape.Split('x');
        _batch = int.Parse(parts[0]); _seq = int.Parse(parts[1]);
        int[] ids = BenchmarkData.SyntheticIds(_batch, _seq);
        _model = BertModel.Load(BenchmarkData.MiniLmDirectory);
        _modelInt8 = BertModel.Load(BenchmarkData.MiniLmDirectory, new LoadOptions { Quantization = WeightQuantization.Int8 });
        _input = new BertBatch(_batch, _seq, ids);
        _output = new float[_batch * _seq * _model.Config.HiddenSize];
        _options = new BertSharp.Engine.RunOptions { MaxThreads = 2 };

        using var so = new SessionOptions { IntraOpNumThreads = 2, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        _session = new InferenceSession(BenchmarkData.MiniLmOnnx(), so);
        _sessionInt8 = new InferenceSession(BenchmarkData.MiniLmOnnxInt8(perChannel: false), so);
        _sessionInt8PerChannel = new InferenceSession(BenchmarkData.MiniLmOnnxInt8(perChannel: true), so);
        long[] shape = [_batch, _seq];
        long[] longIds = Array.ConvertAll(ids, x => (long)x);
        long[] mask = new long[ids.Length]; Array.Fill(mask, 1L);
        long[] types = new long[ids.Length];
        var inputs = new List<OrtValue>(); var names = new List<string>();
        foreach (string name in _session.InputMetadata.Keys)
        {
            long[] data = name switch { "input_ids" => longIds, "attention_mask" => mask, "token_type_ids" => types, _ => throw new InvalidOperationException(name) };
            inputs.Add(OrtValue.CreateTensorValueFromMemory(data, shape)); names.Add(name);
        }
        _ortInputs = inputs.ToArray(); _ortInputNames = names.ToArray();
        _ortOutputNames = [_session.OutputMetadata.Keys.First()];
        _ortRun = new Microsoft.ML.OnnxRuntime.RunOptions();
    }

    [Benchmark(Baseline = true, Description = "ONNX Runtime")]
    public float OnnxRuntime()
    {
        using var results = _session.Run(_ortRun, _ortInputNames, _ortInputs, _ortOutputNames);
        return results[0].GetTensorDataAsSpan<float>()[0];
    }

    [Benchmark(Description = "ONNX Runtime int8 per-tensor")]
    public float OnnxRuntimeInt8()
    {
        using var results = _sessionInt8.Run(_ortRun, _ortInputNames, _ortInputs, _ortOutputNames);
        return results[0].GetTensorDataAsSpan<float>()[0];
    }

    [Benchmark(Description = "ONNX Runtime int8 per-channel")]
    public float OnnxRuntimeInt8PerChannel()
    {
        using var results = _sessionInt8PerChannel.Run(_ortRun, _ortInputNames, _ortInputs, _ortOutputNames);
        return results[0].GetTensorDataAsSpan<float>()[0];
    }

    [Benchmark(Description = "BertSharp")]
    public float BertSharp() => _model.Run(_input, _options).LastHiddenState[0];

    /// <summary>The serving form: results into reused buffers, no allocation in the steady state.</summary>
    [Benchmark(Description = "BertSharp RunInto")]
    public float BertSharpInto()
    {
        _model.RunInto(_input, _output, default, 2);
        return _output[0];
    }

    [Benchmark(Description = "BertSharp int8 RunInto")]
    public float BertSharpInt8Into()
    {
        _modelInt8.RunInto(_input, _output, default, 2);
        return _output[0];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var v in _ortInputs) v.Dispose();
        _session.Dispose();
        _sessionInt8.Dispose();
        _sessionInt8PerChannel.Dispose();
        _ortRun.Dispose();
    }
}
