package org.jvpoll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class EventsTest {

    @Test
    void valuesAreLinuxs() {
        int[] expected = {0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x80, 0x100, 0x200, 0x400, 0x2000};
        int[] actual = {Events.IN, Events.PRI, Events.OUT, Events.ERR, Events.HUP, Events.NVAL, Events.RDNORM,
                Events.RDBAND, Events.WRNORM, Events.WRBAND, Events.MSG, Events.RDHUP};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i]);
        }
        assertEquals(0x0fffffff, Events.ALL);
        assertEquals(1, Vpoll.VPOLL_CTL_ADDEVENTS);
        assertEquals(2, Vpoll.VPOLL_CTL_DELEVENTS);
        assertEquals(3, Vpoll.VPOLL_CTL_SETEVENTS);
    }

    @Test
    void masksHaveReadableNames() {
        assertEquals("IN|PRI", Events.toString(Events.IN | Events.PRI));
        assertEquals("0", Events.toString(0));
        assertEquals("IN|HUP|RDHUP", Events.toString(0x2011));
        assertEquals("OUT|0x4000", Events.toString(0x4004));
        assertEquals("0x80000000", Events.toString(1 << 31));
    }

    @Test
    void parseAcceptsNamesPrefixesAndNumbers() {
        assertEquals(Events.IN | Events.PRI, Events.parse("IN|PRI"));
        assertEquals(Events.IN | Events.OUT, Events.parse("EPOLLIN | pollout"));
        assertEquals(0x2011, Events.parse("0x2011"));
        assertEquals(0, Events.parse("0"));
        assertEquals(Events.RDHUP | 16, Events.parse("rdhup|16"));
        for (int bit : Events.namedBits()) {
            assertEquals(bit, Events.parse(Events.toString(bit)));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Events.parse("IN|BOGUS"));
        assertTrue(e.getMessage().contains("\"BOGUS\""), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Events.parse(" "));
    }

    @Test
    void requireValidNamesTheBadBits() {
        assertEquals(0x0fffffff, Events.requireValid("events", 0x0fffffff));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Events.requireValid("events", 0x30000001));
        assertTrue(e.getMessage().contains("bits 0x30000000"), e.getMessage());
        assertTrue(e.getMessage().startsWith("events 0x30000001"), e.getMessage());
    }

    @Test
    void opsHaveLibvpollCodes() {
        assertEquals(VpollOp.ADD, VpollOp.of(1));
        assertEquals(VpollOp.DELETE, VpollOp.of(2));
        assertEquals(VpollOp.SET, VpollOp.of(3));
        for (int bad : new int[] {0, 4, -1, Integer.MAX_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VpollOp.of(bad));
            assertTrue(e.getMessage().contains("op " + bad), e.getMessage());
        }
        assertEquals(0b111, VpollOp.ADD.apply(0b011, 0b110));
        assertEquals(0b001, VpollOp.DELETE.apply(0b011, 0b110));
        assertEquals(0b110, VpollOp.SET.apply(0b011, 0b110));
    }

    @Test
    void backendIdsRoundTrip() {
        for (Backend b : Backend.values()) {
            assertEquals(b, Backend.fromId(b.id()));
        }
        assertEquals(Backend.DEV_VPOLL, Backend.fromId("DEV_VPOLL"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backend.fromId("kqueue"));
        assertTrue(e.getMessage().contains("kqueue"));
        assertTrue(Backend.EMULATION.isAvailable(), "emulation is always available");
    }
}
