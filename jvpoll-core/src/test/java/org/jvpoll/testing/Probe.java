package org.jvpoll.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.jvpoll.VpollException;
import org.jvpoll.syscall.Epoll;
import org.jvpoll.syscall.Poll;
import org.jvpoll.syscall.Unistd;

/** Observes descriptors the way foreign code does: real poll(2) and epoll(2) calls. */
public final class Probe implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment ev = arena.allocate(Epoll.EVENT_SIZE * 4);
    private final int epfd;
    private final int fd;

    /** An epoll set watching {@code fd} for {@code interest} (level-triggered unless EPOLLET is in it). */
    public Probe(int fd, int interest) throws VpollException {
        this.fd = fd;
        this.epfd = Epoll.create(Epoll.EPOLL_CLOEXEC);
        Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, fd, interest, fd, ev);
    }

    /** @return what poll(2) reports now with every bit requested */
    public int poll() throws VpollException {
        return Poll.currentEvents(fd);
    }

    /** @return the events epoll_wait reports within {@code timeoutMs}, or 0 if none */
    public int epoll(int timeoutMs) throws VpollException {
        int n;
        do {
            n = Epoll.wait(epfd, ev, 4, timeoutMs);
        } while (n < 0);
        if (n == 0) {
            return 0;
        }
        if (Epoll.data(ev, 0) != fd) {
            throw new AssertionError("epoll returned data " + Epoll.data(ev, 0) + ", expected fd " + fd);
        }
        return Epoll.events(ev, 0);
    }

    static boolean notJvmFile(Path fd) {
        try {
            String target = Files.readSymbolicLink(fd).toString();
            return !(target.endsWith(".jar") || target.endsWith(".jmod") || target.endsWith(".class")
                    || target.startsWith(System.getProperty("java.home")));
        } catch (IOException e) {
            return false; // closed while listing: not ours to count
        }
    }

    @Override
    public void close() throws VpollException {
        Unistd.close(epfd);
        arena.close();
    }

    /**
     * @return how many descriptors this process has open, after one vpoll fd has been created and
     *         closed (the emulation keeps one loopback listener per process from its first use)
     */
    public static int openFdCount() {
        try {
            org.jvpoll.VpollFd.create(0).close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // The JVM's own jars and class files are left out: it opens and closes them on its own
        // schedule (class loading), which made counts flaky.
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return (int) s.filter(Probe::notJvmFile).count() - 1; // minus the listing's own
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
