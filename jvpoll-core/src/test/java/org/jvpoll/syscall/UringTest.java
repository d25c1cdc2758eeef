package org.jvpoll.syscall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.jvpoll.Errno;
import org.jvpoll.Events;
import org.jvpoll.testing.Skip;

/** The io_uring facade on its own: layouts, one submission, linked chains, reuse of the ring. */
class UringTest {
    private static final int RWF_NOWAIT = 0x8;

    @Test
    void layoutsHaveTheKernelsSizes() {
        assertEquals(120, Uring.PARAMS.byteSize());
        assertEquals(64, Uring.SQE.byteSize());
        assertEquals(16, Uring.CQE.byteSize());
        assertEquals(40, Uring.SQRING_OFFSETS.byteSize());
        assertEquals(28, Uring.SQE.byteOffset(MemoryLayout.PathElement.groupElement("op_flags")));
        assertEquals(32, Uring.SQE.byteOffset(MemoryLayout.PathElement.groupElement("user_data")));
        assertEquals(80, Uring.PARAMS.byteOffset(MemoryLayout.PathElement.groupElement("cq_off")));
        assertThrows(IllegalArgumentException.class, () -> Uring.open(3));
    }

    /** Writes to eventfds and reads them back, linked, many rounds on one ring; a failed link cancels the rest. */
    @Test
    void writesReadsAndLinksOnEventfds() throws Exception {
        Skip.unless(Uring.unavailableReason() == null, "io_uring: " + Uring.unavailableReason());
        int[] efd = new int[8];
        try (Uring ring = Uring.open(16); Arena arena = Arena.ofConfined()) {
            MemorySegment bufs = arena.allocate(8L * 16);
            for (int i = 0; i < efd.length; i++) {
                efd[i] = EventFd.eventfd(0, EventFd.EFD_CLOEXEC | EventFd.EFD_NONBLOCK);
            }
            for (int round = 0; round < 50; round++) { // the ring wraps several times
                for (int i = 0; i < efd.length; i++) {
                    MemorySegment w = bufs.asSlice(16L * i, 8);
                    w.set(ValueLayout.JAVA_LONG, 0, i + 1 + round);
                    ring.prepare(Uring.IORING_OP_WRITE, Uring.IOSQE_IO_LINK, efd[i], w, 8, 0, -1, 2 * i);
                    ring.prepare(Uring.IORING_OP_READ, (byte) 0, efd[i], bufs.asSlice(16L * i + 8, 8), 8, 0, -1, 2 * i + 1);
                }
                assertEquals(0, ring.free());
                Map<Long, Integer> res = new HashMap<>();
                int calls = ring.submitAndWait((u, r) -> res.put(u, r));
                assertEquals(1, calls, "one io_uring_enter");
                assertEquals(16, res.size());
                for (int i = 0; i < efd.length; i++) {
                    assertEquals(8, res.get((long) 2 * i));
                    assertEquals(8, res.get((long) 2 * i + 1));
                    assertEquals(i + 1 + round, bufs.get(ValueLayout.JAVA_LONG, 16L * i + 8), "read back after the linked write");
                }
            }
            // A read of an empty eventfd with RWF_NOWAIT fails with EAGAIN (without it io_uring would
            // wait for data, O_NONBLOCK or not) and cancels its linked successor.
            ring.prepare(Uring.IORING_OP_READ, Uring.IOSQE_IO_LINK, efd[0], bufs, 8, RWF_NOWAIT, -1, 100);
            ring.prepare(Uring.IORING_OP_WRITE, (byte) 0, efd[0], bufs, 8, 0, -1, 101);
            Map<Long, Integer> res = new HashMap<>();
            ring.submitAndWait((u, r) -> res.put(u, r));
            assertEquals(-Errno.EAGAIN, res.get(100L));
            assertEquals(-125, res.get(101L), "ECANCELED");
            assertEquals(0, Poll.currentEvents(efd[0]) & Events.IN, "the cancelled write never ran");
        } finally {
            for (int fd : efd) {
                if (fd > 0) {
                    Unistd.closeQuietly(fd);
                }
            }
        }
    }
}
