package org.jvpoll.backend;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.ReentrantLock;

import org.jvpoll.Errno;
import org.jvpoll.Events;
import org.jvpoll.VpollException;
import org.jvpoll.syscall.Poll;
import org.jvpoll.syscall.Sockets;
import org.jvpoll.syscall.Unistd;

/**
 * The TCP emulation's one loopback listener per process, created on first use, which accepts the
 * peer end ("B") of every emulated fd. It costs one descriptor for the life of the process.
 */
final class LoopbackListener {
    private LoopbackListener() {}

    private static final long ACCEPT_TIMEOUT_NANOS = 2_000_000_000L;
    private static final ReentrantLock LOCK = new ReentrantLock();
    private static final MemorySegment ADDRESS = Arena.global().allocate(Sockets.SOCKADDR_IN_SIZE);
    /** The listening socket, or -1 before the first connection; guarded by {@link #LOCK}. */
    private static int fd = -1;

    /** Call with LOCK held. */
    private static int get(TcpScratch s) throws VpollException {
        if (fd >= 0) {
            return fd;
        }
        int l = Sockets.socket(Sockets.AF_INET, Sockets.SOCK_STREAM | Sockets.SOCK_CLOEXEC | Sockets.SOCK_NONBLOCK, 0);
        try {
            Sockets.sockaddrIn(ADDRESS, Sockets.INADDR_LOOPBACK, 0);
            Sockets.bind(l, ADDRESS);
            Sockets.listen(l, 128);
            Sockets.getsockname(l, ADDRESS, s.len);
        } catch (VpollException e) {
            Unistd.closeQuietly(l);
            throw e;
        }
        fd = l;
        return l;
    }

    /** Connects A to the listener and accepts exactly A's connection as B. @return B */
    static int connectPair(int a, TcpScratch s) throws VpollException {
        LOCK.lock();
        try {
            int l = get(s);
            Sockets.connect(a, ADDRESS);
            Sockets.getsockname(a, s.nameA, s.len);
            int wantPort = Sockets.port(s.nameA);
            long deadline = System.nanoTime() + ACCEPT_TIMEOUT_NANOS;
            for (;;) {
                int b = Sockets.accept(l, s.nameB, s.len, Sockets.SOCK_CLOEXEC | Sockets.SOCK_NONBLOCK);
                if (b >= 0) {
                    if (Sockets.port(s.nameB) == wantPort) {
                        return b;
                    }
                    // Another local process connected to our listener: not ours, refuse it.
                    Unistd.closeQuietly(b);
                    continue;
                }
                if (System.nanoTime() > deadline) {
                    throw new VpollException("accept4(loopback listener)", Errno.EAGAIN,
                            "the connection of the new vpoll fd did not arrive");
                }
                Poll.pollOne(l, Events.IN, 10);
            }
        } finally {
            LOCK.unlock();
        }
    }
}
