package org.jvpoll.net.lwip;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * lwIP's {@code ip_addr_t} with IPv4 and IPv6 both enabled and {@code LWIP_IPV6_SCOPES 1}:
 *
 * <pre>
 * typedef struct ip_addr {                    24 bytes, align 4
 *   union {
 *     ip6_addr_t ip6;                         { u32_t addr[4]; u8_t zone; }  (20 bytes)
 *     ip4_addr_t ip4;                         { u32_t addr; }
 *   } u_addr;                                 @0, network byte order
 *   u8_t type;                                @20: IPADDR_TYPE_V4 0, V6 6, ANY 46
 * } ip_addr_t;
 * </pre>
 *
 * An {@code ip4_addr_t} alone (netif_add's arguments) is the 4 bytes at offset 0.
 */
public final class IpAddr {
    private IpAddr() {}

    public static final long SIZE = 24;
    public static final int TYPE_OFFSET = 20;
    public static final int ZONE_OFFSET = 16;
    public static final byte TYPE_V4 = 0, TYPE_V6 = 6, TYPE_ANY = 46;

    /** Writes {@code a} (null: the any-address of {@code anyType}) into the 24-byte {@code dst}. */
    public static MemorySegment write(MemorySegment dst, InetAddress a, byte anyType) {
        dst.fill((byte) 0);
        if (a == null) {
            dst.set(ValueLayout.JAVA_BYTE, TYPE_OFFSET, anyType);
            return dst;
        }
        byte[] b = a.getAddress();
        MemorySegment.copy(b, 0, dst, ValueLayout.JAVA_BYTE, 0, b.length);
        dst.set(ValueLayout.JAVA_BYTE, TYPE_OFFSET, b.length == 4 ? TYPE_V4 : TYPE_V6);
        return dst;
    }

    /** @return the address in {@code src} (an ip_addr_t) */
    public static InetAddress read(MemorySegment src) {
        byte type = src.get(ValueLayout.JAVA_BYTE, TYPE_OFFSET);
        byte[] b = new byte[type == TYPE_V4 ? 4 : 16];
        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, 0, b, 0, b.length);
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // cannot happen for 4 or 16 bytes
        }
    }

    /** @return {@code a} is IPv4 (an IPv4-mapped IPv6 address counts as IPv6, as lwIP does) */
    public static boolean isV4(InetAddress a) {
        return a instanceof Inet4Address;
    }

    /** @return {@code a} is IPv6 */
    public static boolean isV6(InetAddress a) {
        return a instanceof Inet6Address;
    }
}
