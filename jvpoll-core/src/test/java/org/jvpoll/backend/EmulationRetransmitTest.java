package org.jvpoll.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.jvpoll.Backend;
import org.jvpoll.VpollFd;
import org.jvpoll.syscall.Sockets;

/**
 * With OUT clear, A's filler must wait behind B's closed window, not be sent into B's tiny
 * buffer and dropped: that made TCP retransmit it (RTO backoff, for as long as the fd lived), a
 * background cost of every such fd. Counted per socket with TCP_INFO, so other processes on the
 * machine do not matter.
 */
class EmulationRetransmitTest {
    private static final int TCP_INFO = 11;
    /** struct tcp_info: 8 bytes of u8 fields, then u32 fields; tcpi_total_retrans is the 24th. */
    private static final long TOTAL_RETRANS_OFFSET = 8 + 4 * 23;
    private static final MethodHandle GETSOCKOPT = getsockopt();

    @SuppressWarnings("restricted")
    private static MethodHandle getsockopt() {
        Linker linker = Linker.nativeLinker();
        return linker.downcallHandle(linker.defaultLookup().find("getsockopt").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    }

    private static int totalRetransmits(int fd) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(256);
            MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
            len.set(ValueLayout.JAVA_INT, 0, 256);
            int rc = (int) GETSOCKOPT.invokeExact(fd, Sockets.IPPROTO_TCP, TCP_INFO, info, len);
            assertEquals(0, rc, "getsockopt(TCP_INFO)");
            return info.get(ValueLayout.JAVA_INT, TOTAL_RETRANS_OFFSET);
        }
    }

    @Test
    void fdsWithOutClearRetransmitNothing() throws Throwable {
        List<VpollFd> fds = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                fds.add(VpollFd.create(0, VpollFd.Options.DEFAULT.backend(Backend.EMULATION)));
            }
            Thread.sleep(1000); // the minimum RTO is 200 ms: several retransmits would have happened
            for (VpollFd vfd : fds) {
                assertEquals(0, totalRetransmits(vfd.fd()), "TCP retransmits of vpoll fd " + vfd.fd());
            }
        } finally {
            fds.forEach(VpollFd::close);
        }
    }
}
