package org.jvpoll.wait;

import java.util.concurrent.atomic.AtomicBoolean;

import org.jvpoll.VpollException;
import org.jvpoll.syscall.Pipe;
import org.jvpoll.syscall.Unistd;

/**
 * A pipe's two descriptors, for tests and examples that need a plain fd next to vpoll fds (a JDK
 * {@link java.nio.channels.Pipe} has no public descriptor number). Both ends are close-on-exec and
 * non-blocking; {@link #close()} closes both, once.
 *
 * <pre>{@code
 * try (PipeFds pipe = PipeFds.open(); PollSet set = new PollSet(2)) {
 *     int p = set.add(pipe.readFd(), Events.IN);   // readable once something is written
 *     ...
 * }
 * }</pre>
 */
public final class PipeFds implements AutoCloseable {
    private final int readFd;
    private final int writeFd;
    private final AtomicBoolean closed = new AtomicBoolean();

    private PipeFds(int readFd, int writeFd) {
        this.readFd = readFd;
        this.writeFd = writeFd;
    }

    /**
     * Creates a pipe: {@code pipe2(fds, O_CLOEXEC | O_NONBLOCK)}.
     *
     * @return the pipe, which the caller closes
     * @throws VpollException if pipe2 fails (errno attached, for example EMFILE)
     */
    public static PipeFds open() throws VpollException {
        int[] fds = Pipe.pipe2(Unistd.O_CLOEXEC | Unistd.O_NONBLOCK);
        return new PipeFds(fds[0], fds[1]);
    }

    /**
     * {@return the read end's descriptor}
     *
     * @throws IllegalStateException if the pipe is closed (the number may belong to another file by now)
     */
    public int readFd() {
        requireOpen();
        return readFd;
    }

    /**
     * {@return the write end's descriptor}
     *
     * @throws IllegalStateException if the pipe is closed (the number may belong to another file by now)
     */
    public int writeFd() {
        requireOpen();
        return writeFd;
    }

    /** {@return whether {@link #close()} has not been called} */
    public boolean isOpen() {
        return !closed.get();
    }

    private void requireOpen() {
        if (closed.get()) {
            throw new IllegalStateException("the pipe (fds " + readFd + ", " + writeFd + ") is closed");
        }
    }

    /**
     * Closes both ends; later calls do nothing. Remove the descriptors from any set first.
     *
     * @throws VpollException if close(2) fails for either end (both are closed regardless)
     */
    @Override
    public void close() throws VpollException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            Unistd.close(writeFd);
        } finally {
            Unistd.close(readFd);
        }
    }
}
