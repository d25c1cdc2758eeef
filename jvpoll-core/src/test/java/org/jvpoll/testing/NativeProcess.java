package org.jvpoll.testing;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Test-only process calls (glibc >= 2.30):
 * <pre>
 * pid_t gettid(void);
 * int tgkill(pid_t tgid, pid_t tid, int sig);
 * int setrlimit(int resource, const struct rlimit *rlim);  // struct rlimit { rlim_t cur, max; } 16 bytes
 * int getrlimit(int resource, struct rlimit *rlim);
 * </pre>
 */
public final class NativeProcess {
    private NativeProcess() {}

    public static final int SIGPIPE = 13;
    public static final int RLIMIT_NOFILE = 7;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle GETTID = handle("gettid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle TGKILL = handle("tgkill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SETRLIMIT = handle("setrlimit",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, java.lang.foreign.ValueLayout.ADDRESS));
    private static final MethodHandle GETRLIMIT = handle("getrlimit",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, java.lang.foreign.ValueLayout.ADDRESS));

    @SuppressWarnings("restricted") // the test class path runs with --enable-native-access
    private static MethodHandle handle(String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), d);
    }

    public static int gettid() {
        try {
            return (int) GETTID.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static int pid() {
        return (int) ProcessHandle.current().pid();
    }

    /** Sends {@code sig} to one thread of this process. */
    public static void tgkill(int tid, int sig) {
        try {
            int rc = (int) TGKILL.invokeExact(pid(), tid, sig);
            if (rc != 0) {
                throw new AssertionError("tgkill(" + tid + ", " + sig + ") failed");
            }
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** @return whether this process catches {@code sig} with a handler (SigCgt in /proc/self/status) */
    public static boolean catches(int sig) throws java.io.IOException {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("SigCgt:")) {
                long mask = Long.parseUnsignedLong(l.substring(7).trim(), 16);
                return (mask & (1L << (sig - 1))) != 0;
            }
        }
        return false;
    }

    /** @return {soft, hard} RLIMIT_NOFILE */
    public static long[] nofile() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment r = arena.allocate(16);
            int rc = (int) GETRLIMIT.invokeExact(RLIMIT_NOFILE, r);
            if (rc != 0) {
                throw new AssertionError("getrlimit failed");
            }
            return new long[] {r.get(JAVA_LONG, 0), r.get(JAVA_LONG, 8)};
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static void setNofileSoft(long soft) {
        long hard = nofile()[1];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment r = arena.allocate(16);
            r.set(JAVA_LONG, 0, soft);
            r.set(JAVA_LONG, 8, hard);
            int rc = (int) SETRLIMIT.invokeExact(RLIMIT_NOFILE, r);
            if (rc != 0) {
                throw new AssertionError("setrlimit(RLIMIT_NOFILE, " + soft + ") failed");
            }
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }
}
