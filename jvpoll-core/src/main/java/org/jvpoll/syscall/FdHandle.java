package org.jvpoll.syscall;

import java.nio.channels.ClosedChannelException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A kernel descriptor with a single, race-free close.
 *
 * <p>Every system call on the descriptor runs between {@link #acquire()} and {@link #release()}.
 * {@link #close()} marks the handle closed at once (later acquires fail), but the descriptor is
 * released only when the last in-flight call has finished. So no call can ever reach a descriptor
 * number that the kernel has already handed to another open() (the fd-reuse race).
 */
public final class FdHandle {
    /** Releases the kernel resources; runs exactly once. */
    @FunctionalInterface
    public interface Closer {
        void closeNow(int fd);
    }

    private static final int CLOSED = 1 << 31;

    private final int fd;
    private final Closer closer;
    /** Bit 31: closed. Bits 0..30: calls in flight. */
    private final AtomicInteger state = new AtomicInteger();

    public FdHandle(int fd, Closer closer) {
        this.fd = fd;
        this.closer = closer;
    }

    /** @return the descriptor, pinned open until {@link #release()} */
    public int acquire() throws ClosedChannelException {
        for (;;) {
            int s = state.get();
            if ((s & CLOSED) != 0) {
                throw new ClosedChannelException();
            }
            if (state.compareAndSet(s, s + 1)) {
                return fd;
            }
        }
    }

    public void release() {
        int s = state.decrementAndGet();
        if (s == CLOSED) {
            closer.closeNow(fd);
        }
    }

    /**
     * Marks the handle closed; the descriptor is closed now if no call is in flight, otherwise by
     * the last {@link #release()}. @return true for the one call that closed the handle
     */
    public boolean close() {
        for (;;) {
            int s = state.get();
            if ((s & CLOSED) != 0) {
                return false;
            }
            if (state.compareAndSet(s, s | CLOSED)) {
                if (s == 0) {
                    closer.closeNow(fd);
                }
                return true;
            }
        }
    }

    public boolean isOpen() {
        return (state.get() & CLOSED) == 0;
    }

    /** The raw number, for display and for handing to native code; not pinned. */
    public int fd() {
        return fd;
    }
}
