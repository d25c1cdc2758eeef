package org.jvpoll.reliability;

import static org.jvpoll.Events.ERR;
import static org.jvpoll.Events.IN;
import static org.jvpoll.Events.OUT;
import static org.jvpoll.Events.RDNORM;
import static org.jvpoll.Events.WRNORM;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;

import org.junit.jupiter.api.Test;
import org.jvpoll.Backend;
import org.jvpoll.VpollFd;
import org.jvpoll.testing.Probe;

/**
 * Regression: on the emulation, raising ERR after OUT had been cleared drained the peer until
 * A's send queue was empty, but filler that had just arrived could still sit unread in B's
 * receive queue; B's window then stayed closed, the timestamped byte never left A and ERR never
 * appeared (ctl failed after 2 s). Draining fully then took 3 s: filler segments larger than B's
 * window were dropped and retransmitted with back-off; filler now fits the window and B's buffer
 * opens while it drains. 300 rounds take under a second.
 */
class EmulationErrAfterOutClearedTest {

    @Test
    void errIsRaisedAfterOutWasClearedEveryTime() throws IOException {
        VpollFd.Options options = VpollFd.Options.DEFAULT.backend(Backend.EMULATION_TCP);
        try (VpollFd vfd = VpollFd.create(0, options); Probe probe = new Probe(vfd.fd(), 0xffff)) {
            for (int i = 0; i < 300; i++) {
                assertEquals(0, vfd.set(0), "round " + i);
                assertEquals(OUT | WRNORM | ERR, vfd.set(OUT | ERR), "round " + i);
                assertEquals(OUT | WRNORM | ERR, probe.poll(), "round " + i);
                assertEquals(0, vfd.delete(OUT | ERR) & (OUT | ERR), "round " + i);
                assertEquals(OUT | WRNORM | ERR | IN | RDNORM, vfd.add(OUT | ERR | IN), "round " + i);
                assertEquals(IN | RDNORM, vfd.set(IN), "round " + i);
            }
        }
    }

    /**
     * Regression: while OUT is clear, filler that B's tiny buffer drops is retransmitted with an
     * exponentially backed-off timeout; after a pause of a few hundred ms the next retransmission
     * could be seconds away, so the drain before ERR timed out. A's retransmission timeout is now
     * capped at 1 s (TCP_RTO_MAX_MS) where the kernel allows it.
     */
    @Test
    void errIsRaisedAfterAPauseWithOutClear() throws Exception {
        VpollFd.Options options = VpollFd.Options.DEFAULT.backend(Backend.EMULATION_TCP);
        try (VpollFd vfd = VpollFd.create(0, options); Probe probe = new Probe(vfd.fd(), 0xffff)) {
            for (long pauseMs : new long[] {400, 1500, 3500}) {
                assertEquals(OUT | WRNORM | ERR, vfd.set(OUT | ERR), "before a pause of " + pauseMs + " ms");
                assertEquals(0, vfd.set(0), "before a pause of " + pauseMs + " ms");
                Thread.sleep(pauseMs);
                assertEquals(OUT | WRNORM | ERR, vfd.set(OUT | ERR), "after a pause of " + pauseMs + " ms with OUT clear");
                assertEquals(OUT | WRNORM | ERR, probe.poll(), "after a pause of " + pauseMs + " ms");
            }
        }
    }
}
