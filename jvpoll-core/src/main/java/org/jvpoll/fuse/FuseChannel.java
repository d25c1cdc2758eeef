package org.jvpoll.fuse;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.jvpoll.VpollException;
import org.jvpoll.syscall.Fuse;
import org.jvpoll.syscall.Fuse.InHeader;
import org.jvpoll.syscall.Fuse.NotifyPollWakeupOut;
import org.jvpoll.syscall.Fuse.OutHeader;
import org.jvpoll.syscall.Unistd;

/**
 * The FUSE wire for one thread on one /dev/fuse descriptor (the original or a clone): a request
 * buffer read whole, a reply buffer written whole, both reused for every request so serving
 * allocates nothing. Fields are read and written through the {@link Fuse} layouts.
 */
final class FuseChannel {
    /** A request never exceeds this: the kernel's minimum read buffer plus our max_write. */
    static final int MAX_WRITE = 4096;
    private static final int BUFFER_SIZE = Fuse.MIN_READ_BUFFER + MAX_WRITE;
    private static final int REPLY_SIZE = 256;
    private static final int NOTIFY_SIZE = Fuse.OUT_HEADER_SIZE + Fuse.NOTIFY_POLL_SIZE;

    final int fd;
    private final MemorySegment in;
    private final MemorySegment out;
    private final MemorySegment arg;
    private final MemorySegment payload;

    FuseChannel(int fd) {
        this.fd = fd;
        Arena arena = Arena.ofAuto();
        in = arena.allocate(BUFFER_SIZE, 8);
        out = arena.allocate(REPLY_SIZE, 8);
        arg = in.asSlice(Fuse.IN_HEADER_SIZE);
        payload = out.asSlice(Fuse.OUT_HEADER_SIZE);
    }

    /**
     * @return the request's length, or a negative errno for EAGAIN (non-blocking descriptor)
     * @throws VpollException for other errors: ENOENT (the request was interrupted before it was
     *                        read), ENODEV (the connection ended)
     */
    long read(String what) throws VpollException {
        return Unistd.read(fd, in, BUFFER_SIZE, what);
    }

    int opcode() {
        return (int) InHeader.OPCODE.get(in, 0L);
    }

    long unique() {
        return (long) InHeader.UNIQUE.get(in, 0L);
    }

    /** @return the request's argument struct (after fuse_in_header) */
    MemorySegment arg() {
        return arg;
    }

    /** @return where the reply's result struct goes (after fuse_out_header) */
    MemorySegment payload() {
        return payload;
    }

    /** Writes the out header and {@code payloadSize} bytes already placed in {@link #payload()}. */
    void reply(long unique, int error, int payloadSize) throws VpollException {
        int len = Fuse.OUT_HEADER_SIZE + (error == 0 ? payloadSize : 0);
        OutHeader.LEN.set(out, 0L, len);
        OutHeader.ERROR.set(out, 0L, error);
        OutHeader.UNIQUE.set(out, 0L, unique);
        long n = Unistd.write(fd, out, len, "write(/dev/fuse, reply)");
        if (n < 0) {
            throw new VpollException("write(/dev/fuse, reply)", (int) -n, null);
        }
    }

    /** @return a buffer for {@link #notifyPoll}, one per sending thread */
    static MemorySegment notifyBuffer() {
        return Arena.ofAuto().allocate(NOTIFY_SIZE, 8);
    }

    /** Writes FUSE_NOTIFY_POLL for {@code kh}: the kernel wakes every waiter of that poll handle. */
    static void notifyPoll(int devFd, MemorySegment buffer, long kh) throws VpollException {
        OutHeader.LEN.set(buffer, 0L, NOTIFY_SIZE);
        OutHeader.ERROR.set(buffer, 0L, Fuse.NOTIFY_POLL);
        OutHeader.UNIQUE.set(buffer, 0L, 0L);
        NotifyPollWakeupOut.KH.set(buffer, (long) Fuse.OUT_HEADER_SIZE, kh);
        long n = Unistd.write(devFd, buffer, NOTIFY_SIZE, "write(/dev/fuse, FUSE_NOTIFY_POLL)");
        if (n < 0) {
            throw new VpollException("write(/dev/fuse, FUSE_NOTIFY_POLL)", (int) -n, null);
        }
    }
}
