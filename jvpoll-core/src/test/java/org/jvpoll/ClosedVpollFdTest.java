package org.jvpoll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.ClosedChannelException;
import java.time.Duration;

import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.jvpoll.testing.BackendSelection;

/** A closed vpoll fd says so: fd() is -1, and every call fails naming the call and the fd. */
class ClosedVpollFdTest {

    private static void assertClosed(String call, int fd, Backend backend, Executable executable) {
        ClosedChannelException e = assertThrows(ClosedChannelException.class, executable, call);
        String m = e.getMessage();
        assertTrue(m != null && m.contains(call), call + ": " + m);
        assertTrue(m.contains("vpoll fd " + fd + " "), call + ": " + m);
        assertTrue(m.contains("(" + backend.id() + ")"), call + ": " + m);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void everyCallAfterCloseNamesTheCallAndTheFd(Backend backend) throws Exception {
        VpollFd.Options options = BackendSelection.options(backend);
        VpollFd vfd = VpollFd.create(0, options);
        int fd = vfd.fd();
        assertTrue(fd >= 0);
        vfd.close();
        assertEquals(-1, vfd.fd(), "a closed fd's number may already name another file");
        assertClosed("ctl(ADD, IN)", fd, backend, () -> vfd.add(Events.IN));
        assertClosed("ctl(DELETE, OUT)", fd, backend, () -> vfd.delete(Events.OUT));
        assertClosed("ctl(SET, IN|OUT)", fd, backend, () -> vfd.set(Events.IN | Events.OUT));
        assertClosed("events()", fd, backend, vfd::events);
        assertClosed("await", fd, backend, () -> vfd.await(Events.IN, Duration.ZERO));
        assertClosed("channel()", fd, backend, vfd::channel);
        assertTrue(vfd.toString().contains("fd=" + fd + ", ") && vfd.toString().contains("closed"), vfd.toString());
    }

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"EMULATION", "EMULATION_TCP"})
    void anAwaitEndedByCloseNamesTheFd(Backend backend) throws Exception {
        VpollFd vfd = VpollFd.create(0, BackendSelection.options(backend));
        int fd = vfd.fd();
        Thread closer = Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            vfd.close();
        });
        assertClosed("await", fd, backend, () -> vfd.await(Events.IN, Duration.ofSeconds(30)));
        closer.join();
    }
}
