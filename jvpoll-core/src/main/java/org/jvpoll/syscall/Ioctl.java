package org.jvpoll.syscall;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import org.jvpoll.VpollException;

/**
 * sys/ioctl.h, with the request numbers of the vpoll kernel module and of socket queues.
 *
 * <pre>
 * int ioctl(int fd, unsigned long request, ... /* unsigned long arg *&#47;);
 *
 * _IO(type, nr) = (0 &lt;&lt; 30) | (0 &lt;&lt; 16) | (type &lt;&lt; 8) | nr     (no direction, no size)
 * VPOLL_IOC_MAGIC '^'   VPOLL_IO_ADDEVENTS _IO('^', 1)   DELEVENTS _IO('^', 2)   SETEVENTS _IO('^', 3)
 * The module takes the events as the ioctl's integer argument and returns the new mask.
 * </pre>
 */
public final class Ioctl {
    private Ioctl() {}

    public static final int VPOLL_IOC_MAGIC = '^';
    /** Bytes queued for reading on a socket (FIONREAD). */
    public static final long SIOCINQ = 0x541B;
    /** Bytes in a socket's send queue not yet acknowledged (TIOCOUTQ). */
    public static final long SIOCOUTQ = 0x5411;

    /** {@code _IO(type, nr)}. */
    public static long io(int type, int nr) {
        return ((long) (type & 0xff) << 8) | (nr & 0xff);
    }

    /** The module's request number for {@code op} (1 ADD, 2 DEL, 3 SET). */
    public static long vpollRequest(int op) {
        return io(VPOLL_IOC_MAGIC, op);
    }

    private static final MethodHandle IOCTL_LONG = Syscall.linkVariadic("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), 2);
    private static final MethodHandle IOCTL_PTR = Syscall.linkVariadic("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), 2);

    /** ioctl(2) with an integer argument, retried on EINTR. @return the call's non-negative result */
    public static int ioctl(int fd, long request, long arg, String what) throws VpollException {
        long rc;
        do {
            try {
                rc = (long) IOCTL_LONG.invokeExact(fd, request, arg);
            } catch (Throwable t) {
                throw Syscall.unexpected(t);
            }
        } while (rc == Syscall.INTERRUPTED);
        return (int) Syscall.check(rc, what);
    }

    /** ioctl(2) that writes an int through a pointer (SIOCINQ, SIOCOUTQ). */
    public static int ioctlInt(int fd, long request, MemorySegment intOut, String what) throws VpollException {
        long rc;
        try {
            rc = (long) IOCTL_PTR.invokeExact(fd, request, intOut);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        Syscall.check(rc, what);
        return intOut.get(JAVA_INT, 0);
    }
}
