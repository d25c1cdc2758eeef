package org.jvpoll.syscall;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * unistd.h: the process's effective user and group ids (never fail).
 *
 * <pre>
 * uid_t geteuid(void);
 * gid_t getegid(void);
 * </pre>
 */
public final class Creds {
    private Creds() {}

    private static final MethodHandle GETEUID = Syscall.handle("geteuid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle GETEGID = Syscall.handle("getegid", FunctionDescriptor.of(JAVA_INT));

    public static int geteuid() {
        MemorySegment st = Syscall.state();
        try {
            return (int) GETEUID.invokeExact(st);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
    }

    public static int getegid() {
        MemorySegment st = Syscall.state();
        try {
            return (int) GETEGID.invokeExact(st);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
    }
}
