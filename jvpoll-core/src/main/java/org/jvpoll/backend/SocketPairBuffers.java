package org.jvpoll.backend;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Native memory the socket-pair emulation passes to its system calls, allocated once so that no
 * change allocates: shared buffers the kernel only reads (or writes bytes nobody looks at), and
 * one socketpair(2) result per thread.
 */
final class SocketPairBuffers {
    private SocketPairBuffers() {}

    /** One unread send of this size makes A unwritable at the minimum SO_SNDBUF (4 x ~1.7 KiB > 4608). */
    static final int FILLER = 1024;
    /** Doubled by the kernel; far above the filler. */
    private static final int SNDBUF_OPEN_BYTES = 64 << 10;
    /** Raised by the kernel to SOCK_MIN_SNDBUF (4608). */
    private static final int SNDBUF_SHUT_BYTES = 1;

    /** Filler and discard buffer: only ever sent from or received into, so threads may share it. */
    static final MemorySegment BYTES = Arena.global().allocate(FILLER);
    /** The two SO_SNDBUF values, as setsockopt reads them (never written after this, so shared). */
    static final MemorySegment SNDBUF_OPEN = Arena.global().allocate(JAVA_INT);
    static final MemorySegment SNDBUF_SHUT = Arena.global().allocate(JAVA_INT);
    /** Where socketpair(2) writes the two descriptors, one per thread, so creation allocates nothing native. */
    static final ThreadLocal<MemorySegment> PAIR = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(8));

    static {
        BYTES.fill((byte) 'f');
        SNDBUF_OPEN.set(JAVA_INT, 0, SNDBUF_OPEN_BYTES);
        SNDBUF_SHUT.set(JAVA_INT, 0, SNDBUF_SHUT_BYTES);
    }
}
