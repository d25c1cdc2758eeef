package org.jvpoll.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.jvpoll.VpollFd;
import org.jvpoll.VpollOp;
import org.jvpoll.backend.VpollFile;
import org.jvpoll.channel.SelectableVpoll;
import org.jvpoll.syscall.EventFd;
import org.jvpoll.syscall.Poll;
import org.jvpoll.syscall.Sockets;
import org.jvpoll.syscall.Unistd;

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
            case JAVA_REPLAY -> new ReplayHandle(VpollFd.create(0, VpollFd.Options.DEFAULT.backend(Backend.EMULATION)));
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

    /** SO_RCVLOWAT set and cleared on an emulated fd's socket, bypassing jvpoll (ends with IN clear, as jvpoll left it). */
    static final class ReplayHandle implements Handle {
        private final VpollFd vfd;
        private final int fd;
        ReplayHandle(VpollFd vfd) {
            this.vfd = vfd;
            this.fd = vfd.fd();
        }

        public int fd() {
            return fd;
        }

        public void add() throws IOException {
            Sockets.setInt(fd, Sockets.SOL_SOCKET, Sockets.SO_RCVLOWAT, 1, SCRATCH.get(), "SO_RCVLOWAT");
        }

        public void del() throws IOException {
            Sockets.setInt(fd, Sockets.SOL_SOCKET, Sockets.SO_RCVLOWAT, Integer.MAX_VALUE, SCRATCH.get(), "SO_RCVLOWAT");
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
            vfd.close();
        }
    }

    /** A plain eventfd as a vpoll file, so jvpoll's channel path can select on it. */
    static final class EventFdFile extends VpollFile {
        EventFdFile() throws IOException {
            super(EventFd.eventfd(0, EventFd.EFD_CLOEXEC | EventFd.EFD_NONBLOCK));
        }

        @Override
        public Backend backend() {
            return Backend.EVENTFD;
        }

        @Override
        protected int doCtl(int fd, VpollOp op, int events) {
            throw new UnsupportedOperationException("a raw eventfd is written and read directly");
        }

        @Override
        protected int doEvents(int fd) throws IOException {
            return Poll.currentEvents(fd);
        }

        @Override
        protected void releaseDescriptors(int fd) throws IOException {
            Unistd.close(fd);
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
