package org.jvpoll.backend;

import static org.jvpoll.Events.IN;
import static org.jvpoll.Events.PRI;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.jvpoll.Backend;
import org.jvpoll.Errno;
import org.jvpoll.Events;
import org.jvpoll.UnsupportedEventsException;
import org.jvpoll.VpollException;
import org.jvpoll.VpollFd;
import org.jvpoll.fuse.ProcessMount;
import org.jvpoll.fuse.VpollFileSystem;
import org.jvpoll.syscall.EventFd;
import org.jvpoll.syscall.Ioctl;
import org.jvpoll.syscall.Poll;
import org.jvpoll.syscall.Unistd;
import org.jvpoll.testing.FuseSupport;
import org.jvpoll.testing.Probe;
import org.jvpoll.testing.WaitingThread;

/** The FUSE backend beyond the shared behaviour suite: explicit choice, foreign protocols, limits. */
class FuseBackendTest {
    static final VpollFd.Options FUSE = VpollFd.Options.DEFAULT.backend(Backend.FUSE);

    @Test
    void isNeverChosenAutomatically() {
        String forced = System.getProperty(Backend.PROPERTY);
        try {
            System.clearProperty(Backend.PROPERTY);
            assertNotEquals(Backend.FUSE, Backend.preferred(), "mounting must be asked for");
            System.setProperty(Backend.PROPERTY, "fuse");
            assertEquals(Backend.FUSE, Backend.preferred(), "-Djvpoll.backend=fuse forces it");
        } finally {
            if (forced == null) {
                System.clearProperty(Backend.PROPERTY);
            } else {
                System.setProperty(Backend.PROPERTY, forced);
            }
        }
        List<Backend> available = Backend.available();
        if (available.contains(Backend.FUSE)) {
            assertEquals(Backend.FUSE, available.get(available.size() - 1), "listed last");
        }
    }

    @Test
    void foreignCodeUsesTheModulesIoctlAndTheEventfdProtocol() throws IOException {
        FuseSupport.requireRootFuse();
        try (VpollFd vfd = VpollFd.create(IN, FUSE); Arena arena = Arena.ofConfined()) {
            int fd = vfd.fd();
            assertEquals(IN | PRI, Ioctl.ioctl(fd, Ioctl.vpollRequest(1), PRI, "ioctl ADD"), "ioctl returns the new mask");
            assertEquals(IN | PRI, vfd.events());
            KernelIo.SYSTEM.writeU64(fd, EventFd.vpollRequest(2, IN), "write DEL IN");
            assertEquals(PRI, KernelIo.SYSTEM.readU64(fd, "read"), "an 8-byte read returns the mask");
            assertEquals(PRI, Poll.currentEvents(fd));
            assertEquals(PRI, vfd.events(), "the API sees what foreign code did");

            MemorySegment four = arena.allocate(8);
            assertErrno(Errno.EINVAL, () -> Unistd.write(fd, four, 4, "write 4 bytes"));
            assertErrno(Errno.EINVAL, () -> Unistd.read(fd, four, 4, "read 4 bytes"));
            assertErrno(Errno.EINVAL, () -> KernelIo.SYSTEM.writeU64(fd, EventFd.vpollRequest(9, IN), "write op 9"));
            assertErrno(Errno.EINVAL, () -> Ioctl.ioctl(fd, Ioctl.vpollRequest(9), IN, "ioctl op 9"));
            assertErrno(Errno.ENOTTY, () -> Ioctl.ioctl(fd, 0x5401 /* TCGETS */, 0, "ioctl TCGETS"));
            assertEquals(PRI, vfd.events(), "refused requests change nothing");

            // The device holds 28 bits like the module; FUSE's poll reply carries bits 0-10 and 13.
            assertEquals(Events.ALL, Ioctl.ioctl(fd, Ioctl.vpollRequest(3), Events.ALL, "ioctl SET all"));
            assertEquals(Events.ALL, vfd.events());
            assertEquals(0x27ff, Poll.currentEvents(fd));
        }
    }

    @Test
    void eventsPollersCannotSeeAreRefusedAndChangeNothing() throws IOException {
        FuseSupport.requireRootFuse();
        try (VpollFd vfd = VpollFd.create(IN, FUSE)) {
            UnsupportedEventsException e = assertThrows(UnsupportedEventsException.class, () -> vfd.add(0x1000 | PRI));
            assertEquals(0x1000, e.events(), e.getMessage());
            assertTrue(e.getMessage().contains("bits 0-10 and 13"), e.getMessage());
            assertThrows(UnsupportedEventsException.class, () -> vfd.set(0x0100_0000));
            assertThrows(UnsupportedEventsException.class, () -> VpollFd.create(0x4000, FUSE));
            assertEquals(IN, vfd.events(), "nothing changed");
            assertEquals(IN, vfd.delete(0x1000), "deleting bits that were never set is harmless");
        }
    }

    @Test
    void directChangesSkipTheDaemonAndIoctlModeGoesThroughIt() throws Exception {
        FuseSupport.requireRootFuse();
        for (String mode : new String[] {"direct", "ioctl"}) {
            System.setProperty(FuseBackend.CTL_PROPERTY, mode);
            try (VpollFd vfd = VpollFd.create(0, FUSE); Probe probe = new Probe(vfd.fd(), IN | PRI)) {
                VpollFileSystem fs = ProcessMount.current().fileSystem();
                long before = fs.requests();
                for (int i = 0; i < 10; i++) {
                    assertEquals(IN, vfd.add(IN));
                    assertEquals(0, vfd.delete(IN));
                }
                long requests = fs.requests() - before;
                if (mode.equals("direct")) {
                    assertEquals(0, requests, "direct changes need no request when nobody waits");
                } else {
                    assertTrue(requests >= 20, "each change is an ioctl round trip: " + requests);
                }
                WaitingThread<Integer> waiter = WaitingThread.start(() -> probe.epoll(10_000)).blocked();
                assertEquals(PRI, vfd.add(PRI));
                assertEquals(PRI, waiter.get(), mode + ": the waiter is woken");
            } finally {
                System.clearProperty(FuseBackend.CTL_PROPERTY);
            }
        }
    }

    @Test
    void oneshotAndNestedEpollSeeEveryChange() throws Exception {
        FuseSupport.requireRootFuse();
        try (VpollFd vfd = VpollFd.create(0, FUSE); Arena arena = Arena.ofConfined()) {
            MemorySegment ev = arena.allocate(org.jvpoll.syscall.Epoll.EVENT_SIZE * 4);
            int oneshot = org.jvpoll.syscall.Epoll.create(org.jvpoll.syscall.Epoll.EPOLL_CLOEXEC);
            int inner = org.jvpoll.syscall.Epoll.create(org.jvpoll.syscall.Epoll.EPOLL_CLOEXEC);
            int outer = org.jvpoll.syscall.Epoll.create(org.jvpoll.syscall.Epoll.EPOLL_CLOEXEC);
            try {
                int flags = IN | org.jvpoll.syscall.Epoll.EPOLLONESHOT;
                org.jvpoll.syscall.Epoll.ctl(oneshot, org.jvpoll.syscall.Epoll.EPOLL_CTL_ADD, vfd.fd(), flags, 1, ev);
                org.jvpoll.syscall.Epoll.ctl(inner, org.jvpoll.syscall.Epoll.EPOLL_CTL_ADD, vfd.fd(), PRI, 2, ev);
                org.jvpoll.syscall.Epoll.ctl(outer, org.jvpoll.syscall.Epoll.EPOLL_CTL_ADD, inner, IN, 3, ev);
                for (int round = 0; round < 3; round++) {
                    vfd.add(IN);
                    assertEquals(1, org.jvpoll.syscall.Epoll.wait(oneshot, ev, 4, 1000), "oneshot round " + round);
                    assertEquals(IN, org.jvpoll.syscall.Epoll.events(ev, 0));
                    assertEquals(0, org.jvpoll.syscall.Epoll.wait(oneshot, ev, 4, 0), "disarmed until EPOLL_CTL_MOD");
                    vfd.delete(IN);
                    org.jvpoll.syscall.Epoll.ctl(oneshot, org.jvpoll.syscall.Epoll.EPOLL_CTL_MOD, vfd.fd(), flags, 1, ev);

                    assertEquals(0, org.jvpoll.syscall.Epoll.wait(outer, ev, 4, 0), "nested: nothing yet");
                    vfd.add(PRI);
                    assertEquals(1, org.jvpoll.syscall.Epoll.wait(outer, ev, 4, 1000), "nested round " + round);
                    assertEquals(1, org.jvpoll.syscall.Epoll.wait(inner, ev, 4, 0));
                    assertEquals(PRI, org.jvpoll.syscall.Epoll.events(ev, 0));
                    vfd.delete(PRI);
                    assertEquals(0, org.jvpoll.syscall.Epoll.wait(outer, ev, 4, 0), "nested: cleared");
                }
            } finally {
                Unistd.close(oneshot);
                Unistd.close(inner);
                Unistd.close(outer);
            }
        }
    }

    interface Call {
        void run() throws IOException;
    }

    static void assertErrno(int errno, Call call) {
        VpollException e = assertThrows(VpollException.class, call::run);
        assertEquals(errno, e.errno(), e.getMessage());
    }
}
