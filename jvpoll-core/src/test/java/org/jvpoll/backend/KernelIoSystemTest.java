package org.jvpoll.backend;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.jvpoll.Errno;
import org.jvpoll.VpollException;
import org.jvpoll.syscall.EventFd;
import org.jvpoll.syscall.Unistd;
import org.jvpoll.testing.Skip;

/**
 * The real {@link KernelIo#SYSTEM} against the running, unpatched kernel. A stock eventfd is an
 * 8-byte native-order counter, so it proves the u64 path the EFD_VPOLL backend relies on; the two
 * vpoll facilities themselves are expected to be absent here.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS) // a wrong byte path could block a read forever
class KernelIoSystemTest {

    private static final KernelIo SYSTEM = KernelIo.SYSTEM;
    private static final ValueLayout.OfLong NATIVE_U64 = JAVA_LONG.withOrder(ByteOrder.nativeOrder());

    private int fd = -1;

    @AfterEach
    void closeFd() throws VpollException {
        if (fd >= 0) {
            SYSTEM.close(fd);
        }
    }

    @Test
    void u64RoundTripsThroughAStockEventfd() throws VpollException {
        fd = EventFd.eventfd(0, EventFd.EFD_CLOEXEC);
        SYSTEM.writeU64(fd, 0x0000000100000003L, "write(eventfd)");
        // A stock eventfd's read returns its counter, which is the value just written.
        assertEquals(0x0000000100000003L, SYSTEM.readU64(fd, "read(eventfd)"));
    }

    @Test
    void writesAddToTheCounterAsNumbers() throws VpollException {
        // Only a correctly ordered u64 adds up arithmetically: 1<<32 plus 3 is 0x100000003.
        fd = EventFd.eventfd(0, EventFd.EFD_CLOEXEC);
        SYSTEM.writeU64(fd, 1L << 32, "write(eventfd)");
        SYSTEM.writeU64(fd, 3, "write(eventfd)");
        assertEquals(0x0000000100000003L, SYSTEM.readU64(fd, "read(eventfd)"));
    }

    @Test
    void bytesAreNativeOrderAsCsUint64() throws VpollException {
        // Cross-check each direction against raw 8-byte I/O decoded explicitly in native order,
        // so a swap in both writeU64 and readU64 could not cancel out.
        fd = EventFd.eventfd(0, EventFd.EFD_CLOEXEC | EventFd.EFD_NONBLOCK);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment raw = arena.allocate(8, 8);

            SYSTEM.writeU64(fd, 0x0000000100000003L, "write(eventfd)");
            assertEquals(8, Unistd.read(fd, raw, 8, "raw read"));
            assertEquals(0x0000000100000003L, raw.get(NATIVE_U64, 0));
            assertEquals(3, raw.get(ValueLayout.JAVA_BYTE, ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? 0 : 7));

            raw.set(NATIVE_U64, 0, 0x0000000200000005L);
            assertEquals(8, Unistd.write(fd, raw, 8, "raw write"));
            assertEquals(0x0000000200000005L, SYSTEM.readU64(fd, "read(eventfd)"));
        }
    }

    @Test
    void readOfAnEmptyNonBlockingEventfdReportsEagain() throws VpollException {
        fd = EventFd.eventfd(0, EventFd.EFD_CLOEXEC | EventFd.EFD_NONBLOCK);
        VpollException e = assertThrows(VpollException.class, () -> SYSTEM.readU64(fd, "read(empty eventfd)"));
        assertEquals(Errno.EAGAIN, e.errno());
        assertTrue(e.getMessage().contains("read(empty eventfd)"), e.getMessage());
    }

    @Test
    void badFdIsEbadf() {
        // -1 is never a descriptor; a just-closed number could be reused by the JVM meanwhile.
        assertEquals(Errno.EBADF,
                assertThrows(VpollException.class, () -> SYSTEM.writeU64(-1, 1, "write(-1)")).errno());
        assertEquals(Errno.EBADF,
                assertThrows(VpollException.class, () -> SYSTEM.readU64(-1, "read(-1)")).errno());
    }

    @Test
    void stockKernelRejectsEfdVpollWithEinval() throws VpollException {
        int vpollFd;
        try {
            vpollFd = SYSTEM.eventfd(0, EventFd.EFD_VPOLL | EventFd.EFD_CLOEXEC);
        } catch (VpollException e) {
            assertEquals(Errno.EINVAL, e.errno(), e.getMessage());
            // ...which is exactly what makes the backend report itself unavailable.
            VpollBackend.Availability a = new EventFdBackend(SYSTEM).availability();
            assertFalse(a.available());
            assertTrue(a.detail().contains("EFD_VPOLL") && a.detail().contains("EINVAL"), a.detail());
            return;
        }
        SYSTEM.close(vpollFd);
        String why = "this kernel accepts eventfd(0, EFD_VPOLL): it carries the vpoll patch, so the"
                + " stock-kernel expectation does not apply";
        throw Skip.because("KernelIoSystemTest: " + why);
    }

    @Test
    void devVpollIsAbsent() {
        Path device = Path.of(DevVpollBackend.DEFAULT_PATH);
        if (Files.exists(device)) {
            String why = device + " exists: the vpoll module is loaded, so the absent-device expectation does not apply";
            throw Skip.because("KernelIoSystemTest: " + why);
        }
        VpollException e = assertThrows(VpollException.class,
                () -> SYSTEM.open(DevVpollBackend.DEFAULT_PATH, Unistd.O_RDWR | Unistd.O_CLOEXEC));
        assertEquals(Errno.ENOENT, e.errno(), e.getMessage());
        VpollBackend.Availability a = new DevVpollBackend(SYSTEM, DevVpollBackend.DEFAULT_PATH).availability();
        assertFalse(a.available());
        assertTrue(a.detail().contains("/dev/vpoll") && a.detail().contains("not loaded"), a.detail());
    }
}
