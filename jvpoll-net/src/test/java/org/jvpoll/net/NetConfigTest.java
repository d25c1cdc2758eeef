package org.jvpoll.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

import org.jvpoll.net.lwip.Lwip;

/** Configuration validation and the lwIP error mapping, without a network. */
class NetConfigTest {
    @Test
    void builds() {
        NetConfig c = NetConfig.tap("vp0").ipv4("10.0.0.2", 24).gateway("10.0.0.1").ipv6("fd00::2");
        assertEquals("10.0.0.2", c.ipv4().getHostAddress());
        assertEquals(24, c.prefix());
        assertEquals("10.0.0.1", c.gateway().getHostAddress());
        assertEquals("fd00:0:0:0:0:0:0:2", c.ipv6().getHostAddress());
        assertEquals(0x02, c.mac()[0]); // locally administered
        byte[] mac = {2, 0, 0, 0, 0, 9};
        assertArrayEquals(mac, c.mac(mac).mac());
        assertNull(NetConfig.tap("x").ipv4());
    }

    @Test
    void refusesBadInput() {
        assertThrows(IllegalArgumentException.class, () -> NetConfig.tap(""));
        assertThrows(IllegalArgumentException.class, () -> NetConfig.tap("a-name-longer-than-15"));
        assertThrows(IllegalArgumentException.class, () -> NetConfig.tap("vp0").ipv4("fd00::1", 24));
        assertThrows(IllegalArgumentException.class, () -> NetConfig.tap("vp0").ipv4("10.0.0.1", 33));
        assertThrows(IllegalArgumentException.class, () -> NetConfig.tap("vp0").ipv6("10.0.0.1"));
        assertThrows(IllegalArgumentException.class, () -> NetConfig.tap("vp0").ipv4("example.com", 24));
        assertThrows(IllegalArgumentException.class, () -> NetConfig.tap("vp0").mac(new byte[5]));
    }

    @Test
    void lwipErrorsCarryNameTextAndErrno() {
        NetException e = NetException.of("read", Lwip.ERR_RST);
        assertEquals(-14, e.lwipError());
        assertEquals(104, e.errno());
        assertEquals("read: Connection reset (lwIP ERR_RST, errno 104)", e.getMessage());
        assertEquals("ERR_ABRT", Lwip.name(-13));
        assertEquals(98, Lwip.errno(Lwip.ERR_USE));
    }
}
