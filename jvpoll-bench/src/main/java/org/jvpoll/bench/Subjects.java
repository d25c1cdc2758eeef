package org.jvpoll.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.jvpoll.VpollFd;
import org.jvpoll.VpollOp;
import org.jvpoll.channel.SelectableVpoll;
import org.jvpoll.syscall.EventFd;
import org.jvpoll.syscall.Poll;
import org.jvpoll.syscall.Sockets;
import org.jvpoll.syscall.Unistd;
import org.jvpoll.syscall.UnixSockets;

/**
 * What the Java side measures, with the same four changes the C harness ({@code cbench.c}) makes:
 * raise IN, clear IN, SET the mask to IN (from empty), and an ADD of IN while IN is set (changes
 * nothing). {@code java-eventfd} is the floor: one eventfd write or read through FFM.
 */
public final class Subjects {
    private Subjects() {}

    /** Subject names, as they appear in results and in JMH's {@code subject} parameter. */
    public static final String JAVA_EVENTFD = "java-eventfd";
    public static final String EMULATION = "jvpoll-emulation";
    public static final String FUSE = "jvpoll-fuse";
    /**
     * The system calls jvpoll's emulation makes for a change of IN, issued through jvpoll's FFM
     * layer directly on an emulated fd (ctl figures only): what jvpoll adds beyond FFM.
     */
    public static final String JAVA_REPLAY = "java-replay-jvpoll-emulation";

    /** 8 bytes of native memory per thread for the raw subjects' system calls (as jvpoll's backends keep). */
    private static final ThreadLocal<MemorySegment> SCRATCH = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(8));

    /** One fd of a subject. */
    public interface Handle extends AutoCloseable {
        int fd();

        void add() throws IOException;

        void del() throws IOException;

        void set() throws IOException;

        void noChange() throws IOException;

        /** @return a selectable channel of this fd (for the Selector path) */
        java.nio.channels.SelectableChannel channel() throws IOException;

        @Override
        void close();
    }

    /** @return a new fd of {@code subject}, IN clear */
    public static Handle open(String subject) throws IOException {
        return switch (subject) {
            case JAVA_EVENTFD -> new EventFdHandle();
            case EMULATION -> new VpollHandle(VpollFd.create(0, VpollFd.Options.DEFAULT.backend(Backend.EMULATION)));
            case FUSE -> new VpollHandle(VpollFd.create(0, VpollFd.Options.DEFAULT.backend(Backend.FUSE)));
            case JAVA_REPLAY -> new ReplayHandle();
            default -> throw new IllegalArgumentException("subject \"" + subject + "\": expected "
                    + JAVA_EVENTFD + ", " + EMULATION + " or " + FUSE);
        };
    }

    /** @return whether {@code subject} can run here, or why not */
    public static String unavailableReason(String subject) {
        if (subject.equals(FUSE) && !Backend.FUSE.isAvailable()) {
            return Backend.FUSE.availability().toString();
        }
        return null;
    }

    static final class VpollHandle implements Handle {
        private final VpollFd vfd;

        VpollHandle(VpollFd vfd) {
            this.vfd = vfd;
        }

        public int fd() {
            return vfd.fd();
        }

        public void add() throws IOException {
            vfd.add(Events.IN);
        }

        public void del() throws IOException {
            vfd.delete(Events.IN);
        }

        public void set() throws IOException {
            vfd.set(Events.IN);
        }

        public void noChange() throws IOException {
            vfd.add(Events.IN);
        }

        public java.nio.channels.SelectableChannel channel() throws IOException {
            return vfd.channel();
        }

        public void close() {
            vfd.close();
        }
    }

    /**
     * The emulation's system calls for a change of IN made through jvpoll's FFM layer directly, on
     * a socket pair set up as the emulation sets up its own (B sends a byte, A reads it back).
     */
    static final class ReplayHandle implements Handle {
        private static final MemorySegment BYTES = Arena.global().allocate(16);
        private final int a;
        private final int b;

        ReplayHandle() throws IOException {
            MemorySegment pair = SCRATCH.get();
            UnixSockets.socketpair(Sockets.SOCK_STREAM | Sockets.SOCK_CLOEXEC, pair);
            a = pair.getAtIndex(ValueLayout.JAVA_INT, 0);
            b = pair.getAtIndex(ValueLayout.JAVA_INT, 1);
            MemorySegment filler = Arena.ofAuto().allocate(1024);
            Sockets.send(a, filler, 1024, Sockets.MSG_DONTWAIT, "send(filler)");
            Sockets.setInt(a, Sockets.SOL_SOCKET, Sockets.SO_SNDBUF, 1, SCRATCH.get(), "SO_SNDBUF");
        }

        public int fd() {
            return a;
        }

        public void add() throws IOException {
            Sockets.send(b, BYTES, 1, Sockets.MSG_DONTWAIT, "send(IN byte)");
        }

        public void del() throws IOException {
            Sockets.recv(a, BYTES, 16, Sockets.MSG_DONTWAIT, "recv(IN bytes)");
        }

        public void set() throws IOException {
            add();
        }

        public void noChange() throws IOException {
            add();
        }

        public java.nio.channels.SelectableChannel channel() {
            throw new UnsupportedOperationException("the replay subject is measured for ctl costs only");
        }

        public void close() {
            Unistd.closeQuietly(b);
            Unistd.closeQuietly(a);
        }
    }

    /** A raw eventfd: write 1 raises IN, read clears it. */
    static final class EventFdHandle implements Handle {
        private final EventFdFile file = new EventFdFile();
        private final int fd = file.fd();
        private SelectableVpoll selectable;

        EventFdHandle() throws IOException {}

        public int fd() {
            return fd;
        }

        public void add() throws IOException {
            MemorySegment u64 = SCRATCH.get();
            u64.set(ValueLayout.JAVA_LONG, 0, 1);
            Unistd.write(fd, u64, 8, "write(eventfd)");
        }

        public void del() throws IOException {
            Unistd.read(fd, SCRATCH.get(), 8, "read(eventfd)");
        }

        public void set() throws IOException {
            add();
        }

        public void noChange() throws IOException {
            add();
        }

        public java.nio.channels.SelectableChannel channel() throws IOException {
            if (selectable == null) {
                selectable = SelectableVpoll.open(file);
            }
            return selectable.channel();
        }

        @Override
        public void close() {
            if (selectable != null) {
                try {
                    selectable.close();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            file.close();
        }
    }
}
