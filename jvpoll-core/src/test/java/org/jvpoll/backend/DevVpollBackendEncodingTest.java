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
import java.util.Map;
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
import org.jvpoll.syscall.Ioctl;
import org.jvpoll.syscall.Unistd;

/**
 * The requests the /dev/vpoll backend sends to the vpoll module, checked against
 * {@link FakeKernel}: each change is one {@code ioctl(fd, _IO('^', op), events)} whose result is
 * the new mask.
 */
class DevVpollBackendEncodingTest {

    /** {@code _IO('^', n)} = ('^' << 8) | n, with '^' = 0x5E; written out by hand on purpose. */
    private static final Map<VpollOp, Long> REQUESTS =
            Map.of(VpollOp.ADD, 0x5E01L, VpollOp.DELETE, 0x5E02L, VpollOp.SET, 0x5E03L);

    private static final int[] MASKS = {0, IN | PRI, RDHUP, 1 << 27, 0x0fffffff};

    private static final int O_RDWR = 0x2;
    private static final int O_NONBLOCK = 0x800;
    private static final int O_CLOEXEC = 0x80000;

    private final FakeKernel kernel = new FakeKernel();
    private final DevVpollBackend backend = new DevVpollBackend(kernel, DevVpollBackend.DEFAULT_PATH);

    /** Creates a file after the (once-only) availability probe, with the call log cleared. */
    private VpollFile create(int initialEvents) throws Exception {
        assertTrue(backend.availability().available(), backend.availability().detail());
        VpollFile file = backend.create(initialEvents, true, false);
        kernel.clearCalls();
        return file;
    }

    /** Runs the probe, then clears the log so only what follows is seen. */
    private void probed() {
        assertTrue(backend.availability().available(), backend.availability().detail());
        kernel.clearCalls();
    }

    @Test
    void requestNumbersAreUnderscoreIoCaretN() {
        assertEquals('^', Ioctl.VPOLL_IOC_MAGIC);
        assertEquals(0x5E, Ioctl.VPOLL_IOC_MAGIC);
        for (VpollOp op : VpollOp.values()) {
            assertEquals(REQUESTS.get(op), Ioctl.vpollRequest(op.code()), op.toString());
        }
        assertEquals(0x5E01L, Ioctl.io('^', 1));
    }

    @Test
    void openFlagConstants() {
        // Guards the literals below against a change of the shared constants.
        assertEquals(O_RDWR, Unistd.O_RDWR);
        assertEquals(O_NONBLOCK, Unistd.O_NONBLOCK);
        assertEquals(O_CLOEXEC, Unistd.O_CLOEXEC);
        assertEquals("/dev/vpoll", DevVpollBackend.DEFAULT_PATH);
    }

    @TestFactory
    List<DynamicTest> everyOpAndMaskIsOneIoctl() {
        List<DynamicTest> tests = new ArrayList<>();
        for (VpollOp op : VpollOp.values()) {
            for (int mask : MASKS) {
                tests.add(dynamicTest(op + " 0x" + Integer.toHexString(mask), () -> {
                    // A non-trivial starting mask makes ADD, DELETE and SET give distinct results.
                    int initial = IN | OUT | (1 << 27);
                    VpollFile file = create(initial);
                    int fd = file.fd();

                    int returned = file.ctl(op, mask);

                    assertEquals(List.of("ioctl"), kernel.callNames(), kernel.calls()::toString);
                    Call ioctl = kernel.calls().get(0);
                    assertAll(
                            () -> assertEquals(fd, ioctl.fd()),
                            () -> assertEquals(REQUESTS.get(op), ioctl.request(), "request number"),
                            () -> assertEquals(mask & 0xffffffffL, ioctl.value(), "argument"),
                            () -> assertEquals(ioctl.result(), returned, "ctl returns the ioctl's result"),
                            () -> assertEquals(op.apply(initial, mask), returned, "kernel-side result"),
                            () -> assertEquals(op.apply(initial, mask), kernel.mask(fd)));
                    file.close();
                }));
            }
        }
        return tests;
    }

    @Test
    void argumentIsZeroExtended() throws Exception {
        VpollFile file = create(0);
        file.ctl(VpollOp.ADD, 1 << 27);
        assertEquals(0x0000000008000000L, kernel.calls().get(0).value());
        // Bit 31 must not turn into 0xffffffff80000000: the module would still mask it off, but an
        // unsigned long argument is what the C side declares.
        kernel.clearCalls();
        assertEquals(1 << 27, file.ctl(VpollOp.SET, (1 << 31) | (1 << 27)));
        assertEquals(0x0000000088000000L, kernel.calls().get(0).value());
        file.close();
    }

    @Test
    void eventsIsAnAddOfNothing() throws Exception {
        VpollFile file = create(RDHUP | (1 << 27));
        assertEquals(RDHUP | (1 << 27), file.events());
        assertEquals(List.of("ioctl"), kernel.callNames());
        Call ioctl = kernel.calls().get(0);
        assertEquals(0x5E01L, ioctl.request());
        assertEquals(0, ioctl.value());
        assertEquals(file.fd(), ioctl.fd());
        file.close();
    }

    @Test
    void openFlags() throws Exception {
        record Case(boolean closeOnExec, boolean nonBlocking, int flags) {}
        probed();
        for (Case c : List.of(
                new Case(true, false, O_RDWR | O_CLOEXEC),
                new Case(true, true, O_RDWR | O_CLOEXEC | O_NONBLOCK),
                new Case(false, false, O_RDWR),
                new Case(false, true, O_RDWR | O_NONBLOCK))) {
            kernel.clearCalls();
            VpollFile file = backend.create(0, c.closeOnExec(), c.nonBlocking());
            assertEquals(List.of("open"), kernel.callNames(), c.toString());
            Call open = kernel.calls().get(0);
            assertEquals(c.flags(), open.flags(), () -> c + " flags 0x" + Integer.toHexString(open.flags()));
            assertEquals("/dev/vpoll", open.path());
            assertEquals(file.fd(), open.result());
            file.close();
        }
    }

    @Test
    void initialEventsAreOneSetRightAfterOpen() throws Exception {
        probed();
        VpollFile file = backend.create(IN | OUT | (1 << 27), true, false);
        List<Call> calls = kernel.calls();
        assertEquals(List.of("open", "ioctl"), kernel.callNames(), calls::toString);
        assertAll(
                () -> assertEquals(file.fd(), calls.get(1).fd()),
                () -> assertEquals(0x5E03L, calls.get(1).request()),
                () -> assertEquals(0x08000005L, calls.get(1).value()),
                () -> assertEquals(IN | OUT | (1 << 27), kernel.mask(file.fd())));
        file.close();
    }

    @Test
    void noInitialEventsMeansNoIoctl() throws Exception {
        probed();
        VpollFile file = backend.create(0, true, false);
        assertEquals(List.of("open"), kernel.callNames());
        assertEquals(0, kernel.mask(file.fd()));
        file.close();
    }

    @Test
    void failedInitialSetClosesTheFdAndPropagates() throws Exception {
        probed();
        kernel.failNext("ioctl", Errno.ENOMEM);
        VpollException e = assertThrows(VpollException.class, () -> backend.create(IN, true, false));
        assertEquals(Errno.ENOMEM, e.errno());
        assertTrue(e.getMessage().contains("VPOLL_IO_SETEVENTS"), e.getMessage());
        List<Call> calls = kernel.calls();
        assertEquals(List.of("open", "ioctl", "close"), kernel.callNames(), calls::toString);
        assertEquals(calls.get(0).fd(), calls.get(2).fd(), "the opened fd is the one closed");
        assertEquals(Set.of(), kernel.openFds(), "fd leaked");
    }

    @Test
    void closeErrorAfterFailedSetIsSuppressedNotLost() throws Exception {
        probed();
        kernel.failNext("ioctl", Errno.ENOMEM).failNext("close", Errno.EBADF);
        VpollException e = assertThrows(VpollException.class, () -> backend.create(IN, true, false));
        assertEquals(Errno.ENOMEM, e.errno(), "the first failure is the one reported");
        assertEquals(1, e.getSuppressed().length);
        VpollException suppressed = assertInstanceOfVpoll(e.getSuppressed()[0]);
        assertEquals(Errno.EBADF, suppressed.errno());
        assertEquals(Set.of(), kernel.openFds());
    }

    private static VpollException assertInstanceOfVpoll(Throwable t) {
        assertTrue(t instanceof VpollException, () -> "suppressed " + t);
        return (VpollException) t;
    }

    @Test
    void devicePathIsConfigurable() throws Exception {
        String path = "/run/test/vpoll0";
        FakeKernel custom = new FakeKernel().withDeviceAt(path);
        DevVpollBackend atPath = new DevVpollBackend(custom, path);
        assertTrue(atPath.availability().available(), atPath.availability().detail());
        VpollFile file = atPath.create(IN, true, false);
        List<Call> opens = custom.calls("open");
        assertEquals(2, opens.size(), "probe and create");
        opens.forEach(open -> assertEquals(path, open.path()));
        assertEquals(IN, file.events());
        file.close();
        assertEquals(Set.of(), custom.openFds());

        // The default backend does not find a device that lives elsewhere.
        VpollBackend.Availability a = new DevVpollBackend(custom, DevVpollBackend.DEFAULT_PATH).availability();
        assertFalse(a.available());
        assertTrue(a.detail().contains(DevVpollBackend.DEFAULT_PATH), a.detail());
    }

    @Test
    void probeIsAnAddOfNothingOnAFreshOpen() {
        assertTrue(backend.availability().available());
        assertEquals("available", backend.availability().detail());
        List<Call> calls = kernel.calls();
        assertEquals(List.of("open", "ioctl", "close"), kernel.callNames(), calls::toString);
        int fd = calls.get(0).fd();
        assertAll(
                () -> assertEquals("/dev/vpoll", calls.get(0).path()),
                () -> assertEquals(O_RDWR | O_CLOEXEC, calls.get(0).flags()),
                () -> assertEquals(fd, calls.get(1).fd()),
                () -> assertEquals(0x5E01L, calls.get(1).request()),
                () -> assertEquals(0, calls.get(1).value()),
                () -> assertEquals(fd, calls.get(2).fd()),
                () -> assertEquals(Set.of(), kernel.openFds()));
        kernel.clearCalls();
        assertTrue(backend.availability().available());
        assertEquals(List.of(), kernel.calls(), "the answer is cached");
    }

    @Test
    void missingDefaultDeviceMeansModuleNotLoaded() {
        String path = DevVpollBackend.DEFAULT_PATH;
        VpollBackend.Availability a = new DevVpollBackend(new FakeKernel().withoutDevice(), path).availability();
        assertFalse(a.available());
        assertTrue(a.detail().contains(path), a.detail());
        assertTrue(a.detail().contains("not loaded"), a.detail());
    }

    @Test
    void missingConfiguredPathIsReportedAsMissingNotAsModuleNotLoaded() {
        String path = "/dev/vpoll-missing";
        VpollBackend.Availability a = new DevVpollBackend(new FakeKernel().withoutDevice(), path).availability();
        assertFalse(a.available());
        assertTrue(a.detail().contains("the configured path " + path), a.detail());
        assertTrue(a.detail().contains("does not exist"), a.detail());
        assertTrue(a.detail().contains("-Djvpoll.devvpoll.path"), a.detail());
        assertFalse(a.detail().contains("not loaded"), a.detail());
    }

    @Test
    void otherOpenErrorsAreNamed() {
        FakeKernel denied = new FakeKernel().failNext("open", Errno.EACCES);
        VpollBackend.Availability a = new DevVpollBackend(denied, DevVpollBackend.DEFAULT_PATH).availability();
        assertFalse(a.available());
        assertTrue(a.detail().contains("EACCES"), a.detail());
        assertFalse(a.detail().contains("not loaded"), "the module may be loaded; only access was refused");
    }

    @Test
    void foreignDeviceIsNotAVpollDevice() {
        String path = "/dev/null-ish";
        FakeKernel foreign = new FakeKernel().withForeignDeviceAt(path);
        VpollBackend.Availability a = new DevVpollBackend(foreign, path).availability();
        assertFalse(a.available());
        assertTrue(a.detail().contains("not a vpoll device"), a.detail());
        assertTrue(a.detail().contains("ENOTTY"), a.detail());
        assertTrue(a.detail().contains(path), a.detail());
        assertEquals(Set.of(), foreign.openFds(), "probe fd leaked");
    }

    @Test
    void createOnUnavailableBackendThrowsWithoutOpening() {
        FakeKernel absent = new FakeKernel().withoutDevice();
        DevVpollBackend none = new DevVpollBackend(absent, DevVpollBackend.DEFAULT_PATH);
        BackendUnavailableException e =
                assertThrows(BackendUnavailableException.class, () -> none.create(IN, true, false));
        assertEquals(Backend.DEV_VPOLL, e.backend());
        assertTrue(e.getMessage().contains("not loaded"), e.getMessage());
        assertEquals(List.of("open"), absent.callNames(), "only the probe's open");
    }

    @Test
    void closeClosesTheFdExactlyOnce() throws Exception {
        VpollFile file = create(IN);
        int fd = file.fd();
        assertEquals(Set.of(fd), kernel.openFds());
        file.close();
        file.close();
        assertFalse(file.isOpen());
        assertEquals(List.of("close"), kernel.callNames());
        assertEquals(fd, kernel.calls().get(0).fd());
        assertEquals(Set.of(), kernel.openFds());
    }

    @Test
    void useAfterCloseFailsWithoutTouchingTheKernel() throws Exception {
        VpollFile file = create(IN);
        file.close();
        kernel.clearCalls();
        assertThrows(ClosedChannelException.class, () -> file.ctl(VpollOp.DELETE, IN));
        assertThrows(ClosedChannelException.class, file::events);
        assertEquals(List.of(), kernel.calls());
    }

    @Test
    void moduleRejectsUnknownRequests() {
        // The fake itself must refuse what the module refuses, or the tests above prove nothing.
        assertEquals(Errno.EINVAL, errnoOf(() -> {
            int fd = kernel.open("/dev/vpoll", O_RDWR);
            kernel.ioctl(fd, 0x5E04L, 0, "ioctl(4)");
        }));
        assertEquals(Errno.EBADF, errnoOf(() -> kernel.ioctl(9999, 0x5E01L, 0, "ioctl")));
        assertEquals(Errno.EINVAL, errnoOf(() -> {
            int fd = kernel.open("/dev/vpoll", O_RDWR);
            kernel.writeU64(fd, 0x0000000100000001L, "write"); // the module has no write
        }));
        assertEquals(Errno.ENOENT, errnoOf(() -> kernel.open("/dev/vpol", O_RDWR)));
    }

    @FunctionalInterface
    private interface KernelAction {
        void run() throws VpollException;
    }

    private static int errnoOf(KernelAction action) {
        return assertThrows(VpollException.class, action::run).errno();
    }
}
