package org.jvpoll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.nio.channels.SelectableChannel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.jvpoll.testing.BackendSelection;
import org.jvpoll.testing.ChildProcess;
import org.jvpoll.testing.NativeProcess;
import org.jvpoll.testing.OpenDescriptors;

/** A VpollFd dropped without close is closed by the Cleaner once unreachable, and says so in the log. */
class UnclosedVpollFdTest {
    private static final long GC_WAIT_NANOS = 60_000_000_000L;

    /**
     * Runs GCs until the process holds at most {@code target} descriptors. @return the count then,
     * or the last count when the wait ran out
     */
    static int gcUntilAtMost(int target) throws InterruptedException {
        long deadline = System.nanoTime() + GC_WAIT_NANOS;
        int now = OpenDescriptors.countNow();
        while (now > target && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(50);
            now = OpenDescriptors.countNow();
        }
        return now;
    }

    @ParameterizedTest
    @CsvSource({"EMULATION, 15000, 2", "FUSE, 15000, 1", "EMULATION_TCP, 1000, 2", "EVENTFD, 15000, 1", "DEV_VPOLL, 15000, 1"})
    void droppedFdsAreClosedAfterGc(Backend backend, int wanted, int descriptorsPerFd) throws Exception {
        VpollFd.Options options = BackendSelection.options(backend);
        int baseline = OpenDescriptors.openCount(options);
        // As many as fit under RLIMIT_NOFILE with room to spare: running this JVM out of
        // descriptors could break class loading for later tests (the child JVM test does that).
        long fit = (NativeProcess.nofile()[0] - baseline - 1000) / descriptorsPerFd;
        int count = (int) Math.min(wanted, fit);
        System.out.println(backend.id() + ": dropping " + count + " of the " + wanted + " fds asked for (RLIMIT_NOFILE "
                + NativeProcess.nofile()[0] + ")");
        long reclaimedBefore = FdReclaimer.reclaimed();
        try {
            for (int i = 0; i < count; i++) {
                VpollFd.create(Events.IN, options); // dropped
            }
            // A GC may already have run during the loop: the Cleaner's count below is the proof.
            System.out.println(backend.id() + ": " + (OpenDescriptors.countNow() - baseline) + " descriptors open after the loop");
            int after = gcUntilAtMost(baseline);
            assertTrue(after <= baseline, count + " dropped " + backend.id() + " fds: " + (after - baseline)
                    + " descriptors still open 60 s after GCs began");
            // The Cleaner counts a reclaim just after its close: the last count may trail the fd table.
            long deadline = System.nanoTime() + GC_WAIT_NANOS;
            while (FdReclaimer.reclaimed() - reclaimedBefore < count && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(FdReclaimer.reclaimed() - reclaimedBefore >= count,
                    "reclaimed " + (FdReclaimer.reclaimed() - reclaimedBefore) + " of " + count);
        } finally {
            System.out.println(backend.id() + ": reclaimed " + (FdReclaimer.reclaimed() - reclaimedBefore) + " dropped fds");
        }
    }

    @Test
    void anExplicitlyClosedFdIsNotReclaimedAgain() throws Exception {
        VpollFd.Options options = BackendSelection.options(Backend.EMULATION);
        VpollFd vfd = VpollFd.create(0, options);
        vfd.close();
        WeakReference<VpollFd> ref = new WeakReference<>(vfd);
        vfd = null;
        long deadline = System.nanoTime() + GC_WAIT_NANOS;
        while (ref.get() != null && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(null, ref.get(), "a closed VpollFd is collectable: the Cleaner does not hold it");
    }

    @Test
    void anOpenChannelKeepsItsVpollFdOpen() throws Exception {
        VpollFd.Options options = BackendSelection.options(Backend.EMULATION);
        VpollFd vfd = VpollFd.create(Events.IN, options);
        SelectableChannel channel = vfd.channel();
        WeakReference<VpollFd> ref = new WeakReference<>(vfd);
        vfd = null;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertTrue(channel.isOpen(), "the channel is in use: its vpoll fd must not be reclaimed");
        VpollFd kept = ref.get();
        assertTrue(kept != null && kept.isOpen(), "the channel keeps its VpollFd");
        assertEquals(Events.IN | Events.RDNORM, kept.events());
        channel.close();
        assertTrue(!kept.isOpen());
    }

    /** RLIMIT_NOFILE is reached with dropped fds: after a GC, creation works again. */
    @Test
    void descriptorLimitReachedByDroppedFdsClearsAfterGc() throws Exception {
        BackendSelection.options(Backend.EMULATION);
        try (ChildProcess child = ChildProcess.java("org.jvpoll.UnclosedFdsAtLimitCheck")) {
            int exit = child.awaitExit(120);
            assertEquals(0, exit, child.output());
            assertTrue(child.output().contains("OK"), child.output());
            // The first reclaim in a process is a WARNING on the org.jvpoll logger (stderr by default).
            assertTrue(child.output().contains("WARNING"), child.output());
            assertTrue(child.output().matches("(?s).*vpoll fd \\d+ \\(emulation\\) was not closed: its VpollFd became "
                    + "unreachable, so the Cleaner closed it.*"), child.output());
        }
    }
}
