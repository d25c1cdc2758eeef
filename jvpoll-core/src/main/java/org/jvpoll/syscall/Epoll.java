package org.jvpoll.syscall;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

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

    /**
     * struct epoll_event as this machine's kernel defines it: the uapi header marks it
     * {@code __attribute__((packed))} on x86-64 only (12 bytes, data at 4); every other ABI lays it
     * out naturally (16 bytes, data at 8). EpollStructTest checks both against the C compiler.
     */
    public static final StructLayout EPOLL_EVENT = isX86_64()
            ? MemoryLayout.structLayout(
                    JAVA_INT.withName("events"),
                    JAVA_LONG_UNALIGNED.withName("data")).withName("epoll_event")
            : MemoryLayout.structLayout(
                    JAVA_INT.withName("events"),
                    MemoryLayout.paddingLayout(4),
                    JAVA_LONG.withName("data")).withName("epoll_event");
    /** sizeof(struct epoll_event) on this machine. */
    public static final long EVENT_SIZE = EPOLL_EVENT.byteSize();
    private static final VarHandle EVENTS = EPOLL_EVENT.arrayElementVarHandle(PathElement.groupElement("events"));
    private static final VarHandle DATA = EPOLL_EVENT.arrayElementVarHandle(PathElement.groupElement("data"));

    static {
        long expected = isX86_64() ? 12 : 16;
        if (EVENT_SIZE != expected) {
            throw new AssertionError("struct epoll_event is " + expected + " bytes here, the layout says " + EVENT_SIZE);
        }
    }

    static boolean isX86_64() {
        String arch = System.getProperty("os.arch");
        return arch.equals("amd64") || arch.equals("x86_64");
    }

    private static final MethodHandle CREATE1 = Syscall.link("epoll_create1",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle CTL = Syscall.link("epoll_ctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle WAIT = Syscall.link("epoll_wait",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));

    /** epoll_pwait2 when the C library has it (glibc 2.35+), else null. */
    private static final MethodHandle PWAIT2 = Syscall.linkOptional("epoll_pwait2",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));

    public static int create(int flags) throws VpollException {
        long rc;
        try {
            rc = (long) CREATE1.invokeExact(flags);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        return (int) Syscall.check(rc, "epoll_create1", flags);
    }

    /** epoll_ctl(2); {@code scratch} holds one epoll_event and is filled here. */
    public static void ctl(int epfd, int op, int fd, int events, long data, MemorySegment scratch)
            throws VpollException {
        setEvent(scratch, 0, events, data);
        long rc;
        try {
            rc = (long) CTL.invokeExact(epfd, op, fd, scratch);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        if (rc < 0) {
            throw Syscall.failure("epoll_ctl(" + epfd + ", op " + op + ", fd " + fd + ", " + Syscall.hex(events) + ")", rc);
        }
    }

    /**
     * epoll_wait(2).
     * @return the number of events, or {@link Syscall#INTERRUPTED} if a signal interrupted the wait
     */
    public static int wait(int epfd, MemorySegment events, int maxEvents, int timeoutMs) throws VpollException {
        long rc;
        try {
            rc = (long) WAIT.invokeExact(epfd, events, maxEvents, timeoutMs);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        return (int) (rc == Syscall.INTERRUPTED ? rc : Syscall.check(rc, "epoll_wait", epfd));
    }

    /**
     * epoll_pwait2(2): nanosecond {@code timespec} (NULL = forever), {@code sigmask} (NULL = the
     * thread's mask stays) as the thread's signal mask during the wait.
     * @return the number of events, or {@link Syscall#INTERRUPTED} if a signal interrupted the wait
     * @throws VpollException ENOSYS if the C library or the kernel lacks epoll_pwait2
     */
    public static int pwait2(int epfd, MemorySegment events, int maxEvents, MemorySegment timespec,
                             MemorySegment sigmask) throws VpollException {
        if (PWAIT2 == null) {
            throw new VpollException("epoll_pwait2", Errno.ENOSYS, "the C library has no epoll_pwait2 (glibc 2.35+)");
        }
        long rc;
        try {
            rc = (long) PWAIT2.invokeExact(epfd, events, maxEvents, timespec, sigmask);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        return (int) (rc == Syscall.INTERRUPTED ? rc : Syscall.check(rc, "epoll_pwait2", epfd));
    }

    public static void setEvent(MemorySegment array, int index, int events, long data) {
        EVENTS.set(array, 0L, (long) index, events);
        DATA.set(array, 0L, (long) index, data);
    }

    public static int events(MemorySegment array, int index) {
        return (int) EVENTS.get(array, 0L, (long) index);
    }

    public static long data(MemorySegment array, int index) {
        return (long) DATA.get(array, 0L, (long) index);
    }
}
