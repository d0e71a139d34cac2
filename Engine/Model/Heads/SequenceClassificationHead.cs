using BertSharp.Engine.Kernels;
using BertSharp.Weights;
using N = BertSharp.Weights.BertParameterNames;

namespace BertSharp.Engine.Model.Heads;

/// <summary>
/// The layers between the encoder and the sequence logits [batch, num_labels], as each family's ForSequenceClassification
/// builds them (x = the first token's last hidden state, h[:, 0]):
///   BERT:                               classifier(pooler_output)            (the pooler is tanh(dense(h[:, 0])))
///   RoBERTa, XLM-R, CamemBERT, MPNet:   out_proj(tanh(dense(x)))             (RobertaClassificationHead, MPNetClassificationHead)
///   ELECTRA:                            out_proj(gelu(dense(x)))             (ElectraClassificationHead, exact GELU)
///   DistilBERT:                         classifier(relu(pre_classifier(x)))
/// Dense: [hidden, hidden] (null for BERT, whose pooler plays its part); Output: [num_labels, hidden].
/// </summary>
public sealed class SequenceClassificationHead
{
    /// <summary>What runs between <see cref="Dense"/> and <see cref="Output"/>.</summary>
    public enum HeadActivation { Tanh, Gelu, Relu }

    /// <summary>dense / pre_classifier [hidden, hidden]; null for BERT (the encoder's pooler).</summary>
    public Linear? Dense { get; }
    public HeadActivation Activation { get; }
    /// <summary>classifier / out_proj [num_labels, hidden].</summary>
    public Linear Output { get; }
    /// <summary>True for BERT: logits come from pooler_output, so the encoder must have a pooler.</summary>
    public bool UsesPooler => Dense is null;

    private SequenceClassificationHead(Linear? dense, HeadActivation activation, Linear output)
    {
        Dense = dense; Activation = activation; Output = output;
    }

    /// <summary>The head tensors (top-level names) the family's class stores, for <see cref="HeadTensors.Verify"/>.</summary>
    internal static IReadOnlyList<ExpectedTensor> Expected(BertConfig config, int numLabels)
    {
        int h = config.HiddenSize;
        var (dense, output) = Names(config);
        var list = new List<ExpectedTensor>();
        if (dense is not null) list.AddRange(HeadTensors.Linear(dense.Value.Weight, dense.Value.Bias, h, h));
        list.AddRange(HeadTensors.Linear(output.Weight, output.Bias, numLabels, h));
        return list;
    }

    private static ((string Weight, string Bias)? Dense, (string Weight, string Bias) Output) Names(BertConfig config)
    {
        EncoderArchitecture a = config.Encoder;
        if (a == EncoderArchitecture.Bert) return (null, (N.ClassifierWeight, N.ClassifierBias));
        if (a == EncoderArchitecture.DistilBert) return ((N.PreClassifierWeight, N.PreClassifierBias), (N.ClassifierWeight, N.ClassifierBias));
        return ((N.ClassifierDenseWeight, N.ClassifierDenseBias), (N.ClassifierOutProjWeight, N.ClassifierOutProjBias));
    }

    internal static SequenceClassificationHead Load(Checkpoint checkpoint, int numLabels)
    {
        BertConfig c = checkpoint.Config;
        int h = c.HiddenSize;
        var (dense, output) = Names(c);
        HeadActivation act = c.Encoder == EncoderArchitecture.DistilBert ? HeadActivation.Relu
            : c.Encoder == EncoderArchitecture.Electra ? HeadActivation.Gelu : HeadActivation.Tanh;
        return new SequenceClassificationHead(
            dense is null ? null : LinearLoader.Load(checkpoint, dense.Value.Weight, dense.Value.Bias, h, h), act,
            LinearLoader.Load(checkpoint, output.Weight, output.Bias, numLabels, h));
    }

    /// <summary>encoder → logits: [batch, num_labels].</summary>
    internal void Forward(ModelOutput encoder, Span<float> logits, int maxThreads)
    {
        int batch = encoder.Batch.BatchSize, h = encoder.HiddenSize, t = encoder.Batch.SequenceLength;
        if (Dense is null)
        {
            Output.Forward(encoder.PoolerOutput!, batch, logits, maxThreads);
            return;
        }
        // x = h[:, 0] of every row: [batch, hidden].
        var x = new float[batch * h];
        for (int b = 0; b < batch; b++) encoder.LastHiddenState.AsSpan(b * t * h, h).CopyTo(x.AsSpan(b * h));
        var y = new float[batch * h];
        Dense.Forward(x, batch, y, maxThreads);
        switch (Activation)
        {
            case HeadActivation.Tanh: Activations.Tanh(y); break;
            case HeadActivation.Gelu: Activations.GeluErf(y); break;
            case HeadActivation.Relu: Activations.Relu(y); break;
        }
        Output.Forward(y, batch, logits, maxThreads);
    }
}
