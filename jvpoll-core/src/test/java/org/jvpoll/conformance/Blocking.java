package org.jvpoll.conformance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Set;

/**
 * Knows when a thread is blocked in a waiting system call, from /proc/self/task/TID/syscall, so a
 * scenario changes events only once its waiter sleeps in the kernel (no sleep-and-hope).
 */
final class Blocking {
    private Blocking() {}

    /** poll, select, epoll_wait, pselect6, ppoll, epoll_pwait, epoll_pwait2 (x86-64); the generic table (aarch64, riscv64). */
    private static final Set<Integer> WAITS = isX86() ? Set.of(7, 23, 232, 270, 271, 281, 441) : Set.of(22, 72, 73, 441);

    private static boolean isX86() {
        String arch = System.getProperty("os.arch");
        return arch.equals("amd64") || arch.equals("x86_64");
    }

    /** @return the kernel's id of the calling thread */
    static int currentTid() throws IOException {
        return Integer.parseInt(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString());
    }

    /** Waits until thread {@code tid} of this process sleeps in one of the waiting system calls. */
    static void awaitBlocked(int tid) throws IOException, InterruptedException {
        Path syscall = Path.of("/proc/self/task/" + tid + "/syscall");
        Path stat = Path.of("/proc/self/task/" + tid + "/stat");
        long deadline = System.nanoTime() + 10_000_000_000L;
        String last = "";
        while (System.nanoTime() < deadline) {
            try {
                last = Files.readString(syscall).trim();
                String state = Files.readString(stat);
                state = state.substring(state.lastIndexOf(')') + 2, state.lastIndexOf(')') + 3);
                String first = last.split(" ")[0];
                if (state.equals("S") && first.chars().allMatch(Character::isDigit) && WAITS.contains(Integer.parseInt(first))) {
                    return;
                }
            } catch (NoSuchFileException gone) {
                return; // the waiter already finished: its result tells the rest
            }
            Thread.sleep(1);
        }
        throw new AssertionError("thread " + tid + " did not block in a waiting system call within 10 s (last: " + last + ")");
    }
}
