package org.jvpoll.jcstress;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.jvpoll.VpollFd;

/**
 * Vpoll fds for jcstress states. jcstress builds states in batches and has no per-state tear-down,
 * so fds that survive a test go back to a per-backend pool from the arbiter instead of leaking.
 */
final class PooledVpollFds {
    private PooledVpollFds() {}

    /** The bits the outcomes report: companions (RDNORM, WRNORM) are left out so every backend reads alike. */
    static final int REPORTED = Events.IN | Events.PRI | Events.OUT | Events.ERR;
    /** A ctl that failed because the fd was closed. */
    static final int CLOSED = -1;
    /** A ctl that failed any other way: never acceptable. */
    static final int FAILED = -2;

    private static final ConcurrentLinkedQueue<VpollFd> EMULATION_POOL = new ConcurrentLinkedQueue<>();
    private static final ConcurrentLinkedQueue<VpollFd> FUSE_POOL = new ConcurrentLinkedQueue<>();

    private static ConcurrentLinkedQueue<VpollFd> pool(Backend backend) {
        return backend == Backend.FUSE ? FUSE_POOL : EMULATION_POOL;
    }

    /** A fresh vpoll fd (not pooled) with {@code events} set. */
    static VpollFd create(Backend backend, int events) {
        try {
            return VpollFd.create(events, VpollFd.Options.DEFAULT.backend(backend));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A pooled vpoll fd with exactly {@code events} set. */
    static VpollFd take(Backend backend, int events) {
        VpollFd fd = pool(backend).poll();
        if (fd == null) {
            return create(backend, events);
        }
        try {
            fd.set(events);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return fd;
    }

    static void give(Backend backend, VpollFd fd) {
        pool(backend).add(fd);
    }

    /** @return the reported bits of {@code events()}, or {@link #FAILED} */
    static int events(VpollFd fd) {
        try {
            return fd.events() & REPORTED;
        } catch (IOException e) {
            return FAILED;
        }
    }

    /** The ctl calls an actor makes, reduced to an int outcome. */
    @FunctionalInterface
    interface Ctl {
        int call() throws IOException;
    }

    static int outcome(Ctl ctl) {
        try {
            return ctl.call() & REPORTED;
        } catch (ClosedChannelException e) {
            return CLOSED;
        } catch (IOException | RuntimeException e) {
            return FAILED;
        }
    }
}
