package org.jvpoll.syscall;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import org.jvpoll.Errno;
import org.jvpoll.VpollException;

/**
 * sys/epoll.h.
 *
 * <pre>
 * struct epoll_event {      // x86-64: __attribute__((packed)), 12 bytes; other ABIs: 16 bytes
 *     uint32_t     events;  // 0
 *     epoll_data_t data;    // 4 on x86-64, 8 elsewhere (union of void*, int, uint32_t, uint64_t)
 * };
 * int epoll_create1(int flags);
 * int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event);
 * int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout_ms);
 * int epoll_pwait2(int epfd, struct epoll_event *events, int maxevents,
 *                  const struct timespec *timeout, const sigset_t *sigmask);  // Linux 5.11, glibc 2.35
 * </pre>
 */
public final class Epoll {
    private Epoll() {}

    public static final int EPOLL_CLOEXEC = Unistd.O_CLOEXEC;
    public static final int EPOLL_CTL_ADD = 1;
    public static final int EPOLL_CTL_DEL = 2;
    public static final int EPOLL_CTL_MOD = 3;
    public static final int EPOLLEXCLUSIVE = 1 << 28;
    public static final int EPOLLWAKEUP = 1 << 29;
    public static final int EPOLLONESHOT = 1 << 30;
    public static final int EPOLLET = 1 << 31;
    /** The only events the kernel accepts together with EPOLLEXCLUSIVE (EPOLLEXCLUSIVE_OK_BITS). */
    public static final int EXCLUSIVE_OK_BITS = 0x001 | 0x004 | 0x008 | 0x010 | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;

    private static final boolean PACKED = isX86_64();
    /** sizeof(struct epoll_event) on this machine. */
    public static final long EVENT_SIZE = PACKED ? 12 : 16;
    private static final long DATA_OFFSET = PACKED ? 4 : 8;

    private static boolean isX86_64() {
        String arch = System.getProperty("os.arch");
        return arch.equals("amd64") || arch.equals("x86_64");
    }

    private static final MethodHandle CREATE1 = Syscall.handle("epoll_create1",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle CTL = Syscall.handle("epoll_ctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle WAIT = Syscall.handle("epoll_wait",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));

    /** epoll_pwait2 when the C library has it (glibc 2.35+), else null. */
    private static final MethodHandle PWAIT2 = Syscall.optionalHandle("epoll_pwait2",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));

    public static int create(int flags) throws VpollException {
        MemorySegment st = Syscall.state();
        int rc;
        try {
            rc = (int) CREATE1.invokeExact(st, flags);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        if (rc < 0) {
            throw Syscall.error("epoll_create1", st);
        }
        return rc;
    }

    /** epoll_ctl(2); {@code scratch} holds one epoll_event and is filled here. */
    public static void ctl(int epfd, int op, int fd, int events, long data, MemorySegment scratch)
            throws VpollException {
        setEvent(scratch, 0, events, data);
        MemorySegment st = Syscall.state();
        int rc;
        try {
            rc = (int) CTL.invokeExact(st, epfd, op, fd, scratch);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        if (rc < 0) {
            throw Syscall.error("epoll_ctl(" + epfd + ", op " + op + ", fd " + fd + ")", st);
        }
    }

    /** epoll_wait(2). @return the number of events, or -EINTR if a signal interrupted the wait */
    public static int wait(int epfd, MemorySegment events, int maxEvents, int timeoutMs) throws VpollException {
        MemorySegment st = Syscall.state();
        int rc;
        try {
            rc = (int) WAIT.invokeExact(st, epfd, events, maxEvents, timeoutMs);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        if (rc < 0) {
            if (Syscall.errno(st) == Errno.EINTR) {
                return -Errno.EINTR;
            }
            throw Syscall.error("epoll_wait(" + epfd + ")", st);
        }
        return rc;
    }

    /**
     * epoll_pwait2(2): nanosecond {@code timespec} (NULL = forever), {@code sigmask} (NULL = the
     * thread's mask stays) as the thread's signal mask during the wait.
     * @return the number of events, or -EINTR if a signal interrupted the wait
     * @throws VpollException ENOSYS if the C library or the kernel lacks epoll_pwait2
     */
    public static int pwait2(int epfd, MemorySegment events, int maxEvents, MemorySegment timespec,
                             MemorySegment sigmask) throws VpollException {
        if (PWAIT2 == null) {
            throw new VpollException("epoll_pwait2", Errno.ENOSYS, "the C library has no epoll_pwait2 (glibc 2.35+)");
        }
        MemorySegment st = Syscall.state();
        int rc;
        try {
            rc = (int) PWAIT2.invokeExact(st, epfd, events, maxEvents, timespec, sigmask);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        if (rc < 0) {
            if (Syscall.errno(st) == Errno.EINTR) {
                return -Errno.EINTR;
            }
            throw Syscall.error("epoll_pwait2(" + epfd + ")", st);
        }
        return rc;
    }

    public static void setEvent(MemorySegment array, int index, int events, long data) {
        long base = index * EVENT_SIZE;
        array.set(JAVA_INT_UNALIGNED, base, events);
        array.set(JAVA_LONG_UNALIGNED, base + DATA_OFFSET, data);
    }

    public static int events(MemorySegment array, int index) {
        return array.get(JAVA_INT_UNALIGNED, index * EVENT_SIZE);
    }

    public static long data(MemorySegment array, int index) {
        return array.get(JAVA_LONG_UNALIGNED, index * EVENT_SIZE + DATA_OFFSET);
    }
}
