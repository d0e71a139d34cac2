using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace BertSharp.Extensions.AI;

/// <summary>Registers a <see cref="BertEmbeddingGenerator"/> as the <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> of a service collection.</summary>
/// <example>
/// services.AddBertSharpEmbeddingGenerator("sentence-transformers/all-MiniLM-L6-v2", o => o.MaxThreads = 4);
/// var generator = provider.GetRequiredService&lt;IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt;&gt;();
/// </example>
public static class BertSharpServiceCollectionExtensions
{
    /// <summary>
    /// Adds a singleton <c>IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt;</c>. The model is loaded (and a hub id
    /// downloaded when absent) when the generator is first resolved, not here; a missing folder then throws an
    /// exception naming the path.
    /// </summary>
    /// <param name="modelFolderOrHubId">a model folder, or a hub id "org/name[@revision]"</param>
    /// <param name="configure">adjusts the options (pooling, batch size, threads, model id, hub settings)</param>
    public static IServiceCollection AddBertSharpEmbeddingGenerator(this IServiceCollection services, string modelFolderOrHubId,
        Action<BertEmbeddingGeneratorOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelFolderOrHubId);
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(_ => BertEmbeddingGenerator.Load(modelFolderOrHubId, configure));
        return services;
    }

    /// <summary>Same, as a keyed singleton (one generator per model: resolve with [FromKeyedServices(key)] or GetRequiredKeyedService).</summary>
    public static IServiceCollection AddKeyedBertSharpEmbeddingGenerator(this IServiceCollection services, object? serviceKey,
        string modelFolderOrHubId, Action<BertEmbeddingGeneratorOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelFolderOrHubId);
        services.AddKeyedSingleton<IEmbeddingGenerator<string, Embedding<float>>>(serviceKey,
            (_, _) => BertEmbeddingGenerator.Load(modelFolderOrHubId, configure));
        return services;
    }
}
