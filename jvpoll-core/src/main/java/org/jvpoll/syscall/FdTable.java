package org.jvpoll.syscall;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

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
    /** dup3's "newfd is being opened by another thread right now" (Linux EBUSY). */
    static final int EBUSY = 16;

    private static final MethodHandle DUP3 = Syscall.handle("dup3",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle LSEEK = Syscall.handle("lseek",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));

    /**
     * dup3(2): makes {@code newfd} refer to {@code oldfd}'s open file description, closing what
     * {@code newfd} referred to in the same atomic step. EBUSY (a concurrent open racing for
     * {@code newfd} in the kernel) is retried; EINTR cannot happen.
     */
    public static void dup3(int oldfd, int newfd, int flags) throws VpollException {
        MemorySegment st = Syscall.state();
        for (;;) {
            int rc;
            try {
                rc = (int) DUP3.invokeExact(st, oldfd, newfd, flags);
            } catch (Throwable t) {
                throw Syscall.unexpected(t);
            }
            if (rc >= 0) {
                return;
            }
            if (Syscall.errno(st) != EBUSY) {
                throw Syscall.error("dup3(" + oldfd + ", " + newfd + ", 0x" + Integer.toHexString(flags) + ")", st);
            }
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

    /** lseek(2). @return the resulting offset, or -errno (EBADF for a closed number, ESPIPE) */
    public static long lseek(int fd, long offset, int whence) {
        MemorySegment st = Syscall.state();
        long rc;
        try {
            rc = (long) LSEEK.invokeExact(st, fd, offset, whence);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        return rc >= 0 ? rc : -Syscall.errno(st);
    }
}
