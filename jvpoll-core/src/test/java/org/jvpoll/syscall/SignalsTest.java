package org.jvpoll.syscall;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.Test;

/** struct signalfd_siginfo's accessors on a real signal, read from a signalfd. */
class SignalsTest {
    /** SIGURG: ignored by default, so a stray delivery could not end the test JVM. */
    private static final int SIGURG = 23;

    @Test
    void aSignalfdReadGivesTheSignalAndTheSendingProcess() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment set = arena.allocate(Signals.SIGSET_SIZE);
            MemorySegment old = arena.allocate(Signals.SIGSET_SIZE);
            Signals.setMask(set, 1L << (SIGURG - 1));
            Signals.pthreadSigmask(Signals.SIG_BLOCK, set, old);
            int fd = -1;
            try {
                fd = Signals.signalfd(-1, set, Signals.SFD_CLOEXEC | Signals.SFD_NONBLOCK);
                Signals.tgkill(Signals.gettid(), SIGURG);
                MemorySegment info = arena.allocate(Signals.SIGNALFD_SIGINFO);
                assertEquals(Signals.SIGINFO_SIZE, Unistd.read(fd, info, Signals.SIGINFO_SIZE, "read(signalfd)"));
                assertEquals(SIGURG, Signals.signo(info));
                assertEquals(Signals.getpid(), Signals.senderPid(info));
                assertEquals(Syscall.WOULD_BLOCK, Unistd.read(fd, info, Signals.SIGINFO_SIZE, "read(signalfd)"),
                        "one signal, one siginfo");
            } finally {
                if (fd >= 0) {
                    Unistd.closeQuietly(fd);
                }
                Signals.pthreadSigmask(Signals.SIG_SETMASK, old, MemorySegment.NULL);
            }
        }
    }
}
