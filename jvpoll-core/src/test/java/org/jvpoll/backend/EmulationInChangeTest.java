package org.jvpoll.backend;

import static org.jvpoll.Events.IN;
import static org.jvpoll.Events.OUT;
import static org.jvpoll.Events.PRI;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;

import org.junit.jupiter.api.Test;
import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.jvpoll.VpollFd;
import org.jvpoll.syscall.Poll;

/**
 * A change of IN alone is one setsockopt with no poll(2) to confirm it (the reservoir byte is
 * known to be in A's queue): the kernel must report the new mask the moment ctl returns, also
 * right after PRI was cleared (which sends a fresh reservoir byte that may still be in flight).
 */
class EmulationInChangeTest {
    private static final VpollFd.Options EMULATION = VpollFd.Options.DEFAULT.backend(Backend.EMULATION_TCP);

    private static void assertKernelSees(int mask, VpollFd vfd) throws IOException {
        assertEquals(Events.toString(mask), Events.toString(Poll.currentEvents(vfd.fd())));
    }

    @Test
    void inChangesAreVisibleWhenCtlReturns() throws IOException {
        for (int initial : new int[] {0, OUT}) {
            try (VpollFd vfd = VpollFd.create(initial, EMULATION)) {
                for (int i = 0; i < 500; i++) {
                    assertKernelSees(vfd.add(IN), vfd);
                    assertKernelSees(vfd.add(IN), vfd); // no change
                    assertKernelSees(vfd.delete(IN), vfd);
                    assertKernelSees(vfd.set(IN | initial), vfd);
                    assertKernelSees(vfd.set(initial), vfd);
                }
            }
        }
    }

    @Test
    void inChangesRightAfterPriIsClearedAreVisibleWhenCtlReturns() throws IOException {
        try (VpollFd vfd = VpollFd.create(0, EMULATION)) {
            for (int i = 0; i < 100; i++) {
                assertKernelSees(vfd.add(PRI), vfd);
                assertKernelSees(vfd.delete(PRI), vfd);
                assertKernelSees(vfd.add(IN), vfd);
                assertKernelSees(vfd.delete(IN), vfd);
                assertKernelSees(vfd.add(PRI), vfd);
                assertKernelSees(vfd.delete(PRI), vfd);
                assertKernelSees(vfd.delete(IN), vfd); // no change while a fresh byte may be in flight
                assertKernelSees(vfd.add(IN), vfd);
                assertKernelSees(vfd.delete(IN), vfd);
            }
        }
    }
}
