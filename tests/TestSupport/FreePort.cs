using System.Net;
using System.Net.Sockets;

namespace SkimGuard.TestSupport;

/// <summary>A free TCP port on loopback, found by letting the OS pick one.</summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
