package org.jvpoll.syscall;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import org.jvpoll.VpollException;

/**
 * unistd.h: pipe2.
 *
 * <pre>
 * int pipe2(int pipefd[2], int flags);   // pipefd[0] read end, pipefd[1] write end
 * </pre>
 */
public final class Pipe {
    private Pipe() {}

    private static final MethodHandle PIPE2 = Syscall.link("pipe2",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));

    /** @return {read end, write end}, opened with {@code flags} (O_CLOEXEC, O_NONBLOCK) */
    public static int[] pipe2(int flags) throws VpollException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            long rc;
            try {
                rc = (long) PIPE2.invokeExact(fds, flags);
            } catch (Throwable t) {
                throw Syscall.unexpected(t);
            }
            if (rc < 0) {
                throw Syscall.failure("pipe2(" + Syscall.hex(flags) + ")", rc);
            }
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }
}
