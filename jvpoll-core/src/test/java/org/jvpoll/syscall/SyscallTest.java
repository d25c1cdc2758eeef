package org.jvpoll.syscall;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.Test;
import org.jvpoll.Errno;
import org.jvpoll.VpollException;

/** The layer's one wrapper and its error convention, on real calls. */
class SyscallTest {
    @Test
    void aFailedCallThrowsNamingTheCallItsArgumentsAndTheErrno() {
        VpollException e = assertThrows(VpollException.class, () -> Unistd.dup(-1));
        assertEquals(Errno.EBADF, e.errno());
        assertEquals("dup(-1)", e.call());
        assertTrue(e.getMessage().contains("EBADF") && e.getMessage().contains("bad file descriptor"), e.getMessage());
    }

    @Test
    void socketFailuresNameTheirOwnDomainAndType() {
        VpollException e = assertThrows(VpollException.class,
                () -> Sockets.socket(UnixSockets.AF_UNIX, 77, 0));
        assertEquals("socket(AF_UNIX, type 77, 0)", e.call());
        VpollException inet = assertThrows(VpollException.class,
                () -> Sockets.socket(Sockets.AF_INET, Sockets.SOCK_STREAM | Sockets.SOCK_CLOEXEC, 255));
        assertTrue(inet.call().startsWith("socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 255)"), inet.call());
    }

    @Test
    void wouldBlockIsAResultOfTheNonBlockingCallsNotAnException() throws Exception {
        int fd = EventFd.eventfd(0, EventFd.EFD_CLOEXEC | EventFd.EFD_NONBLOCK);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(JAVA_LONG);
            assertEquals(Syscall.WOULD_BLOCK, Unistd.read(fd, buf, 8, "read(empty eventfd)"));
            buf.set(JAVA_LONG, 0, 1L);
            assertEquals(8, Unistd.write(fd, buf, 8, "write(eventfd)"));
            assertEquals(8, Unistd.read(fd, buf, 8, "read(eventfd)"));
            assertEquals(1L, buf.get(JAVA_LONG, 0));
            VpollException bad = assertThrows(VpollException.class, () -> Unistd.read(fd, buf, 4, "read(4 bytes)"));
            assertEquals(Errno.EINVAL, bad.errno());
            assertEquals("read(4 bytes)", bad.call());
        } finally {
            Unistd.close(fd);
        }
    }

    @Test
    void probesReportANumberThatIsNotOpenAsAResult() throws Exception {
        int fd = EventFd.eventfd(0, EventFd.EFD_CLOEXEC);
        Unistd.close(fd);
        assertEquals(FdTable.NOT_OPEN, FdTable.lseek(fd, 0, FdTable.SEEK_CUR));
        assertEquals(null, Stat.identity(fd));
        VpollException pipe = assertThrows(VpollException.class, () -> {
            int[] p = Pipe.pipe2(Unistd.O_CLOEXEC);
            try {
                FdTable.lseek(p[0], 0, FdTable.SEEK_CUR);
            } finally {
                Unistd.close(p[0]);
                Unistd.close(p[1]);
            }
        });
        assertEquals(Errno.ESPIPE, pipe.errno());
    }

    @Test
    void pthreadFunctionsReturningTheirErrorAreCheckedToo() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment set = arena.allocate(Signals.SIGSET_SIZE);
            VpollException e = assertThrows(VpollException.class, () -> Signals.pthreadSigmask(99, set, MemorySegment.NULL));
            assertEquals(Errno.EINVAL, e.errno());
            assertEquals("pthread_sigmask(99)", e.call());
        }
    }

    @Test
    void waitLoopRetriesEarlyEndsWithTheTimeLeftAndStopsAtTheDeadline() throws Exception {
        int[] calls = {0};
        long[] lastNanos = {0};
        WaitLoop.Attempt alwaysInterrupted = nanos -> {
            calls[0]++;
            lastNanos[0] = nanos;
            return calls[0] < 3 ? Syscall.INTERRUPTED : WaitLoop.AGAIN;
        };
        assertEquals(0, WaitLoop.run(20_000_000L, true, alwaysInterrupted));
        assertTrue(calls[0] >= 3, "attempts: " + calls[0]);
        assertTrue(lastNanos[0] <= 20_000_000L, "time left grew: " + lastNanos[0]);

        calls[0] = 0;
        assertEquals(Syscall.INTERRUPTED, WaitLoop.run(WaitLoop.INFINITE, false, n -> {
            calls[0]++;
            return Syscall.INTERRUPTED;
        }));
        assertEquals(1, calls[0], "a masked wait reports the signal at once");
        assertEquals(7, WaitLoop.run(WaitLoop.INFINITE, true, n -> n == WaitLoop.INFINITE ? 7 : -99));
        assertEquals(WaitLoop.AGAIN, WaitLoop.afterMillis(0, Integer.MAX_VALUE));
        assertEquals(0, WaitLoop.afterMillis(0, 5));
        assertEquals(1, WaitLoop.millis(1));
        assertEquals(-1, WaitLoop.millis(WaitLoop.INFINITE));
    }
}
