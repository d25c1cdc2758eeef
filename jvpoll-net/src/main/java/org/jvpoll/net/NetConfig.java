package org.jvpoll.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;

import org.jvpoll.VpollFd;

/**
 * How a {@link NetStack} is attached and addressed. Immutable; start with {@link #tap(String)}.
 *
 * <pre>{@code
 * NetConfig c = NetConfig.tap("vp0").ipv4("10.0.0.2", 24).gateway("10.0.0.1").ipv6("fd00::2");
 * }</pre>
 *
 * @param tapName   the Linux TAP interface (created if missing, which needs CAP_NET_ADMIN)
 * @param ipv4      the stack's IPv4 address, or null
 * @param prefix    the IPv4 prefix length (netmask), 0..32
 * @param gateway   the IPv4 gateway, or null
 * @param ipv6      the stack's IPv6 address (on-link /64, as lwIP assumes), or null; a link-local
 *                  address derived from the MAC is always added
 * @param mac       the 6-byte Ethernet address of the stack's side
 * @param isDefault whether this stack's interface becomes lwIP's default route
 * @param vpollOptions the options for every socket's vpoll fd (backend, flags)
 */
public record NetConfig(String tapName, Inet4Address ipv4, int prefix, Inet4Address gateway, Inet6Address ipv6,
                        byte[] mac, boolean isDefault, VpollFd.Options vpollOptions) {

    /** Validates and copies. */
    public NetConfig {
        Objects.requireNonNull(tapName, "tapName");
        if (tapName.isEmpty() || tapName.length() > 15) {
            throw new IllegalArgumentException("interface name must have 1..15 characters: " + tapName);
        }
        if (prefix < 0 || prefix > 32) {
            throw new IllegalArgumentException("IPv4 prefix length out of 0..32: " + prefix);
        }
        Objects.requireNonNull(mac, "mac");
        if (mac.length != 6) {
            throw new IllegalArgumentException("a MAC address has 6 bytes, not " + mac.length);
        }
        mac = mac.clone();
        Objects.requireNonNull(vpollOptions, "vpollOptions");
    }

    /** @return a configuration on TAP {@code name} with no address yet, a locally administered MAC, default vpoll options */
    public static NetConfig tap(String name) {
        int h = name.hashCode();
        byte[] mac = {0x02, 0x6a, 0x76, (byte) (h >> 16), (byte) (h >> 8), (byte) h};
        return new NetConfig(name, null, 24, null, null, mac, true, VpollFd.Options.DEFAULT);
    }

    /** @return a copy of the 6-byte MAC address */
    @Override
    public byte[] mac() {
        return mac.clone();
    }

    /** @return this configuration with IPv4 address {@code address}/{@code prefixLength} */
    public NetConfig ipv4(String address, int prefixLength) {
        return new NetConfig(tapName, v4(address), prefixLength, gateway, ipv6, mac, isDefault, vpollOptions);
    }

    /** @return this configuration with IPv4 gateway {@code address} */
    public NetConfig gateway(String address) {
        return new NetConfig(tapName, ipv4, prefix, v4(address), ipv6, mac, isDefault, vpollOptions);
    }

    /** @return this configuration with IPv6 address {@code address} */
    public NetConfig ipv6(String address) {
        InetAddress a = parse(address);
        if (!(a instanceof Inet6Address a6)) {
            throw new IllegalArgumentException("not an IPv6 address: " + address);
        }
        return new NetConfig(tapName, ipv4, prefix, gateway, a6, mac, isDefault, vpollOptions);
    }

    /** @return this configuration with MAC address {@code mac} (6 bytes) */
    public NetConfig mac(byte[] mac) {
        return new NetConfig(tapName, ipv4, prefix, gateway, ipv6, mac, isDefault, vpollOptions);
    }

    /** @return this configuration with the default-route choice {@code on} */
    public NetConfig makeDefault(boolean on) {
        return new NetConfig(tapName, ipv4, prefix, gateway, ipv6, mac, on, vpollOptions);
    }

    /** @return this configuration with {@code options} for every socket's vpoll fd */
    public NetConfig vpollOptions(VpollFd.Options options) {
        return new NetConfig(tapName, ipv4, prefix, gateway, ipv6, mac, isDefault, options);
    }

    private static Inet4Address v4(String address) {
        InetAddress a = parse(address);
        if (!(a instanceof Inet4Address a4)) {
            throw new IllegalArgumentException("not an IPv4 address: " + address);
        }
        return a4;
    }

    private static InetAddress parse(String literal) {
        Objects.requireNonNull(literal, "address");
        if (!literal.matches("[0-9a-fA-F:.]+")) {
            throw new IllegalArgumentException("not an IP address literal: " + literal);
        }
        try {
            return InetAddress.getByName(literal); // a literal: no name lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address literal: " + literal, e);
        }
    }
}
