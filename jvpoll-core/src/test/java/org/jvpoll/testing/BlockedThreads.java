package org.jvpoll.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * Knows when a thread really waits, so a test acts on a waiter that is asleep in the kernel (or
 * parked) instead of sleeping and hoping: a test that sleeps "to let it block" also passes when
 * the waiter never blocked, and then the wake-up path is untested.
 * <p>
 * A platform thread (of this or another process) is blocked once its state in
 * {@code /proc/PID/task/TID/stat} is S (sleeping) and {@code /proc/PID/task/TID/syscall} names one
 * of the expected calls. A parked virtual thread is in no system call of its own: its
 * {@link Thread.State} says WAITING or TIMED_WAITING ({@link #awaitParked}).
 * Every wait is bounded ({@value #TIMEOUT_SECONDS} s) and fails with what it saw last.
 */
public final class BlockedThreads {
    private BlockedThreads() {}

    /** The bound on every wait here. */
    public static final int TIMEOUT_SECONDS = 10;

    /** System calls a waiter blocks in, numbered per architecture (the one table of the test kit). */
    public enum Syscall {
        POLL(7, -1), SELECT(23, -1), EPOLL_WAIT(232, -1), PSELECT6(270, 72), PPOLL(271, 73),
        EPOLL_PWAIT(281, 22), EPOLL_PWAIT2(441, 441), IO_URING_ENTER(426, 426);

        private final int x86_64;
        private final int generic;

        Syscall(int x86_64, int generic) {
            this.x86_64 = x86_64;
            this.generic = generic;
        }

        /**
         * @return this call's number on the running architecture, or -1 if it has none there
         *         (asm-generic/unistd.h, used by aarch64, riscv64 and loongarch64, has no poll,
         *         select or epoll_wait: libc maps them to ppoll, pselect6, epoll_pwait)
         */
        public int number() {
            return switch (System.getProperty("os.arch")) {
                case "amd64", "x86_64" -> x86_64;
                case "aarch64", "riscv64", "loongarch64" -> generic;
                default -> throw new IllegalStateException("no system call table for os.arch "
                        + System.getProperty("os.arch") + " in " + BlockedThreads.class.getName() + ": add its numbers");
            };
        }
    }

    /** poll, select, epoll and their p-variants: what jvpoll's waits and the JDK's selectors block in. */
    public static final Set<Syscall> WAITS = EnumSet.complementOf(EnumSet.of(Syscall.IO_URING_ENTER));

    /** @return the kernel's id of the calling thread */
    public static int currentTid() {
        try {
            return Integer.parseInt(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString());
        } catch (IOException e) {
            throw new AssertionError("cannot read /proc/thread-self", e);
        }
    }

    /** Returns once thread {@code tid} of this process sleeps in one of {@link #WAITS} (or has ended). */
    public static void awaitBlocked(int tid) throws InterruptedException {
        awaitBlocked(ProcessHandle.current().pid(), tid, WAITS);
    }

    /** Returns once thread {@code tid} of process {@code pid} sleeps in one of {@code calls} (or has ended). */
    public static void awaitBlocked(long pid, int tid, Set<Syscall> calls) throws InterruptedException {
        awaitBlocked(pid, tid, calls, TIMEOUT_SECONDS);
    }

    /** The same, failing after {@code seconds}. */
    public static void awaitBlocked(long pid, int tid, Set<Syscall> calls, int seconds) throws InterruptedException {
        Path task = Path.of("/proc", Long.toString(pid), "task", Integer.toString(tid));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String last = "";
        while (System.nanoTime() < deadline) {
            try {
                last = blockedIn(task, calls);
                if (last == null) {
                    return;
                }
            } catch (NoSuchFileException gone) {
                return; // the waiter already finished: its result tells the rest
            } catch (IOException e) {
                throw new AssertionError("cannot read " + task, e);
            }
            Thread.sleep(1);
        }
        throw new AssertionError("thread " + tid + " of process " + pid + " did not block in " + calls + " within "
                + seconds + " s (last: " + last + ")");
    }

    /**
     * Returns once some thread of process {@code pid} (a child such as a C or Python client) sleeps
     * in one of {@code calls}; fails if the process exits first.
     */
    public static void awaitAnyThreadBlocked(long pid, Set<Syscall> calls) throws InterruptedException {
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        String last = "";
        while (System.nanoTime() < deadline) {
            try (Stream<Path> list = Files.list(tasks)) {
                for (Path task : (Iterable<Path>) list::iterator) {
                    try {
                        String state = blockedIn(task, calls);
                        if (state == null) {
                            return;
                        }
                        last = task.getFileName() + ": " + state;
                    } catch (NoSuchFileException threadGone) {
                        // a thread that exited: look at the others
                    }
                }
            } catch (NoSuchFileException processGone) {
                throw new AssertionError("process " + pid + " exited before blocking in " + calls);
            } catch (IOException e) {
                throw new AssertionError("cannot read " + tasks, e);
            }
            Thread.sleep(1);
        }
        throw new AssertionError("no thread of process " + pid + " blocked in " + calls + " within " + TIMEOUT_SECONDS
                + " s (last: " + last + ")");
    }

    /** @return null if the task sleeps in one of {@code calls}, else what it is doing (for the failure message) */
    private static String blockedIn(Path task, Set<Syscall> calls) throws IOException {
        String syscall = Files.readString(task.resolve("syscall")).trim();
        String stat = Files.readString(task.resolve("stat"));
        char state = stat.charAt(stat.lastIndexOf(')') + 2); // the field after the parenthesised name
        String first = syscall.split(" ", 2)[0];
        if (state == 'S' && !first.isEmpty() && first.chars().allMatch(Character::isDigit)) {
            int number = Integer.parseInt(first);
            for (Syscall c : calls) {
                if (c.number() == number) {
                    return null;
                }
            }
        }
        return "state " + state + ", syscall " + syscall;
    }

    /**
     * Returns once {@code thread} (typically virtual, parked rather than in a system call) is
     * WAITING or TIMED_WAITING and {@code alsoTrue} holds (for example "holds a poller
     * registration", so a thread parked for another reason, such as class loading, does not count).
     */
    public static void awaitParked(Thread thread, BooleanSupplier alsoTrue) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (System.nanoTime() < deadline) {
            Thread.State s = thread.getState();
            if ((s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING) && alsoTrue.getAsBoolean()) {
                return;
            }
            Thread.sleep(1);
        }
        throw new AssertionError(thread + " was not parked within " + TIMEOUT_SECONDS + " s; state " + thread.getState()
                + ", condition " + alsoTrue.getAsBoolean());
    }
}
