package org.jvpoll.syscall;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import org.jvpoll.VpollException;

/**
 * signal.h and sys/signalfd.h: signal masks of the calling thread, signalfd, and directed signals.
 *
 * <pre>
 * typedef struct { unsigned long __val[16]; } sigset_t;  // glibc: 128 bytes. The kernel's sigset_t
 *                                                        // is 8 bytes (64 signals, bit N-1 = signal N);
 *                                                        // glibc's ppoll, pselect and epoll_pwait2 pass
 *                                                        // only those first 8 bytes (_NSIG / 8) to it.
 * int pthread_sigmask(int how, const sigset_t *set, sigset_t *oldset); // returns the error, errno untouched
 * int signalfd(int fd, const sigset_t *mask, int flags);
 * int tgkill(pid_t tgid, pid_t tid, int sig);
 * pid_t getpid(void);
 * pid_t gettid(void);
 *
 * struct signalfd_siginfo {                              // 128 bytes: what read(2) of a signalfd gives
 *     uint32_t ssi_signo; int32_t ssi_errno, ssi_code;   // 0, 4, 8
 *     uint32_t ssi_pid, ssi_uid; int32_t ssi_fd;         // 12, 16, 20
 *     uint32_t ssi_tid, ssi_band, ssi_overrun, ssi_trapno; // 24 .. 36
 *     int32_t ssi_status, ssi_int;                       // 40, 44
 *     uint64_t ssi_ptr, ssi_utime, ssi_stime, ssi_addr;  // 48 .. 72
 *     uint16_t ssi_addr_lsb, __pad2; int32_t ssi_syscall; // 80, 82, 84
 *     uint64_t ssi_call_addr; uint32_t ssi_arch;         // 88, 96
 *     uint8_t __pad[28];                                 // 100
 * };
 * </pre>
 * Allocating the full glibc size keeps any libc function that reads a whole {@code sigset_t}
 * within bounds; only the first 8 bytes carry signals.
 */
public final class Signals {
    private Signals() {}

    /** sizeof(sigset_t) in glibc. */
    public static final long SIGSET_SIZE = 128;
    /** The bytes of a sigset_t the kernel reads: signals 1..64. */
    public static final long KERNEL_SIGSET_SIZE = 8;
    /** The highest signal number Linux has. */
    public static final int MAX_SIGNAL = 64;
    public static final int SIG_BLOCK = 0;
    public static final int SIG_UNBLOCK = 1;
    public static final int SIG_SETMASK = 2;
    public static final int SFD_CLOEXEC = Unistd.O_CLOEXEC;
    public static final int SFD_NONBLOCK = Unistd.O_NONBLOCK;
    public static final StructLayout SIGNALFD_SIGINFO = MemoryLayout.structLayout(
            JAVA_INT.withName("ssi_signo"), JAVA_INT.withName("ssi_errno"), JAVA_INT.withName("ssi_code"),
            JAVA_INT.withName("ssi_pid"), JAVA_INT.withName("ssi_uid"), JAVA_INT.withName("ssi_fd"),
            JAVA_INT.withName("ssi_tid"), JAVA_INT.withName("ssi_band"), JAVA_INT.withName("ssi_overrun"),
            JAVA_INT.withName("ssi_trapno"), JAVA_INT.withName("ssi_status"), JAVA_INT.withName("ssi_int"),
            JAVA_LONG.withName("ssi_ptr"), JAVA_LONG.withName("ssi_utime"), JAVA_LONG.withName("ssi_stime"),
            JAVA_LONG.withName("ssi_addr"), JAVA_SHORT.withName("ssi_addr_lsb"), JAVA_SHORT.withName("__pad2"),
            JAVA_INT.withName("ssi_syscall"), JAVA_LONG.withName("ssi_call_addr"), JAVA_INT.withName("ssi_arch"),
            MemoryLayout.sequenceLayout(28, JAVA_BYTE).withName("__pad")).withName("signalfd_siginfo");
    /** sizeof(struct signalfd_siginfo): a signalfd reads whole structs only. */
    public static final long SIGINFO_SIZE = SIGNALFD_SIGINFO.byteSize();
    private static final VarHandle SSI_SIGNO = SIGNALFD_SIGINFO.varHandle(PathElement.groupElement("ssi_signo"));
    private static final VarHandle SSI_PID = SIGNALFD_SIGINFO.varHandle(PathElement.groupElement("ssi_pid"));

    private static final MethodHandle PTHREAD_SIGMASK = Syscall.link("pthread_sigmask",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SIGNALFD = Syscall.link("signalfd",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle TGKILL = Syscall.link("tgkill",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle GETPID = Syscall.link("getpid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle GETTID = Syscall.link("gettid", FunctionDescriptor.of(JAVA_INT));

    /** @return the signal number of a struct signalfd_siginfo read from a signalfd */
    public static int signo(MemorySegment siginfo) {
        return (int) SSI_SIGNO.get(siginfo, 0L);
    }

    /** @return the sending process of a struct signalfd_siginfo (for tgkill: this process) */
    public static int senderPid(MemorySegment siginfo) {
        return (int) SSI_PID.get(siginfo, 0L);
    }

    /** @return the kernel's 64-bit mask in {@code set} */
    public static long mask(MemorySegment set) {
        return set.get(JAVA_LONG, 0);
    }

    /** Stores {@code mask} as the kernel's 64 signals and zeroes the rest of the glibc set. */
    public static void setMask(MemorySegment set, long mask) {
        set.fill((byte) 0);
        set.set(JAVA_LONG, 0, mask);
    }

    /**
     * pthread_sigmask(3) for the calling thread. {@code set} may be {@link MemorySegment#NULL} to
     * only read the mask into {@code old} (which may also be NULL).
     */
    public static void pthreadSigmask(int how, MemorySegment set, MemorySegment old) throws VpollException {
        long error; // pthread functions return the error number and leave errno alone
        try {
            error = (long) PTHREAD_SIGMASK.invokeExact(how, set, old);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        Syscall.check(-error, "pthread_sigmask", how);
    }

    /** signalfd(2): a new descriptor ({@code fd} = -1) that reads the signals in {@code mask}. */
    public static int signalfd(int fd, MemorySegment mask, int flags) throws VpollException {
        long rc;
        try {
            rc = (long) SIGNALFD.invokeExact(fd, mask, flags);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        if (rc < 0) {
            throw Syscall.failure("signalfd(" + fd + ", " + Syscall.hex(mask(mask)) + ")", rc);
        }
        return (int) rc;
    }

    /** tgkill(2): sends {@code sig} to thread {@code tid} of this process. */
    public static void tgkill(int tid, int sig) throws VpollException {
        long rc;
        try {
            rc = (long) TGKILL.invokeExact(getpid(), tid, sig);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        Syscall.check(rc, "tgkill", tid, sig);
    }

    public static int getpid() {
        try {
            return (int) (long) GETPID.invokeExact();
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
    }

    /** @return the kernel thread id of the calling (platform or carrier) thread */
    public static int gettid() {
        try {
            return (int) (long) GETTID.invokeExact();
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
    }
}
