package org.jvpoll.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.Selector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.jvpoll.Backend;
import org.opentest4j.TestAbortedException;

/** The test kit itself: backend selection, the blocked-thread detector, the child-process helper. */
class TestKitTest {
    private final String only = System.getProperty(BackendSelection.ONLY);
    private final String required = System.getProperty(BackendSelection.REQUIRED);

    @AfterEach
    void restoreProperties() {
        restore(BackendSelection.ONLY, only);
        restore(BackendSelection.REQUIRED, required);
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }

    @Test
    void aBackendOutsideTheSelectedOnesIsSkippedAndASelectedOneRuns() {
        System.setProperty(BackendSelection.ONLY, "emulation");
        System.clearProperty(BackendSelection.REQUIRED);
        TestAbortedException e = assertThrows(TestAbortedException.class, () -> BackendSelection.check(Backend.EMULATION_TCP));
        assertTrue(e.getMessage().contains("covers only"), e.getMessage());
        assertEquals(Backend.EMULATION, BackendSelection.options(Backend.EMULATION).backend());
    }

    @Test
    void aRequiredBackendThatIsMissingFailsWhileAMissingOneNotRequiredIsSkipped() {
        Backend missing = Arrays.stream(Backend.values()).filter(b -> !b.isAvailable()).findFirst().orElse(null);
        Skip.unless(missing != null, "every backend is available here: nothing missing to require");
        System.clearProperty(BackendSelection.ONLY);
        System.clearProperty(BackendSelection.REQUIRED);
        assertThrows(TestAbortedException.class, () -> BackendSelection.check(missing));
        System.setProperty(BackendSelection.REQUIRED, missing.id());
        AssertionError e = assertThrows(AssertionError.class, () -> BackendSelection.check(missing));
        assertTrue(e.getMessage().contains("required by -D" + BackendSelection.REQUIRED), e.getMessage());
    }

    @Test
    void theSyscallTableKnowsTheWaitingCallsOfThisArchitecture() {
        for (BlockedThreads.Syscall c : BlockedThreads.WAITS) {
            assertTrue(c.number() >= -1, c.toString());
        }
        assertTrue(BlockedThreads.Syscall.PPOLL.number() > 0, "ppoll exists on every architecture");
        if (System.getProperty("os.arch").equals("amd64")) {
            assertEquals(7, BlockedThreads.Syscall.POLL.number());
            assertEquals(232, BlockedThreads.Syscall.EPOLL_WAIT.number());
        }
    }

    @Test
    void aThreadInASelectorIsSeenBlockedAndOneSleepingIsNot() throws Exception {
        try (Selector selector = Selector.open()) {
            WaitingThread<Integer> waiter = WaitingThread.start(selector::select).blocked();
            assertFalse(waiter.isDone(), "blocked means not returned");
            selector.wakeup();
            assertEquals(0, waiter.get());
        }
        CompletableFuture<Integer> tid = new CompletableFuture<>();
        Thread sleeper = Thread.ofPlatform().daemon(true).start(() -> {
            tid.complete(BlockedThreads.currentTid());
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(30));
        });
        AssertionError e = assertThrows(AssertionError.class, () -> BlockedThreads.awaitBlocked(ProcessHandle.current().pid(),
                tid.get(10, TimeUnit.SECONDS), BlockedThreads.WAITS, 1));
        assertTrue(e.getMessage().contains("did not block"), e.getMessage());
        sleeper.interrupt();
    }

    @Test
    void aParkedVirtualThreadIsSeenParked() throws Exception {
        Thread v = Thread.ofVirtual().start(LockSupport::park);
        BlockedThreads.awaitParked(v, () -> true);
        assertEquals(Thread.State.WAITING, v.getState());
        LockSupport.unpark(v);
        v.join(10_000);
        assertFalse(v.isAlive());
    }

    /** A child main for {@link #aChildJvmRunsOnThisClassPathAndItsOutputIsKept()}. */
    public static final class Echo {
        public static void main(String[] args) {
            System.out.println("ECHO " + String.join(" ", args));
        }
    }

    @Test
    void aChildJvmRunsOnThisClassPathAndItsOutputIsKept() throws Exception {
        try (ChildProcess child = ChildProcess.java(Echo.class.getName(), "a b", "c")) {
            assertEquals("ECHO a b c", child.awaitLine("ECHO", 60));
            assertEquals(0, child.awaitExit(60));
        }
    }

    @Test
    void aChildStillRunningAtItsTimeoutIsKilledAndTheFailureShowsItsOutput() throws Exception {
        try (ChildProcess child = ChildProcess.start(java.util.List.of("sh", "-c", "echo started; exec sleep 60"))) {
            child.awaitLine("started", 10);
            AssertionError e = assertThrows(AssertionError.class, () -> child.awaitExit(1));
            assertTrue(e.getMessage().contains("started"), e.getMessage());
            assertFalse(child.process().isAlive(), "killed");
        }
    }

    @Test
    void theReadableClassPathIsACopyEveryoneMayReadAndIsDeletedOnClose() throws Exception {
        Path root;
        try (ChildProcess.ReadableClassPath copy = new ChildProcess.ReadableClassPath()) {
            String[] entries = copy.classPath().split(java.io.File.pathSeparator);
            assertTrue(entries.length > 0);
            root = Path.of(entries[0]).getParent();
            assertTrue(Files.getPosixFilePermissions(root).contains(PosixFilePermission.OTHERS_EXECUTE));
            try (Stream<Path> all = Files.walk(root)) {
                for (Path p : all.toList()) {
                    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
                    assertTrue(perms.contains(PosixFilePermission.OTHERS_READ), p + " " + perms);
                }
            }
            assertTrue(Files.exists(Path.of(entries[0])));
            // a JVM on the copy finds the test classes
            try (ChildProcess child = ChildProcess.java(java.util.List.of(), copy.classPath(), Echo.class.getName(), "copy")) {
                assertEquals("ECHO copy", child.awaitLine("ECHO", 60));
            }
        }
        assertFalse(Files.exists(root), "deleted on close");
    }
}
