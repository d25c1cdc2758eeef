package org.jvpoll.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvpoll.Events.ERR;
import static org.jvpoll.Events.HUP;
import static org.jvpoll.Events.IN;
import static org.jvpoll.Events.OUT;
import static org.jvpoll.Events.PRI;
import static org.jvpoll.Events.RDHUP;
import static org.jvpoll.Events.RDNORM;
import static org.jvpoll.Events.WRBAND;
import static org.jvpoll.Events.WRNORM;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.jvpoll.UnsupportedEventsException;
import org.jvpoll.VpollFd;
import org.jvpoll.VpollOp;
import org.jvpoll.syscall.Epoll;
import org.jvpoll.syscall.Poll;
import org.jvpoll.testing.Probe;
import org.jvpoll.testing.Skip;

/** The socket-pair emulation (Backend.EMULATION): its event algebra, its refusals, its mechanism. */
class UnixEmulationTest {
    private static final VpollFd.Options PAIR = VpollFd.Options.DEFAULT.backend(Backend.EMULATION);
    private static final int ALL = Events.ALL & 0xffff;

    private static UnsupportedEventsException refused(int from, VpollOp op, int events) {
        return assertThrows(UnsupportedEventsException.class, () -> EmulationPlan.SOCKET_PAIR.plan(from, op, events));
    }

    @Test
    void theClosureIsWhatUnixPollReports() {
        assertEquals(IN | RDNORM, EmulationPlan.SOCKET_PAIR.closure(IN));
        assertEquals(OUT | WRNORM | WRBAND, EmulationPlan.SOCKET_PAIR.closure(OUT));
        assertEquals(RDHUP | IN | RDNORM, EmulationPlan.SOCKET_PAIR.closure(RDHUP));
        assertEquals(HUP | RDHUP | IN | RDNORM, EmulationPlan.SOCKET_PAIR.closure(HUP), "a socket pair's HUP does not force OUT");
        assertEquals(ERR | HUP | RDHUP | IN | RDNORM | OUT | WRNORM | WRBAND,
                EmulationPlan.SOCKET_PAIR.closure(ERR | EmulationPlan.SocketPair.PEER_GONE), "a reset forces everything but PRI");
    }

    @Test
    void whatASocketPairCannotSayIsRefusedNamingTheBits() {
        UnsupportedEventsException e = refused(0, VpollOp.ADD, PRI);
        assertEquals(PRI, e.events());
        assertTrue(e.getMessage().contains("EMULATION_TCP") && e.getMessage().contains("expectedEvents"), e.getMessage());
        assertEquals(ERR, refused(OUT, VpollOp.ADD, ERR).events(), "ERR alone");
        assertTrue(refused(OUT, VpollOp.ADD, ERR).getMessage().contains("without HUP"));
        assertEquals(ERR, refused(HUP | RDHUP | IN, VpollOp.ADD, ERR | HUP).events(), "ERR after HUP");
        assertEquals(HUP, refused(HUP | RDHUP | IN, VpollOp.DELETE, HUP).events() & HUP, "HUP is terminal");
        assertEquals(WRBAND, refused(0, VpollOp.ADD, WRBAND).events(), "a companion without its primary");
        assertEquals(IN, refused(RDHUP | IN, VpollOp.DELETE, IN).events(), "RDHUP keeps IN");
        int gone = ERR | HUP | RDHUP | IN | OUT | EmulationPlan.SocketPair.PEER_GONE;
        assertEquals(OUT, refused(gone, VpollOp.DELETE, OUT).events(), "after a reset OUT stays");
        assertEquals(ERR, refused(gone & ~ERR, VpollOp.ADD, ERR).events(), "a second reset cannot happen");
    }

    @Test
    void plansAreExactAndCanonical() {
        assertEquals(IN | OUT, EmulationPlan.SOCKET_PAIR.plan(IN, VpollOp.ADD, OUT | WRNORM | WRBAND));
        assertEquals(OUT, EmulationPlan.SOCKET_PAIR.plan(IN | OUT, VpollOp.DELETE, IN));
        assertEquals(0, EmulationPlan.SOCKET_PAIR.plan(OUT, VpollOp.DELETE, OUT), "WRNORM and WRBAND go with OUT");
        assertEquals(HUP | RDHUP | IN, EmulationPlan.SOCKET_PAIR.plan(0, VpollOp.ADD, HUP));
        assertEquals(ERR | HUP | RDHUP | IN | OUT | EmulationPlan.SocketPair.PEER_GONE,
                EmulationPlan.SOCKET_PAIR.plan(0, VpollOp.SET, ERR | HUP));
    }

    @Test
    void aResetRaisesErrWithHupAtOnceAndSoErrorClearsIt() throws IOException {
        for (int initial : new int[] {0, OUT, IN}) { // with and without the OUT filler in the peer
            try (VpollFd vfd = VpollFd.create(initial, PAIR); Probe probe = new Probe(vfd.fd(), ALL)) {
                int mask = vfd.add(ERR | HUP);
                assertEquals(ERR | HUP | RDHUP | IN | RDNORM | OUT | WRNORM | WRBAND, mask, "from " + Events.toString(initial));
                assertEquals(mask, Poll.currentEvents(vfd.fd()), "poll(2) agrees, from " + Events.toString(initial));
                assertEquals(mask & ALL, probe.epoll(1000));
                mask = vfd.delete(ERR);
                assertEquals(0, mask & ERR);
                assertEquals(mask, Poll.currentEvents(vfd.fd()));
                assertThrows(UnsupportedEventsException.class, () -> vfd.delete(HUP));
                assertEquals(mask, vfd.add(IN), "a no-change ctl after the reset still works");
            }
        }
    }

    @Test
    void manyRepeatedRaisesOfInAreClearedByOneDelete() throws IOException {
        try (VpollFd vfd = VpollFd.create(0, PAIR); Probe probe = new Probe(vfd.fd(), IN | Epoll.EPOLLET)) {
            for (int i = 0; i < 100; i++) {
                vfd.add(IN);
                assertEquals(IN, probe.epoll(1000), "every ADD gives an edge-triggered waiter a new edge (" + i + ")");
            }
            assertEquals(0, vfd.delete(IN));
            assertEquals(0, Poll.currentEvents(vfd.fd()), "the peer's bytes are all read back");
        }
    }

    @Test
    void outTogglesWithoutGrowingThePeersQueue() throws IOException {
        try (VpollFd vfd = VpollFd.create(OUT, PAIR)) {
            for (int i = 0; i < 1000; i++) {
                assertEquals(0, vfd.delete(OUT) & OUT);
                assertEquals(0, Poll.currentEvents(vfd.fd()) & OUT, "cycle " + i);
                assertEquals(OUT | WRNORM | WRBAND, vfd.add(OUT));
                assertEquals(OUT | WRNORM | WRBAND, Poll.currentEvents(vfd.fd()), "cycle " + i);
            }
        }
    }

    @Test
    void expectedEventsChooseTheTcpEmulationOnlyWhereNeeded() throws IOException {
        if (Backend.preferred() != Backend.EMULATION) {
            String why = "the automatic choice is " + Backend.preferred().id() + " here, which carries every event";
            throw Skip.because(why);
        }
        try (VpollFd plain = VpollFd.create(0);
             VpollFd pri = VpollFd.create(0, VpollFd.Options.DEFAULT.expectedEvents(PRI));
             VpollFd initialErr = VpollFd.create(OUT | ERR);
             VpollFd inOut = VpollFd.create(0, VpollFd.Options.DEFAULT.expectedEvents(IN | OUT | HUP))) {
            assertEquals(Backend.EMULATION, plain.backend());
            assertEquals(Backend.EMULATION_TCP, pri.backend(), "PRI expected");
            assertEquals(Backend.EMULATION_TCP, initialErr.backend(), "ERR from the start");
            assertEquals(Backend.EMULATION, inOut.backend(), "the socket pair carries IN, OUT, HUP");
            assertEquals(PRI, pri.add(PRI) & PRI);
        }
    }

    @Test
    void aForcedBackendThatCannotCarryTheExpectedEventsFailsAtCreationLeavingNoFd() throws IOException {
        int before = Probe.openFdCount();
        UnsupportedEventsException e = assertThrows(UnsupportedEventsException.class,
                () -> VpollFd.create(0, PAIR.expectedEvents(PRI | IN)));
        assertEquals(PRI, e.events());
        assertEquals(Backend.EMULATION, e.backend());
        assertEquals(before, Probe.openFdCount());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> PAIR.expectedEvents(0x10000000));
        assertTrue(bad.getMessage().contains("expectedEvents") && bad.getMessage().contains("0x10000000"), bad.getMessage());
    }

    @Test
    void anFdIsAnAfUnixSocketAndCostsTwoDescriptors() throws IOException {
        int before = Probe.openFdCount();
        try (VpollFd vfd = VpollFd.create(0, PAIR)) {
            assertEquals(before + 2, Probe.openFdCount(), "A and its peer B");
            String link = Files.readSymbolicLink(Path.of("/proc/self/fd/" + vfd.fd())).toString();
            assertTrue(link.startsWith("socket:["), link);
            String inode = link.substring("socket:[".length(), link.length() - 1);
            boolean unix = Files.readAllLines(Path.of("/proc/self/net/unix")).stream()
                    .map(l -> l.trim().split("\\s+")).anyMatch(f -> f.length > 6 && f[6].equals(inode));
            assertTrue(unix, "socket inode " + inode + " is listed in /proc/self/net/unix (no port, no TCP memory)");
        }
        assertEquals(before, Probe.openFdCount());
    }
}
