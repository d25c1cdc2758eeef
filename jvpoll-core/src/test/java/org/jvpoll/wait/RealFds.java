package org.jvpoll.wait;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import org.jvpoll.VpollException;
import org.jvpoll.syscall.EventFd;
import org.jvpoll.syscall.Ioctl;
import org.jvpoll.syscall.Pipe;
import org.jvpoll.syscall.Signals;
import org.jvpoll.syscall.TimerFd;
import org.jvpoll.syscall.Unistd;
import org.jvpoll.syscall.UnixSockets;
import org.jvpoll.testing.Skip;

/** Real kernel descriptors for the waiter tests, all closed by {@link #close()}. */
final class RealFds implements AutoCloseable {
    private static final int O_NOCTTY = 0x100;
    /** _IOW('T', 0x31, int): lock (non-zero) or unlock the slave. */
    private static final long TIOCSPTLCK = 0x40045431L;
    /** _IOR('T', 0x30, unsigned int): the slave's number. */
    private static final long TIOCGPTN = 0x80045430L;

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment buf = arena.allocate(128, 8);
    private final List<Integer> open = new ArrayList<>();

    /** @return {read end, write end} of a close-on-exec, non-blocking pipe */
    int[] pipe() throws VpollException {
        int[] p = Pipe.pipe2(Unistd.O_CLOEXEC | Unistd.O_NONBLOCK);
        open.add(p[0]);
        open.add(p[1]);
        return p;
    }

    /** @return both ends of an AF_UNIX stream socket pair */
    int[] socketpair() throws VpollException {
        int[] s = UnixSockets.socketpair();
        open.add(s[0]);
        open.add(s[1]);
        return s;
    }

    /**
     * @return {master, slave} of a new pseudo-terminal (the slave is a tty in canonical mode: it
     *         turns readable when a whole line arrives); skips the test, saying why, without devpts
     */
    int[] pty() throws VpollException {
        int flags = Unistd.O_RDWR | Unistd.O_CLOEXEC | O_NOCTTY;
        int master;
        try {
            master = Unistd.open(arena.allocateFrom("/dev/ptmx"), flags, "open(/dev/ptmx)");
        } catch (VpollException e) {
            throw Skip.because("no pseudo-terminals here: " + e.getMessage());
        }
        open.add(master);
        MemorySegment n = arena.allocate(JAVA_INT);
        n.set(JAVA_INT, 0, 0);
        Ioctl.ioctlInt(master, TIOCSPTLCK, n, "ioctl(TIOCSPTLCK)"); // unlockpt
        int number = Ioctl.ioctlInt(master, TIOCGPTN, n, "ioctl(TIOCGPTN)"); // ptsname
        int slave = Unistd.open(arena.allocateFrom("/dev/pts/" + number), flags, "open(/dev/pts/" + number + ")");
        open.add(slave);
        return new int[] {master, slave};
    }

    /** Writes "x\n": a whole line for a terminal in canonical mode. */
    void writeLine(int fd) throws VpollException {
        buf.set(JAVA_BYTE, 0, (byte) 'x');
        buf.set(JAVA_BYTE, 1, (byte) '\n');
        Unistd.write(fd, buf, 2, "write(" + fd + ")");
    }

    /** @return a non-blocking eventfd with counter {@code initial} */
    int eventfd(int initial) throws VpollException {
        int fd = EventFd.eventfd(initial, EventFd.EFD_CLOEXEC | EventFd.EFD_NONBLOCK);
        open.add(fd);
        return fd;
    }

    /** @return a monotonic timerfd, disarmed */
    int timerfd() throws VpollException {
        int fd = TimerFd.create(TimerFd.CLOCK_MONOTONIC, TimerFd.TFD_CLOEXEC | TimerFd.TFD_NONBLOCK);
        open.add(fd);
        return fd;
    }

    /** @return a signalfd reading {@code signals} (block them in the reading thread first) */
    int signalfd(SignalSet signals) throws VpollException {
        int fd = Signals.signalfd(-1, signals.segment(), Signals.SFD_CLOEXEC | Signals.SFD_NONBLOCK);
        open.add(fd);
        return fd;
    }

    void writeByte(int fd) throws VpollException {
        buf.set(JAVA_BYTE, 0, (byte) 'x');
        if (Unistd.write(fd, buf, 1, "write(" + fd + ")") != 1) {
            throw new AssertionError("write(" + fd + ") wrote nothing");
        }
    }

    /** Writes {@code value} to an eventfd (8 bytes). */
    void writeCounter(int fd, long value) throws VpollException {
        buf.set(JAVA_LONG, 0, value);
        Unistd.write(fd, buf, 8, "write(eventfd " + fd + ")");
    }

    /** @return bytes read (up to 128), or -EAGAIN */
    long read(int fd) throws VpollException {
        return Unistd.read(fd, buf, 128, "read(" + fd + ")");
    }

    /** @return the signal number of the next siginfo on a signalfd, or -1 if none */
    int readSignal(int signalfd) throws VpollException {
        long n = Unistd.read(signalfd, buf, Signals.SIGINFO_SIZE, "read(signalfd " + signalfd + ")");
        return n == Signals.SIGINFO_SIZE ? Signals.signo(buf) : -1;
    }

    /** Closes {@code fd} now (it is not closed again). */
    void close(int fd) throws VpollException {
        open.remove(Integer.valueOf(fd));
        Unistd.close(fd);
    }

    @Override
    public void close() {
        for (int fd : open) {
            Unistd.closeQuietly(fd);
        }
        open.clear();
        arena.close();
    }
}
