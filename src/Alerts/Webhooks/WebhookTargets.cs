using System.Net;
using System.Net.Sockets;

namespace SkimGuard.Alerts.Webhooks;

/// <summary>
/// Where webhooks may go: not to this machine, the cloud's metadata service or the centre's internal network (loopback,
/// link-local, private, carrier-grade NAT, multicast, unspecified addresses), unless a network is allowed in
/// Alerts:WebhookAllowedNetworks. Checked when a subscriber is added, and again on every connection, against the address
/// actually connected to: a name that later resolves somewhere inside is refused too.
/// </summary>
public sealed class WebhookTargets(AlertsOptions options)
{
    private static readonly IPNetwork[] Inside =
    [
        IPNetwork.Parse("0.0.0.0/8"), IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("100.64.0.0/10"), IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("169.254.0.0/16"), IPNetwork.Parse("172.16.0.0/12"), IPNetwork.Parse("192.168.0.0/16"), IPNetwork.Parse("224.0.0.0/3"),
        IPNetwork.Parse("::/128"), IPNetwork.Parse("::1/128"), IPNetwork.Parse("fc00::/7"), IPNetwork.Parse("fe80::/10"), IPNetwork.Parse("ff00::/8"),
    ];

    private readonly IPNetwork[] _allowed = [.. options.WebhookAllowedNetworks.Select(IPNetwork.Parse)];

    /// <summary>Why <paramref name="address"/> may not be a webhook target; null when it may.</summary>
    public string? Refusal(IPAddress address)
    {
        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        if (_allowed.Any(n => n.Contains(plain)) || !Inside.Any(n => n.Contains(plain)))
            return null;
        return $"{plain} is a loopback, link-local, private or reserved address (allow its network in Alerts:WebhookAllowedNetworks if the subscriber is meant to be there)";
    }

    /// <summary>Why <paramref name="host"/> may not be a webhook target: each address it resolves to is checked.</summary>
    public async Task<string?> RefusalAsync(string host, CancellationToken cancellationToken)
    {
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        }
        catch (SocketException e)
        {
            return $"{host} does not resolve ({e.SocketErrorCode})";
        }
        return addresses.Length == 0 ? $"{host} does not resolve" : addresses.Select(Refusal).FirstOrDefault(r => r is not null);
    }

    /// <summary>The webhook client's connection step: resolve, refuse an inside address, connect to the first allowed one.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        if (addresses.Select(Refusal).FirstOrDefault(r => r is not null) is { } refusal)
            throw new HttpRequestException($"webhook target refused: {refusal}");
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
