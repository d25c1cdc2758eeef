package org.jvpoll.syscall;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;

import org.jvpoll.VpollException;

/**
 * sys/mman.h: memfd_create, an anonymous file with an inode of its own (glibc 2.27, Linux 3.17).
 *
 * <pre>
 * int memfd_create(const char *name, unsigned int flags);   // MFD_CLOEXEC = 1
 * </pre>
 */
public final class MemFd {
    private MemFd() {}

    public static final int MFD_CLOEXEC = 1;

    private static final MethodHandle MEMFD_CREATE = Syscall.link("memfd_create",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));

    /** memfd_create(2). */
    public static int create(String name, int flags) throws VpollException {
        long rc;
        try (Arena arena = Arena.ofConfined()) {
            rc = (long) MEMFD_CREATE.invokeExact(arena.allocateFrom(name), flags);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        if (rc < 0) {
            throw Syscall.failure("memfd_create(\"" + name + "\", " + flags + ")", rc);
        }
        return (int) rc;
    }
}
