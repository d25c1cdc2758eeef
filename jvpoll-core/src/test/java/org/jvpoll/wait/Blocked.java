package org.jvpoll.wait;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Waits until a thread sleeps inside a waiting system call, read from
 * {@code /proc/self/task/TID/syscall} (its first field is the number of the call the thread is
 * blocked in), so tests act on a waiter that is really in the kernel instead of sleeping and hoping.
 */
final class Blocked {
    private Blocked() {}

    /** poll, select, ppoll, pselect6, epoll_wait, epoll_pwait, epoll_pwait2 by architecture. */
    private static final Set<Integer> WAITING_CALLS = switch (System.getProperty("os.arch")) {
        case "amd64", "x86_64" -> Set.of(7, 23, 232, 270, 271, 281, 441);
        case "aarch64" -> Set.of(72, 73, 22, 441);
        default -> Set.of();
    };

    /** Returns once thread {@code tid} of this process is blocked in poll/select/epoll. */
    static void inWait(int tid) throws IOException, InterruptedException {
        if (WAITING_CALLS.isEmpty()) {
            Thread.sleep(200); // unknown system call numbers here: fall back to a grace period
            return;
        }
        Path syscall = Path.of("/proc/self/task/" + tid + "/syscall");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String last = "";
        while (System.nanoTime() < deadline) {
            last = Files.readString(syscall).trim();
            String first = last.split(" ", 2)[0];
            if (!first.equals("running") && WAITING_CALLS.contains(Integer.parseInt(first))) {
                return;
            }
            Thread.sleep(2);
        }
        throw new AssertionError("thread " + tid + " never blocked in a waiting call; last: " + last);
    }
}
