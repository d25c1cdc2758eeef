package org.jvpoll.backend;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.jvpoll.VpollException;
import org.jvpoll.syscall.Ioctl;
import org.jvpoll.syscall.Sockets;

/** Native scratch memory of the TCP emulation, one set per thread, so ctl allocates nothing. */
final class TcpScratch {
    /** The largest single recv or send; the filler goes out in pieces of this size at most. */
    static final int DATA_BYTES = 4096;

    private static final ThreadLocal<TcpScratch> PER_THREAD = ThreadLocal.withInitial(TcpScratch::new);

    final MemorySegment intBuf;
    final MemorySegment nameA;
    final MemorySegment nameB;
    final MemorySegment len;
    final MemorySegment data;
    final MemorySegment msghdr;
    final MemorySegment iov;
    final MemorySegment control;

    private TcpScratch() {
        Arena arena = Arena.ofAuto();
        intBuf = arena.allocate(8);
        nameA = arena.allocate(Sockets.SOCKADDR_IN_SIZE);
        nameB = arena.allocate(Sockets.SOCKADDR_IN_SIZE);
        len = arena.allocate(4);
        data = arena.allocate(DATA_BYTES);
        msghdr = arena.allocate(Sockets.MSGHDR_SIZE);
        iov = arena.allocate(Sockets.IOVEC_SIZE);
        control = arena.allocate(512);
    }

    /** @return the calling thread's scratch memory */
    static TcpScratch get() {
        return PER_THREAD.get();
    }

    /** @return the bytes queued for reading on {@code fd} (SIOCINQ) */
    int inq(int fd) throws VpollException {
        return Ioctl.ioctlInt(fd, Ioctl.SIOCINQ, intBuf, "ioctl(SIOCINQ)");
    }

    /** @return the bytes {@code fd} sent that are not acknowledged yet (SIOCOUTQ) */
    int outq(int fd) throws VpollException {
        return Ioctl.ioctlInt(fd, Ioctl.SIOCOUTQ, intBuf, "ioctl(SIOCOUTQ)");
    }

    /** Sets an int socket option through {@link #intBuf}. */
    void setInt(int fd, int level, int name, int value, String what) throws VpollException {
        Sockets.setInt(fd, level, name, value, intBuf, what);
    }
}
