using System.Net;
using System.Text.Json;
using BertSharp.Engine;

namespace BertSharp.Tests.Server;

/// <summary>GET / (the embedded teaching page) and POST /attention on a tiny random model.</summary>
[TestFixture]
public sealed class TeachingPageTests
{
    private TinyBertFolder _tiny = null!;
    private SentenceEmbedder _embedder = null!;

    [OneTimeSetUp]
    public void SetUp()
    {
        _tiny = new TinyBertFolder();
        _embedder = new SentenceEmbedder(BertModel.Load(_tiny.Directory));
    }

    [OneTimeTearDown]
    public void TearDown() => _tiny.Dispose();

    [Test]
    public async Task The_page_is_served_self_contained()
    {
        await using var s = await RunningServer.StartAsync(_embedder);
        using HttpResponseMessage r = await s.Http.GetAsync("/");
        Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(r.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/html"));
        string html = await r.Content.ReadAsStringAsync();
        Assert.That(html, Does.Contain("<title>").And.Contain("/attention").And.Contain("/tokenize").And.Contain("/embed"));
        // The SVG namespace is a name, not a request; any other URL would be something fetched from elsewhere.
        Assert.That(html.Replace("http://www.w3.org/2000/svg", ""), Does.Not.Contain("http://").And.Not.Contain("https://").And.Not.Contain("<script src"),
            "no CDN, nothing external");
    }

    [Test]
    public async Task Attention_returns_one_layer_all_heads_or_one_equal_to_the_library()
    {
        await using var s = await RunningServer.StartAsync(_embedder);
        AttentionMaps expected = AttentionMaps.Compute(_embedder.Model, "the river bank");
        var all = await s.PostJsonAsync("/attention", """{"text": "the river bank", "layer": 1}""");
        Assert.That(all.Status, Is.EqualTo(200), all.Body.ToString());
        Assert.That(all.Body.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()), Is.EqualTo(expected.Tokens));
        Assert.That(all.Body.GetProperty("ids").EnumerateArray().Select(t => t.GetInt32()), Is.EqualTo(expected.Ids));
        Assert.That(all.Body.GetProperty("layers").GetInt32(), Is.EqualTo(2));
        Assert.That(all.Body.GetProperty("heads").GetInt32(), Is.EqualTo(5));
        JsonElement heads = all.Body.GetProperty("attentions");
        Assert.That(heads.GetArrayLength(), Is.EqualTo(5));
        int len = expected.Length;
        for (int h = 0; h < 5; h++)
        {
            float[] m = expected.Matrix(1, h);
            float[][] rows = RunningServer.Vectors(heads[h]);
            Assert.That(rows, Has.Length.EqualTo(len));
            for (int i = 0; i < len; i++) RunningServer.AssertClose(m.AsSpan(i * len, len).ToArray(), rows[i], 0, $"head {h} row {i}");
        }

        var one = await s.PostJsonAsync("/attention", """{"text": "the river bank", "layer": 0, "head": 3}""");
        Assert.That(one.Status, Is.EqualTo(200));
        Assert.That(one.Body.GetProperty("head").GetInt32(), Is.EqualTo(3));
        float[][] head3 = RunningServer.Vectors(one.Body.GetProperty("attentions")[0]);
        float[] m03 = expected.Matrix(0, 3);
        for (int i = 0; i < len; i++) RunningServer.AssertClose(m03.AsSpan(i * len, len).ToArray(), head3[i], 0, $"layer 0 head 3 row {i}");
    }

    [Test]
    public async Task Attention_errors_are_TEI_shaped()
    {
        await using var s = await RunningServer.StartAsync(_embedder);
        Assert.That(RunningServer.AssertError(await s.PostJsonAsync("/attention", """{"text": "a", "layer": 2}"""), 422, "validation"),
            Does.Contain("layer 2").And.Contain("2 layers"));
        Assert.That(RunningServer.AssertError(await s.PostJsonAsync("/attention", """{"text": "a", "head": -1}"""), 422, "validation"),
            Does.Contain("head -1"));
        Assert.That(RunningServer.AssertError(await s.PostJsonAsync("/attention", """{"layer": 0}"""), 400, "validation"), Does.Contain("text"));
        RunningServer.AssertError(await s.PostJsonAsync("/attention", """{"text": 3}"""), 400, "validation");
        var longText = await s.PostJsonAsync("/attention", JsonSerializer.Serialize(new { text = string.Join(' ', Enumerable.Repeat("dog", 300)) }));
        Assert.That(longText.Status, Is.EqualTo(200));
        Assert.That(longText.Body.GetProperty("truncated").GetBoolean(), Is.True);
        Assert.That(longText.Body.GetProperty("tokens").GetArrayLength(), Is.EqualTo(96), "cut to the tiny model's 96 positions");
    }
}
