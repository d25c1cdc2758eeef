package org.jvpoll.syscall;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Map;

import org.jvpoll.Errno;
import org.jvpoll.VpollException;

/**
 * spawn.h and sys/wait.h: starting a helper with one extra descriptor, which ProcessBuilder
 * cannot do (fusermount3 expects its socket as a numbered fd named in _FUSE_COMMFD).
 *
 * <pre>
 * int posix_spawn_file_actions_init(posix_spawn_file_actions_t *fa);   // glibc x86-64: 80 bytes
 * int posix_spawn_file_actions_adddup2(posix_spawn_file_actions_t *fa, int fd, int newfd);
 * int posix_spawn_file_actions_destroy(posix_spawn_file_actions_t *fa);
 * int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
 *                  const posix_spawnattr_t *attr, char *const argv[], char *const envp[]);
 *     returns an error number instead of setting errno
 * pid_t waitpid(pid_t pid, int *wstatus, int options);
 *     WIFEXITED(s) = (s &amp; 0x7f) == 0, WEXITSTATUS(s) = (s &gt;&gt; 8) &amp; 0xff, WTERMSIG(s) = s &amp; 0x7f
 * </pre>
 */
public final class Spawn {
    private Spawn() {}

    private static final long FILE_ACTIONS_SIZE = 256; // generous: glibc uses 80

    private static final MethodHandle FA_INIT = Syscall.link("posix_spawn_file_actions_init",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle FA_DUP2 = Syscall.link("posix_spawn_file_actions_adddup2",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle FA_DESTROY = Syscall.link("posix_spawn_file_actions_destroy",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SPAWNP = Syscall.link("posix_spawnp",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle WAITPID = Syscall.link("waitpid",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));

    /**
     * Starts {@code argv[0]} (searched on PATH) with {@code env}, its stdin/stdout/stderr inherited
     * and {@code passFd} duplicated to {@code asFd} in the child (the only other descriptor it
     * gets, since jvpoll opens everything close-on-exec). @return the child's pid
     */
    public static int spawn(List<String> argv, Map<String, String> env, int passFd, int asFd) throws VpollException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fa = arena.allocate(FILE_ACTIONS_SIZE, 16);
            MemorySegment argvArray = strings(arena, argv);
            MemorySegment envArray = strings(arena, env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
            MemorySegment pid = arena.allocate(JAVA_INT);
            // posix_spawn functions return the error number and leave errno alone
            try {
                Syscall.check(-(long) FA_INIT.invokeExact(fa), "posix_spawn_file_actions_init");
                try {
                    Syscall.check(-(long) FA_DUP2.invokeExact(fa, passFd, asFd),
                            "posix_spawn_file_actions_adddup2", passFd, asFd);
                    long rc = (long) SPAWNP.invokeExact(pid, arena.allocateFrom(argv.get(0)), fa,
                            MemorySegment.NULL, argvArray, envArray);
                    if (rc != 0) {
                        throw new VpollException("posix_spawnp(" + argv.get(0) + ")", (int) rc,
                                rc == Errno.ENOENT ? argv.get(0) + " is not installed (not found on PATH)" : null);
                    }
                } finally {
                    long ignored = (long) FA_DESTROY.invokeExact(fa); // cannot fail on an initialized object
                }
            } catch (VpollException e) {
                throw e;
            } catch (Throwable t) {
                throw Syscall.unexpected(t);
            }
            return pid.get(JAVA_INT, 0);
        }
    }

    private static MemorySegment strings(Arena arena, List<String> list) {
        MemorySegment array = arena.allocate(ADDRESS, list.size() + 1L);
        for (int i = 0; i < list.size(); i++) {
            array.setAtIndex(ADDRESS, i, arena.allocateFrom(list.get(i)));
        }
        array.setAtIndex(ADDRESS, list.size(), MemorySegment.NULL);
        return array;
    }

    /** waitpid(2) for one child, retried on EINTR. @return the raw wait status */
    public static int waitFor(int pid) throws VpollException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment status = arena.allocate(JAVA_INT);
            long rc;
            do {
                try {
                    rc = (long) WAITPID.invokeExact(pid, status, 0);
                } catch (Throwable t) {
                    throw Syscall.unexpected(t);
                }
            } while (rc == Syscall.INTERRUPTED);
            Syscall.check(rc, "waitpid", pid);
            return status.get(JAVA_INT, 0);
        }
    }

    /** @return "exit status N" or "killed by signal N" for a wait status */
    public static String describe(int status) {
        return (status & 0x7f) == 0 ? "exit status " + ((status >> 8) & 0xff) : "killed by signal " + (status & 0x7f);
    }

    /** @return whether the wait status is a normal exit with status 0 */
    public static boolean succeeded(int status) {
        return status == 0;
    }
}
