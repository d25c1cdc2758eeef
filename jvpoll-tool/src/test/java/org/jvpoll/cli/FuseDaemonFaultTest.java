package org.jvpoll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvpoll.Errno;
import org.jvpoll.Events;
import org.jvpoll.VpollException;
import org.jvpoll.backend.KernelIo;
import org.jvpoll.fuse.FuseMount;
import org.jvpoll.fuse.ProcessMount;
import org.jvpoll.syscall.Ioctl;
import org.jvpoll.syscall.Poll;
import org.jvpoll.syscall.Unistd;
import org.jvpoll.testing.ChildProcess;
import org.jvpoll.testing.FuseSupport;
import org.jvpoll.testing.Probe;
import org.jvpoll.testing.Skip;
import org.jvpoll.testing.WaitingThread;

/**
 * What callers of a served vpoll file see when its daemon ({@code jvpoll serve}, in a child JVM)
 * exits, is killed, or stops, and that nothing is left mounted afterwards.
 */
class FuseDaemonFaultTest {
    static final int ECONNABORTED = Errno.ECONNABORTED;
    static final String CLI = "org.jvpoll.cli.JvpollCommand";

    @TempDir
    Path dir;

    static int open(Path p) throws VpollException {
        return KernelIo.SYSTEM.open(p.toString(), Unistd.O_RDWR | Unistd.O_CLOEXEC);
    }

    @Test
    void sigtermUnmountsAndRemovesTheFileAndASecondServerIsRefusedMeanwhile() throws Exception {
        FuseSupport.requireRootFuse();
        Path path = dir.resolve("vpoll");
        try (ChildProcess server = ChildProcess.java(CLI, "serve", path.toString())) {
            server.awaitLine("serving a vpoll device at " + path, 30);
            assertEquals(1, FuseSupport.mountsAt(path).size());
            IOException busy = assertThrows(IOException.class, () -> FuseMount.mount(path,
                    ProcessMount.options(), line -> { }));
            assertTrue(busy.getMessage().contains("already served by jvpoll process " + server.pid()), busy.getMessage());
            int fd = open(path);
            try {
                assertEquals(Events.IN, Ioctl.ioctl(fd, Ioctl.vpollRequest(1), Events.IN, "ioctl ADD"));
            } finally {
                Unistd.close(fd);
            }
            server.signal("TERM");
            server.awaitExit(20); // 143: the JVM exits by the signal after its shutdown hooks
            assertTrue(server.output().contains("unmounting " + path), server.output());
            assertFalse(server.output().contains("from outside"), "a clean stop is not reported as an outside end: "
                    + server.output());
        }
        assertEquals(List.of(), FuseSupport.mountsAt(path));
        assertFalse(Files.exists(path, LinkOption.NOFOLLOW_LINKS), "the file serve created is gone");
    }

    @Test
    void aKilledDaemonGivesWaitersErrAndCallersEnotconnAndItsMountIsCleanedLater() throws Exception {
        FuseSupport.requireRootFuse();
        Path path = dir.resolve("vpoll");
        int fd;
        try (ChildProcess server = ChildProcess.java(CLI, "serve", path.toString())) {
            server.awaitLine("serving a vpoll device", 30);
            fd = open(path);
            try (Probe probe = new Probe(fd, Events.IN)) {
                WaitingThread<Integer> waiter = WaitingThread.start(() -> probe.epoll(20_000)).blocked();
                long t0 = System.nanoTime();
                server.signal("KILL");
                int seen = waiter.get(20_000);
                System.out.printf(java.util.Locale.ROOT, "killed daemon: the epoll waiter woke with %s %.0f ms after kill -KILL%n",
                        Events.toString(seen), (System.nanoTime() - t0) / 1e6);
                assertEquals(Events.ERR, seen, "a waiter wakes with EPOLLERR");
            }
            server.awaitExit(10);
        }
        try {
            assertEquals(Events.ERR, Poll.currentEvents(fd), "poll reports POLLERR from then on");
            VpollException e = assertThrows(VpollException.class,
                    () -> Ioctl.ioctl(fd, Ioctl.vpollRequest(1), Events.IN, "ioctl ADD"));
            assertEquals(Errno.ENOTCONN, e.errno(), e.getMessage());
            e = assertThrows(VpollException.class, () -> KernelIo.SYSTEM.readU64(fd, "read"));
            assertEquals(Errno.ENOTCONN, e.errno(), e.getMessage());
            e = assertThrows(VpollException.class, () -> open(path));
            assertEquals(Errno.ENOTCONN, e.errno(), "new opens fail too: " + e.getMessage());
        } finally {
            Unistd.close(fd);
        }
        // The path can be served again at once: mounting cleans the stale mount first (and says so).
        List<String> log = new ArrayList<>();
        try (FuseMount again = FuseMount.mount(path, ProcessMount.options(), log::add)) {
            assertTrue(log.get(0).contains("stale"), log.toString());
            assertEquals(1, FuseSupport.mountsAt(again.path()).size(), "the stale mount is gone, the new one serves");
        }
        assertEquals(List.of(), FuseSupport.mountsAt(path));
    }

    @Test
    void aStoppedDaemonIsCutOffByTheRequestTimeoutInsteadOfHangingCallersForever() throws Exception {
        FuseSupport.requireRootFuse();
        Path path = dir.resolve("vpoll");
        try (ChildProcess server = ChildProcess.java(CLI, "serve", path.toString(), "--request-timeout", "1")) {
            String started = server.awaitLine("serving a vpoll device", 30);
            if (!started.contains("request timeout 1 s")) {
                String why = "this kernel has no FUSE request timeouts (FUSE 7.43, Linux 6.14): a stopped daemon blocks callers";
                throw Skip.because(why + ": " + started);
            }
            int fd = open(path);
            try {
                server.signal("STOP");
                long t0 = System.nanoTime();
                VpollException e = assertThrows(VpollException.class,
                        () -> Ioctl.ioctl(fd, Ioctl.vpollRequest(1), Events.IN, "ioctl ADD"));
                long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
                System.out.println("stopped daemon: the blocked ioctl failed with " + Errno.name(e.errno())
                        + " (" + e.errno() + ") after " + seconds + " s (timeout 1 s; the kernel checks every 15 s)");
                assertEquals(ECONNABORTED, e.errno(), e.getMessage());
                assertTrue(seconds <= 45, "cut off within timeout + the kernel's check period: " + seconds + " s");
                e = assertThrows(VpollException.class, () -> Ioctl.ioctl(fd, Ioctl.vpollRequest(1), Events.IN, "ioctl"));
                assertEquals(Errno.ENOTCONN, e.errno(), "later calls fail at once");
            } finally {
                Unistd.close(fd);
                server.signal("CONT");
            }
            assertEquals(1, server.awaitExit(20), "serve notices the aborted connection and exits 1");
            assertTrue(server.output().contains("ended"), server.output());
        }
        assertEquals(List.of(), FuseSupport.mountsAt(path), "and unmounts on its way out");
    }
}
