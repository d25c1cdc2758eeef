package org.jvpoll.wait;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.jvpoll.Errno;
import org.jvpoll.Events;
import org.jvpoll.syscall.Signals;
import org.jvpoll.testing.BlockedThreads;
import org.jvpoll.testing.WaitingThread;

/**
 * The EINTR policy: unmasked waits resume after a signal handler ran, with the time left; masked
 * waits end with {@link SignalInterruptedException} when their mask lets a pending signal in.
 */
class SignalInterruptTest {
    private static final int SIG = SignalFixture.SIGNAL;

    @FunctionalInterface
    interface Wait {
        int run(Duration timeout, SignalSet mask) throws Exception;
    }

    @BeforeAll
    static void handler() throws ReflectiveOperationException {
        SignalFixture.installHandler();
    }

    @Test
    void ppollThrowsWhenItsMaskLetsAPendingSignalIn() throws Exception {
        try (RealFds real = new RealFds(); PollSet set = new PollSet(1)) {
            set.add(real.pipe()[0], Events.IN);
            maskedWaitIsInterrupted("ppoll", set::ppoll);
        }
    }

    @Test
    void pselectThrowsWhenItsMaskLetsAPendingSignalIn() throws Exception {
        try (RealFds real = new RealFds(); SelectSet set = new SelectSet()) {
            set.watch(real.pipe()[0], true, false, false);
            maskedWaitIsInterrupted("pselect", set::pselect);
        }
    }

    @Test
    void epollPwait2ThrowsWhenItsMaskLetsAPendingSignalIn() throws Exception {
        try (RealFds real = new RealFds(); EpollSet<String> set = EpollSet.open()) {
            set.add(real.pipe()[0], Events.IN, "pipe");
            maskedWaitIsInterrupted("epoll_pwait2", (timeout, mask) -> set.await(timeout, mask).count());
        }
    }

    /** Blocks SIG, makes it pending, then waits with a mask that keeps it blocked, then lets it in. */
    private static void maskedWaitIsInterrupted(String call, Wait wait) throws Exception {
        SignalSet before = SignalSet.of(SIG).block();
        try {
            int handled = SignalFixture.HANDLED.get();
            Signals.tgkill(Signals.gettid(), SIG);
            assertEquals(0, wait.run(Duration.ofMillis(5), SignalSet.threadMask()), "still blocked: a plain timeout");
            assertEquals(0, wait.run(Duration.ofMillis(5), null), "null mask keeps the thread's mask");
            SignalSet letIn = SignalSet.threadMask().remove(SIG);
            SignalInterruptedException e = assertThrows(SignalInterruptedException.class,
                    () -> wait.run(Duration.ofSeconds(30), letIn));
            assertEquals(Errno.EINTR, e.errno());
            assertEquals(call, e.call());
            awaitHandled(handled);
        } finally {
            before.setThreadMask();
        }
    }

    /**
     * A signal with no handler whose default action is "ignore" (SIGURG: the JVM installs none):
     * the kernel restarts ppoll and pselect itself, but epoll_pwait2 returns EINTR. docs/wait.md
     * states this difference.
     */
    @Test
    void anUnhandledIgnoredSignalEndsOnlyEpollPwait2() throws Exception {
        try (RealFds real = new RealFds(); PollSet poll = new PollSet(1); SelectSet select = new SelectSet();
             EpollSet<String> epoll = EpollSet.open()) {
            int fd = real.pipe()[0];
            poll.add(fd, Events.IN);
            select.watch(fd, true, false, false);
            epoll.add(fd, Events.IN, "pipe");
            Duration shortWait = Duration.ofMillis(20);
            assertEquals(0, withPendingSigurg(mask -> poll.ppoll(shortWait, mask)), "ppoll: restarted, times out");
            assertEquals(0, withPendingSigurg(mask -> select.pselect(shortWait, mask)), "pselect: restarted, times out");
            assertThrows(SignalInterruptedException.class,
                    () -> withPendingSigurg(mask -> epoll.await(shortWait, mask).count()), "epoll_pwait2: EINTR");
        }
    }

    @FunctionalInterface
    interface MaskedWait {
        int run(SignalSet mask) throws Exception;
    }

    private static int withPendingSigurg(MaskedWait wait) throws Exception {
        SignalSet before = SignalSet.of(SignalSet.SIGURG).block();
        try {
            Signals.tgkill(Signals.gettid(), SignalSet.SIGURG);
            return wait.run(SignalSet.threadMask().remove(SignalSet.SIGURG));
        } finally {
            before.setThreadMask(); // a SIGURG still pending is discarded: ignored by default
        }
    }

    @Test
    void pollResumesAfterASignalHandlerRan() throws Exception {
        try (RealFds real = new RealFds(); PollSet set = new PollSet(1)) {
            int[] pipe = real.pipe();
            set.add(pipe[0], Events.IN);
            unmaskedWaitResumes(real, pipe, timeout -> set.poll(timeout));
            unmaskedWaitResumes(real, pipe, timeout -> set.ppoll(timeout, null));
        }
    }

    @Test
    void selectResumesAfterASignalHandlerRan() throws Exception {
        try (RealFds real = new RealFds(); SelectSet set = new SelectSet()) {
            int[] pipe = real.pipe();
            set.watch(pipe[0], true, false, false);
            unmaskedWaitResumes(real, pipe, timeout -> set.select(timeout));
            unmaskedWaitResumes(real, pipe, timeout -> set.pselect(timeout, null));
        }
    }

    @Test
    void epollWaitResumesAfterASignalHandlerRan() throws Exception {
        try (RealFds real = new RealFds(); EpollSet<String> set = EpollSet.open()) {
            int[] pipe = real.pipe();
            set.add(pipe[0], Events.IN | EpollSet.ET, "pipe");
            unmaskedWaitResumes(real, pipe, timeout -> set.await(timeout).count());
            unmaskedWaitResumes(real, pipe, timeout -> set.await(timeout, null).count());
        }
    }

    @FunctionalInterface
    interface TimedWait {
        int run(Duration timeout) throws Exception;
    }

    /** Signals the waiting thread three times, checks it is back in the kernel each time, then makes the fd ready. */
    private static void unmaskedWaitResumes(RealFds real, int[] pipe, TimedWait wait) throws Exception {
        WaitingThread<Integer> waiter = WaitingThread.start(() -> wait.run(Duration.ofSeconds(60)));
        int thread = waiter.tid();
        for (int n = 0; n < 3; n++) {
            BlockedThreads.awaitBlocked(thread);
            int handled = SignalFixture.HANDLED.get();
            Signals.tgkill(thread, SIG);
            awaitHandled(handled);
        }
        waiter.blocked();
        assertTrue(!waiter.isDone(), "the wait went on after the signals");
        real.writeByte(pipe[1]);
        assertEquals(1, waiter.get());
        real.read(pipe[0]);
    }

    private static void awaitHandled(int before) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (SignalFixture.HANDLED.get() == before) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the SIGWINCH handler never ran");
            }
            Thread.sleep(1);
        }
    }
}
