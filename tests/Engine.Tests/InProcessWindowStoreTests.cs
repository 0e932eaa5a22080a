using SkimGuard.Engine.Windows;
using SkimGuard.TestSupport;

namespace SkimGuard.Engine.Tests;

public sealed class InProcessWindowStoreTests : WindowStoreContract
{
    protected override Task<IWindowStore> CreateStoreAsync() => Task.FromResult<IWindowStore>(new InProcessWindowStore());
}
