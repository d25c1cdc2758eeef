package org.jvpoll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;

import org.junit.jupiter.api.Test;
import org.jvpoll.syscall.Unistd;
import org.jvpoll.testing.Probe;

/** The C-shaped facade, on whichever backend is preferred here. */
class VpollFacadeTest {

    @Test
    void createCtlCloseLikeC() throws IOException {
        int fd = Vpoll.create(Vpoll.EPOLLIN, Vpoll.FD_CLOEXEC);
        // IN and OUT: events every backend, the default emulation included, sets and clears.
        try (Probe probe = new Probe(fd, Vpoll.EPOLLIN | Vpoll.EPOLLOUT)) {
            assertEquals(Vpoll.EPOLLIN, probe.epoll(1000));
            int mask = Vpoll.ctl(fd, Vpoll.VPOLL_CTL_ADDEVENTS, Vpoll.EPOLLOUT);
            assertEquals(Vpoll.EPOLLIN | Vpoll.EPOLLOUT, mask & (Vpoll.EPOLLIN | Vpoll.EPOLLOUT));
            mask = Vpoll.ctl(fd, Vpoll.VPOLL_CTL_DELEVENTS, Vpoll.EPOLLIN);
            assertEquals(Vpoll.EPOLLOUT, mask & (Vpoll.EPOLLIN | Vpoll.EPOLLOUT));
            mask = Vpoll.ctl(fd, Vpoll.VPOLL_CTL_SETEVENTS, 0);
            assertEquals(0, mask);
            assertEquals(0, probe.poll());
            assertSame(Vpoll.lookup(fd), Vpoll.lookup(fd));
            assertEquals(Unistd.FD_CLOEXEC, Unistd.fcntl(fd, Unistd.F_GETFD, 0) & Unistd.FD_CLOEXEC);
        } finally {
            Vpoll.close(fd);
        }
        VpollException e = assertThrows(VpollException.class, () -> Vpoll.ctl(fd, Vpoll.VPOLL_CTL_ADDEVENTS, 1));
        assertEquals(Errno.EBADF, e.errno());
        e = assertThrows(VpollException.class, () -> Vpoll.close(fd));
        assertEquals(Errno.EBADF, e.errno());
    }

    @Test
    void flagsFollowLibvpoll() throws IOException {
        int fd = Vpoll.create(0, 0); // libvpoll: close-on-exec only if asked
        try {
            assertEquals(0, Unistd.fcntl(fd, Unistd.F_GETFD, 0) & Unistd.FD_CLOEXEC);
        } finally {
            Vpoll.close(fd);
        }
        fd = Vpoll.create(0, Vpoll.O_CLOEXEC | Vpoll.O_NONBLOCK);
        try {
            assertEquals(Unistd.FD_CLOEXEC, Unistd.fcntl(fd, Unistd.F_GETFD, 0) & Unistd.FD_CLOEXEC);
            assertEquals(Unistd.O_NONBLOCK, Unistd.fcntl(fd, Unistd.F_GETFL, 0) & Unistd.O_NONBLOCK);
        } finally {
            Vpoll.close(fd);
        }
    }

    @Test
    void badArgumentsAreNamedAndLeakNothing() throws IOException {
        int before = Probe.openFdCount();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Vpoll.create(0, -1));
        assertTrue(e.getMessage().contains("flags 0xffffffff"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Vpoll.create(0, 0x4));
        assertTrue(e.getMessage().contains("unknown bits 0x4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Vpoll.create(1 << 28, 0));
        assertTrue(e.getMessage().contains("0x10000000"), e.getMessage());
        assertEquals(before, Probe.openFdCount());

        int fd = Vpoll.create(Vpoll.EPOLLIN, 0);
        try {
            e = assertThrows(IllegalArgumentException.class, () -> Vpoll.ctl(fd, 0, Vpoll.EPOLLIN));
            assertTrue(e.getMessage().contains("op 0"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Vpoll.ctl(fd, 1, -1));
            assertTrue(e.getMessage().contains("0xf0000000"), e.getMessage());
            assertEquals(Vpoll.EPOLLIN, Vpoll.lookup(fd).events() & Vpoll.EPOLLIN, "nothing changed");
        } finally {
            Vpoll.close(fd);
        }
        assertEquals(before, Probe.openFdCount());
        VpollException notOurs = assertThrows(VpollException.class, () -> Vpoll.ctl(0, 1, 1));
        assertEquals(Errno.EBADF, notOurs.errno());
        assertTrue(notOurs.getMessage().contains("EBADF"), notOurs.getMessage());
    }
}
