package org.jvpoll.fuse;

import java.util.concurrent.atomic.AtomicLong;

import org.jvpoll.Events;
import org.jvpoll.VpollException;
import org.jvpoll.syscall.Fuse;

/**
 * One open of the served file: a vpoll instance, its 28-bit mask and whether a waiter asked to be
 * woken (the device state of one fd). Lock-free: the mask and the arm share one atomic word, so
 * FUSE_POLL answers and in-memory changes never block each other.
 *
 * <p>A change wakes the waiters (through the {@link Waker}) only if a FUSE_POLL armed the instance
 * since the last wake-up and the new mask shows a bit pollers can see; a change to an invisible
 * or empty mask keeps the arm for the next one (a wake-up then would make the waiters re-poll and
 * find nothing, which the module's wake-up gives them too).
 */
public final class VpollInstance {
    /** Bit 32 of {@link #state}: a waiter asked to be notified of the next change. */
    static final long ARMED = 1L << 32;
    private static final long MASK = 0xffffffffL;

    /** Sends FUSE_NOTIFY_POLL for a kernel poll handle. */
    interface Waker {
        void wake(long pollHandle) throws VpollException;
    }

    private final Waker waker;
    private final long fh;
    /** Bits 0..31: the mask. Bit 32: {@link #ARMED}. */
    private final AtomicLong state = new AtomicLong();
    /** The kernel's poll handle for this open file, known from its first armed FUSE_POLL. */
    private volatile long kh;

    VpollInstance(Waker waker, long fh) {
        this.waker = waker;
        this.fh = fh;
    }

    /** @return the instance number (FUSE file handle) */
    public long number() {
        return fh;
    }

    /** @return the mask (all 28 bits) */
    public int events() {
        return (int) state.get();
    }

    /**
     * Applies a vpoll change and wakes the waiters, if any, before returning.
     *
     * @param op     1 ADD, 2 DEL, 3 SET
     * @param events the bits (only {@link Events#ALL} are kept, as the module does)
     * @return the new mask
     * @throws VpollException if the kernel refuses the wake-up (connection gone: ENODEV)
     */
    public int ctl(int op, int events) throws VpollException {
        long r = change(op, events);
        if ((r & ARMED) != 0) {
            waker.wake(kh);
        }
        return (int) r;
    }

    /** @return the poll handle to wake, valid once {@link #change} reported {@link #ARMED} */
    long pollHandle() {
        return kh;
    }

    /** @return the new mask, with {@link #ARMED} set if waiters must be woken */
    long change(int op, int events) {
        int e = events & Events.ALL;
        for (;;) {
            long s = state.get();
            int mask = (int) s;
            int next = switch (op) {
                case 1 -> mask | e;
                case 2 -> mask & ~e;
                case 3 -> e;
                default -> throw new IllegalArgumentException("op " + op + ": expected 1, 2 or 3");
            };
            if ((next & Fuse.POLL_VISIBLE) == 0) {
                if (state.compareAndSet(s, (next & MASK) | (s & ARMED))) {
                    return next & MASK; // nothing a poller could see: keep the arm
                }
                continue;
            }
            if (state.compareAndSet(s, next & MASK)) {
                return (next & MASK) | (s & ARMED);
            }
        }
    }

    /** FUSE_POLL: remember the handle, arm if asked, and return the mask. */
    int poll(long pollHandle, boolean scheduleNotify) {
        if (!scheduleNotify) {
            return (int) state.get();
        }
        kh = pollHandle; // written before the CAS publishes ARMED
        long s;
        do {
            s = state.get();
        } while ((s & ARMED) == 0 && !state.compareAndSet(s, s | ARMED));
        return (int) s;
    }
}
