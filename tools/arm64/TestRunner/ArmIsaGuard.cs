using BertSharp.Tests.Arm64;

// No namespace: a SetUpFixture outside any namespace wraps every test in the assembly, so if the ARM64 paths are not
// taken (x64 host, qemu CPU without NEON/Dp, DOTNET_EnableHWIntrinsic=0 ...) every test fails instead of silently
// passing on scalar or x64 code.

/// <summary>Fails the whole run unless it executes on ARM64 with AdvSimd, Dp and 128-bit Vector&lt;T&gt;.</summary>
[SetUpFixture]
public sealed class ArmIsaGuard
{
    [OneTimeSetUp]
    public void RequireArm64Paths()
    {
        TestContext.Progress.WriteLine(ArmIsa.Describe());
        string? problem = ArmIsa.Problem();
        Assert.That(problem, Is.Null, "the ARM64 code paths are not taken: " + problem);
    }
}
