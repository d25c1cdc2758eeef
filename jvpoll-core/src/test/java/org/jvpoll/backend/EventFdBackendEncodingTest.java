package org.jvpoll.backend;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;
import static org.jvpoll.Events.IN;
import static org.jvpoll.Events.OUT;
import static org.jvpoll.Events.PRI;
import static org.jvpoll.Events.RDHUP;

import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.jvpoll.Backend;
import org.jvpoll.BackendUnavailableException;
import org.jvpoll.Errno;
import org.jvpoll.VpollException;
import org.jvpoll.VpollOp;
import org.jvpoll.backend.FakeKernel.Call;
import org.jvpoll.syscall.EventFd;

/**
 * The bytes the EFD_VPOLL backend sends to a patched kernel, checked against {@link FakeKernel}:
 * each change is one 8-byte write of {@code (op << 32) | events} followed by one 8-byte read.
 */
class EventFdBackendEncodingTest {

    /** Masks that exercise the edges of the 28 event bits. */
    private static final int[] MASKS = {0, IN | PRI, RDHUP, 1 << 27, 0x0fffffff};

    private static final int EFD_VPOLL = 0x2;
    private static final int EFD_NONBLOCK = 0x800;
    private static final int EFD_CLOEXEC = 0x80000;

    private final FakeKernel kernel = new FakeKernel();
    private final EventFdBackend backend = new EventFdBackend(kernel);

    /** Creates a file after the (once-only) availability probe, with the call log cleared. */
    private VpollFile create(int initialEvents, boolean closeOnExec, boolean nonBlocking) throws Exception {
        assertTrue(backend.availability().available(), backend.availability().detail());
        kernel.clearCalls();
        VpollFile file = backend.create(initialEvents, closeOnExec, nonBlocking);
        kernel.clearCalls();
        return file;
    }

    private static Call last(List<Call> calls) {
        assertFalse(calls.isEmpty(), "no such call recorded");
        return calls.get(calls.size() - 1);
    }

    @Test
    void constantsMatchTheKernelPatch() {
        // Guards the literals below: if these moved, every encoding assertion would be wrong together.
        assertEquals(EFD_VPOLL, EventFd.EFD_VPOLL);
        assertEquals(EFD_NONBLOCK, EventFd.EFD_NONBLOCK);
        assertEquals(EFD_CLOEXEC, EventFd.EFD_CLOEXEC);
        assertEquals(1, VpollOp.ADD.code());
        assertEquals(2, VpollOp.DELETE.code());
        assertEquals(3, VpollOp.SET.code());
    }

    @Test
    void knownWordsForKnownChanges() throws Exception {
        // Hand-computed u64 values, independent of the formula the backend uses.
        record Case(VpollOp op, int events, long word) {}
        List<Case> cases = List.of(
                new Case(VpollOp.ADD, IN | PRI, 0x0000000100000003L),
                new Case(VpollOp.ADD, RDHUP, 0x0000000100002000L),
                new Case(VpollOp.DELETE, 0, 0x0000000200000000L),
                new Case(VpollOp.DELETE, 1 << 27, 0x0000000208000000L),
                new Case(VpollOp.SET, 0x0fffffff, 0x000000030fffffffL),
                new Case(VpollOp.SET, 0, 0x0000000300000000L));
        VpollFile file = create(0, true, false);
        for (Case c : cases) {
            kernel.clearCalls();
            file.ctl(c.op(), c.events());
            Call write = last(kernel.calls("write"));
            assertEquals(c.word(), write.value(), () -> c + " wrote 0x" + Long.toHexString(write.value()));
            assertEquals(file.fd(), write.fd());
            assertEquals(c.word(), EventFd.vpollRequest(c.op().code(), c.events()), c.toString());
        }
        file.close();
    }

    @TestFactory
    List<DynamicTest> everyOpAndMaskIsOneWriteThenOneRead() {
        List<DynamicTest> tests = new ArrayList<>();
        for (VpollOp op : VpollOp.values()) {
            for (int mask : MASKS) {
                tests.add(dynamicTest(op + " 0x" + Integer.toHexString(mask), () -> {
                    // A non-trivial starting mask makes ADD, DELETE and SET give distinct results.
                    int initial = IN | OUT | (1 << 27);
                    VpollFile file = create(initial, true, false);
                    int fd = file.fd();

                    int returned = file.ctl(op, mask);

                    List<Call> calls = kernel.calls();
                    assertEquals(List.of("write", "read"), kernel.callNames(), calls::toString);
                    long expectedWord = ((long) op.code() << 32) | (mask & 0xffffffffL);
                    assertAll(
                            () -> assertEquals(fd, calls.get(0).fd()),
                            () -> assertEquals(expectedWord, calls.get(0).value(), "written u64"),
                            () -> assertEquals(fd, calls.get(1).fd()),
                            () -> assertEquals(calls.get(1).result(), returned, "ctl returns what the read gave"),
                            () -> assertEquals(op.apply(initial, mask), returned, "kernel-side result"),
                            () -> assertEquals(op.apply(initial, mask), kernel.mask(fd)));
                    file.close();
                }));
            }
        }
        return tests;
    }

    @Test
    void eventsIsOneReadAndNoWrite() throws Exception {
        VpollFile file = create(RDHUP | IN, true, false);
        assertEquals(RDHUP | IN, file.events());
        assertEquals(List.of("read"), kernel.callNames());
        assertEquals(file.fd(), kernel.calls().get(0).fd());
        file.close();
    }

    @Test
    void eventBitsAreZeroExtendedNotSignExtended() throws Exception {
        // Bit 31 is an epoll flag the facade rejects; if it ever reached here it must stay in the
        // low word (a sign extension would forge op 0xffffffff), and the kernel then refuses it.
        VpollFile file = create(0, true, false);
        VpollException e = assertThrows(VpollException.class, () -> file.ctl(VpollOp.ADD, 1 << 31));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals(0x0000000180000000L, last(kernel.calls("write")).value());
        assertEquals(0, kernel.mask(file.fd()), "a refused write changes nothing");
        file.close();
    }

    @Test
    void creationFlags() throws Exception {
        record Case(boolean closeOnExec, boolean nonBlocking, int flags) {}
        for (Case c : List.of(
                new Case(true, false, EFD_VPOLL | EFD_CLOEXEC),
                new Case(true, true, EFD_VPOLL | EFD_CLOEXEC | EFD_NONBLOCK),
                new Case(false, false, EFD_VPOLL),
                new Case(false, true, EFD_VPOLL | EFD_NONBLOCK))) {
            assertTrue(backend.availability().available());
            kernel.clearCalls();
            VpollFile file = backend.create(0, c.closeOnExec(), c.nonBlocking());
            assertEquals(List.of("eventfd"), kernel.callNames(), c.toString());
            Call eventfd = kernel.calls().get(0);
            assertEquals(c.flags(), eventfd.flags(), () -> c + " flags 0x" + Integer.toHexString(eventfd.flags()));
            assertEquals(file.fd(), eventfd.result());
            assertEquals(c.flags(), kernel.flags(file.fd()));
            file.close();
        }
    }

    @Test
    void initialEventsAreEventfdsInitval() throws Exception {
        assertTrue(backend.availability().available());
        for (int initial : MASKS) {
            kernel.clearCalls();
            VpollFile file = backend.create(initial, true, false);
            Call eventfd = last(kernel.calls("eventfd"));
            assertEquals(initial & 0xffffffffL, eventfd.value(), "initval");
            assertEquals(List.of("eventfd"), kernel.callNames(), "no write needed for the initial events");
            assertEquals(initial, kernel.mask(file.fd()));
            assertEquals(initial, file.events());
            file.close();
        }
    }

    @Test
    void probeAddsInAndReadsItBack() {
        assertTrue(backend.availability().available());
        assertEquals("available", backend.availability().detail());
        List<Call> calls = kernel.calls();
        assertEquals(List.of("eventfd", "write", "read", "close"), kernel.callNames(), calls::toString);
        int fd = calls.get(0).fd();
        assertAll(
                () -> assertEquals(0, calls.get(0).value(), "probe initval"),
                () -> assertEquals(EFD_VPOLL | EFD_CLOEXEC, calls.get(0).flags()),
                () -> assertEquals(0x0000000100000001L, calls.get(1).value(), "ADD IN"),
                () -> assertEquals(fd, calls.get(1).fd()),
                () -> assertEquals(fd, calls.get(2).fd()),
                () -> assertEquals(fd, calls.get(3).fd()),
                () -> assertEquals(Set.of(), kernel.openFds(), "probe fd closed"));
        // The answer is cached: a second look makes no system call.
        kernel.clearCalls();
        assertTrue(backend.availability().available());
        assertEquals(List.of(), kernel.calls());
    }

    @Test
    void stockKernelIsUnavailableWithAReason() {
        EventFdBackend stock = new EventFdBackend(new FakeKernel().withoutEfdVpoll());
        VpollBackend.Availability a = stock.availability();
        assertFalse(a.available());
        assertTrue(a.detail().contains("EFD_VPOLL"), a.detail());
        assertTrue(a.detail().contains("EINVAL"), a.detail());
    }

    @Test
    void failedProbeClosesItsFdAndSaysWhy() {
        // A kernel that accepts EFD_VPOLL but refuses the op word is not one the backend can use.
        FakeKernel faulty = new FakeKernel().failNext("write", Errno.EINVAL);
        VpollBackend.Availability a = new EventFdBackend(faulty).availability();
        assertFalse(a.available());
        assertTrue(a.detail().contains("probe failed"), a.detail());
        assertTrue(a.detail().contains("EINVAL"), a.detail());
        assertEquals(Set.of(), faulty.openFds(), "probe fd leaked");
        assertEquals(1, faulty.calls("close").size());
    }

    @Test
    void createOnUnavailableBackendThrowsWithoutCreatingAnything() {
        FakeKernel stockKernel = new FakeKernel().withoutEfdVpoll();
        EventFdBackend stock = new EventFdBackend(stockKernel);
        BackendUnavailableException e =
                assertThrows(BackendUnavailableException.class, () -> stock.create(IN, true, false));
        assertEquals(Backend.EVENTFD, e.backend());
        assertTrue(e.getMessage().contains("EFD_VPOLL"), e.getMessage());
        // Only the probe's one refused eventfd reached the kernel.
        assertEquals(List.of("eventfd"), stockKernel.callNames());
        assertTrue(stockKernel.calls().get(0).failed());
        assertEquals(Set.of(), stockKernel.openFds());
    }

    @Test
    void closeClosesTheFdExactlyOnce() throws Exception {
        VpollFile file = create(IN, true, false);
        int fd = file.fd();
        assertEquals(Set.of(fd), kernel.openFds());
        file.close();
        file.close();
        assertFalse(file.isOpen());
        assertEquals(List.of("close"), kernel.callNames());
        assertEquals(fd, kernel.calls().get(0).fd());
        assertFalse(kernel.calls().get(0).failed());
        assertEquals(Set.of(), kernel.openFds());
    }

    @Test
    void useAfterCloseFailsWithoutTouchingTheKernel() throws Exception {
        VpollFile file = create(IN, true, false);
        file.close();
        kernel.clearCalls();
        assertThrows(ClosedChannelException.class, () -> file.ctl(VpollOp.ADD, OUT));
        assertThrows(ClosedChannelException.class, () -> file.ctl(VpollOp.SET, 0));
        assertThrows(ClosedChannelException.class, file::events);
        assertEquals(List.of(), kernel.calls(), "no I/O after close");
    }

    @Test
    void fakeKernelRefusesWhatThePatchRefuses() throws Exception {
        // The fake must reject malformed words, or the encoding assertions above would prove nothing.
        int fd = kernel.eventfd(0, EFD_VPOLL);
        assertEquals(Errno.EINVAL, errnoOf(() -> kernel.writeU64(fd, 0x0000000400000001L, "op 4")));
        assertEquals(Errno.EINVAL, errnoOf(() -> kernel.writeU64(fd, 0x0000000000000001L, "op 0")));
        assertEquals(Errno.EINVAL, errnoOf(() -> kernel.writeU64(fd, 0x0000000110000000L, "bit 28")));
        assertEquals(Errno.ENOTTY, errnoOf(() -> kernel.ioctl(fd, 0x5E01L, 0, "ioctl on eventfd")));
        assertEquals(Errno.EBADF, errnoOf(() -> kernel.readU64(fd + 1000, "read")));
        assertEquals(Errno.EINVAL, errnoOf(() -> kernel.eventfd(0, EFD_CLOEXEC)), "no EFD_VPOLL");
        assertEquals(Errno.EINVAL, errnoOf(() -> kernel.eventfd(0, EFD_VPOLL | EventFd.EFD_SEMAPHORE)));
        assertEquals(0, kernel.readU64(fd, "read"), "refused writes left the mask alone");
        // EFD_VPOLL creation masks the initial value to the 28 event bits.
        assertEquals(0x0fffffffL, kernel.readU64(kernel.eventfd(-1, EFD_VPOLL), "read"));
    }

    @FunctionalInterface
    private interface KernelAction {
        void run() throws VpollException;
    }

    private static int errnoOf(KernelAction action) {
        return assertThrows(VpollException.class, action::run).errno();
    }
}
