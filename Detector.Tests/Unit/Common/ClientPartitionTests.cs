using System.Net;
using Detector.Modules.Common;

namespace Detector.Tests.Unit.Common;

public sealed class ClientPartitionTests
{
    [Theory]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2:ffff:eeee:dddd:cccc")]
    [InlineData("fe80::1", "fe80::abcd:1234")]
    [InlineData("198.51.100.7", "::ffff:198.51.100.7")]
    public void Addresses_of_one_client_share_a_partition(string a, string b) =>
        Assert.Equal(ClientPartition.For(IPAddress.Parse(a)), ClientPartition.For(IPAddress.Parse(b)));

    [Theory]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:3::1")]
    [InlineData("198.51.100.7", "198.51.100.8")]
    [InlineData("::1", "127.0.0.1")]
    public void Different_clients_have_different_partitions(string a, string b) =>
        Assert.NotEqual(ClientPartition.For(IPAddress.Parse(a)), ClientPartition.For(IPAddress.Parse(b)));

    [Fact]
    public void A_connection_without_an_address_is_one_partition() =>
        Assert.Equal("unknown", ClientPartition.For(null));
}
