package org.jvpoll.syscall;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
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

    private static final MethodHandle GETEUID = Syscall.link("geteuid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle GETEGID = Syscall.link("getegid", FunctionDescriptor.of(JAVA_INT));

    public static int geteuid() {
        try {
            return (int) (long) GETEUID.invokeExact();
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
    }

    public static int getegid() {
        try {
            return (int) (long) GETEGID.invokeExact();
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
    }
}
