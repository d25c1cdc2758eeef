package org.jvpoll.syscall;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;

import org.jvpoll.VpollException;

/**
 * sys/eventfd.h, including the EFD_VPOLL extension of the out-of-tree kernel patch
 * (libvpoll-eventfd, linux_patch_v6.6-rc6).
 *
 * <pre>
 * int eventfd(unsigned int initval, int flags);
 *
 * EFD_VPOLL mode: the 8-byte counter is the set of pending events.
 *   read(fd, &amp;u64, 8)   returns the mask
 *   write(fd, &amp;u64, 8)  u64 = ((uint64_t) op &lt;&lt; 32) | events, op = 1 ADD, 2 DEL, 3 MOD(=SET)
 * </pre>
 */
public final class EventFd {
    private EventFd() {}

    public static final int EFD_SEMAPHORE = 1;
    /** Selects the vpoll semantics of a patched kernel; stock kernels reject it with EINVAL. */
    public static final int EFD_VPOLL = 1 << 1;
    public static final int EFD_NONBLOCK = Unistd.O_NONBLOCK;
    public static final int EFD_CLOEXEC = Unistd.O_CLOEXEC;

    private static final MethodHandle EVENTFD = Syscall.link("eventfd",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));

    /** eventfd(2). */
    public static int eventfd(int initval, int flags) throws VpollException {
        long rc;
        try {
            rc = (long) EVENTFD.invokeExact(initval, flags);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        if (rc < 0) {
            throw Syscall.failure("eventfd(" + Syscall.hex(initval) + ", " + Syscall.hex(flags) + ")", rc);
        }
        return (int) rc;
    }

    /** The u64 an EFD_VPOLL write carries for {@code op} (1..3) and {@code events}. */
    public static long vpollRequest(int op, int events) {
        return ((long) op << 32) | (events & 0xffffffffL);
    }
}
