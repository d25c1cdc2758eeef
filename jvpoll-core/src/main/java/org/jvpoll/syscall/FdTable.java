package org.jvpoll.syscall;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import org.jvpoll.Errno;
import org.jvpoll.VpollException;

/**
 * The process's descriptor table and file offsets: dup3, the lowest free number, lseek.
 *
 * <pre>
 * int   dup3(int oldfd, int newfd, int flags);        // flags: 0 or O_CLOEXEC; atomically replaces newfd
 * int   fcntl(int fd, F_DUPFD_CLOEXEC, int minfd);    // the lowest free number &gt;= minfd
 * off_t lseek(int fd, off_t offset, int whence);
 * </pre>
 */
public final class FdTable {
    private FdTable() {}

    public static final int F_DUPFD_CLOEXEC = 1030;
    public static final int SEEK_SET = 0;
    public static final int SEEK_CUR = 1;
    /** {@link #lseek}'s result for a descriptor number that is not open. */
    public static final long NOT_OPEN = -Errno.EBADF;
    private static final MethodHandle DUP3 = Syscall.link("dup3",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle LSEEK = Syscall.link("lseek",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));

    /**
     * dup3(2): makes {@code newfd} refer to {@code oldfd}'s open file description, closing what
     * {@code newfd} referred to in the same atomic step. EBUSY (a concurrent open racing for
     * {@code newfd} in the kernel) is retried; EINTR cannot happen.
     */
    public static void dup3(int oldfd, int newfd, int flags) throws VpollException {
        long rc;
        do {
            try {
                rc = (long) DUP3.invokeExact(oldfd, newfd, flags);
            } catch (Throwable t) {
                throw Syscall.unexpected(t);
            }
        } while (rc == -Errno.EBUSY);
        if (rc < 0) {
            throw Syscall.failure("dup3(" + oldfd + ", " + newfd + ", " + Syscall.hex(flags) + ")", rc);
        }
    }

    /**
     * @return the lowest descriptor number free right now (found by duplicating {@code anyFd}
     *         there and closing the duplicate); another thread may take it the next moment
     */
    public static int lowestFree(int anyFd) throws VpollException {
        int probe = Unistd.fcntl(anyFd, F_DUPFD_CLOEXEC, 0);
        Unistd.close(probe);
        return probe;
    }

    /**
     * lseek(2).
     * @return the resulting offset, or {@link #NOT_OPEN} if {@code fd} is not open (EBADF: callers
     *         probe numbers that another thread may close at any moment)
     */
    public static long lseek(int fd, long offset, int whence) throws VpollException {
        long rc;
        try {
            rc = (long) LSEEK.invokeExact(fd, offset, whence);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        return rc == -Errno.EBADF ? NOT_OPEN : Syscall.check(rc, "lseek", fd, offset);
    }
}
