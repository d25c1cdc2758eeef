package org.jvpoll;

import java.io.IOException;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.time.Duration;
import java.util.Objects;

import org.jvpoll.backend.Backends;
import org.jvpoll.backend.VpollBackend;
import org.jvpoll.backend.VpollFile;
import org.jvpoll.channel.SelectableVpoll;
import org.jvpoll.park.FdAwait;

/**
 * A real kernel file descriptor whose pending poll/select/epoll events are set from Java.
 *
 * <pre>{@code
 * try (VpollFd vfd = VpollFd.create(0)) {
 *     int fd = vfd.fd();            // give it to epoll, poll, select, native code ...
 *     vfd.add(Events.IN);           // ... which now sees the fd readable
 *     vfd.delete(Events.IN);
 * }
 * }</pre>
 *
 * <p><b>Threads.</b> Any number of threads may call {@link #add}, {@link #delete}, {@link #set}
 * and {@link #events} concurrently; each change is atomic. {@link #close()} may race with them:
 * a call that started before the close completes on the still-open descriptor, a call that starts
 * after it throws {@link java.nio.channels.ClosedChannelException}, and the kernel descriptor is
 * released only after the last such call, so jvpoll never acts on a recycled fd number. The raw
 * number from {@link #fd()} is not protected that way: code that uses it must not outlive the
 * object.
 *
 * <p><b>Closing.</b> Close every vpoll fd ({@link #close()}, or try-with-resources). One dropped
 * without close is closed by a {@link java.lang.ref.Cleaner} once the garbage collector finds it
 * unreachable, with a warning on the {@code org.jvpoll} {@link System.Logger} naming the fd and
 * its backend — a safety net, as for the JDK's own descriptors: until a GC runs, its descriptors
 * stay open. An open {@link #channel()} keeps its vpoll fd reachable.
 *
 * <p><b>Backends</b> differ in which events they can express; see {@link Backend} and the
 * fidelity table in the docs. A request a backend cannot honour throws
 * {@link UnsupportedEventsException} and changes nothing.
 */
public final class VpollFd implements AutoCloseable {

    /**
     * Creation options: defaults are automatic backend, close-on-exec, blocking, no expected
     * events beyond the initial ones.
     *
     * @param backend        the backend to use, or null to choose automatically ({@link Backend#preferred()})
     * @param closeOnExec    whether the fd is closed across exec (O_CLOEXEC)
     * @param nonBlocking    whether the fd's open file description is O_NONBLOCK
     * @param expectedEvents events the fd will carry at some point of its life besides its initial
     *                       ones: the automatic choice skips backends that cannot carry them (the
     *                       {@link Backend#EMULATION} socket pair gives way to
     *                       {@link Backend#EMULATION_TCP} for PRI or ERR), and a forced backend
     *                       that cannot carry them fails at creation
     */
    public record Options(Backend backend, boolean closeOnExec, boolean nonBlocking, int expectedEvents) {
        /** Automatic backend, close-on-exec, blocking, nothing expected beyond the initial events. */
        public static final Options DEFAULT = new Options(null, true, false, 0);

        /**
         * Checks the expected events.
         *
         * @throws IllegalArgumentException if {@code expectedEvents} has bits outside {@link Events#ALL}
         */
        public Options {
            Events.requireValid("expectedEvents", expectedEvents);
        }

        /**
         * Options without expected events.
         *
         * @param backend     the backend to use, or null to choose automatically
         * @param closeOnExec whether the fd is closed across exec (O_CLOEXEC)
         * @param nonBlocking whether the fd's open file description is O_NONBLOCK
         */
        public Options(Backend backend, boolean closeOnExec, boolean nonBlocking) {
            this(backend, closeOnExec, nonBlocking, 0);
        }

        /**
         * {@return these options with {@code backend} forced}
         *
         * @param backend the backend to force
         */
        public Options backend(Backend backend) {
            return new Options(Objects.requireNonNull(backend, "backend"), closeOnExec, nonBlocking, expectedEvents);
        }

        /**
         * {@return these options with close-on-exec set as given}
         *
         * @param on true to set the flag, false to clear it
         */
        public Options closeOnExec(boolean on) {
            return new Options(backend, on, nonBlocking, expectedEvents);
        }

        /**
         * {@return these options with non-blocking set as given}
         *
         * @param on true to set the flag, false to clear it
         */
        public Options nonBlocking(boolean on) {
            return new Options(backend, closeOnExec, on, expectedEvents);
        }

        /**
         * {@return these options expecting {@code events} (see {@link #expectedEvents()})}
         *
         * @param events the events (poll bits, see {@link org.jvpoll.Events})
         * @throws IllegalArgumentException if {@code events} has bits outside {@link Events#ALL}
         */
        public Options expectedEvents(int events) {
            return new Options(backend, closeOnExec, nonBlocking, events);
        }
    }

    private static final System.Logger LOG = System.getLogger("org.jvpoll");

    private final VpollFile file;
    /** Closes the file if this object is dropped without close; cleaned (deregistered) by close. */
    private final Cleaner.Cleanable reclaim;
    private final Object channelLock = new Object();
    /** The channel view, created by the first {@link #channel()}; guarded by channelLock. */
    private SelectableVpoll selectable;
    /** Set by {@link #close()} before it closes the channel; guarded by channelLock. */
    private boolean closing;

    private VpollFd(VpollFile file) {
        this.file = file;
        this.reclaim = FdReclaimer.register(this, file);
    }

    /**
     * Creates a vpoll fd with default {@link Options}; see {@link #create(int, Options)}.
     *
     * @param initialEvents the events pending from the start
     * @return the new vpoll fd, which the caller closes
     * @throws IOException as {@link #create(int, Options)}
     */
    public static VpollFd create(int initialEvents) throws IOException {
        return create(initialEvents, Options.DEFAULT);
    }

    /**
     * Creates a vpoll fd.
     *
     * @param initialEvents the events pending from the start
     * @param options       backend and flags
     * @return the new vpoll fd, which the caller closes
     * @throws IllegalArgumentException     if {@code initialEvents} has bits outside {@link Events#ALL}
     * @throws UnsupportedEventsException   if the backend cannot produce {@code initialEvents}, or carry
     *                                      the options' expected events
     * @throws BackendUnavailableException  if a forced backend is missing here
     * @throws VpollException               if a system call fails (errno attached); nothing is left open
     */
    public static VpollFd create(int initialEvents, Options options) throws IOException {
        Objects.requireNonNull(options, "options");
        Events.requireValid("initialEvents", initialEvents);
        int needs = initialEvents | options.expectedEvents();
        Backend backend = options.backend() != null ? options.backend() : Backend.preferredFor(needs);
        VpollBackend impl = Backends.get(backend);
        int uncarried = options.expectedEvents() & ~impl.carriedEvents();
        if (uncarried != 0) {
            throw new UnsupportedEventsException(backend, uncarried,
                    "carry these expected events on their own (see the fidelity table; Backend.EMULATION_TCP "
                            + "carries PRI and ERR)");
        }
        return new VpollFd(impl.create(initialEvents, options.closeOnExec(), options.nonBlocking()));
    }

    /**
     * Adds {@code events} to the pending set: {@link #ctl ctl}({@link VpollOp#ADD}, events).
     *
     * @param events the events, bits of {@link Events#ALL}
     * @return the new pending set
     * @throws IllegalArgumentException   if {@code events} has bits outside {@link Events#ALL}
     * @throws UnsupportedEventsException if the backend cannot make this change (nothing changed)
     * @throws java.nio.channels.ClosedChannelException if the fd is closed
     * @throws VpollException             if a system call fails
     * @throws IOException                as listed above (the common supertype)
     */
    public int add(int events) throws IOException {
        return ctl(VpollOp.ADD, events);
    }

    /**
     * Removes {@code events} from the pending set: {@link #ctl ctl}({@link VpollOp#DELETE}, events).
     *
     * @param events the events, bits of {@link Events#ALL}
     * @return the new pending set
     * @throws IllegalArgumentException   if {@code events} has bits outside {@link Events#ALL}
     * @throws UnsupportedEventsException if the backend cannot make this change (nothing changed)
     * @throws java.nio.channels.ClosedChannelException if the fd is closed
     * @throws VpollException             if a system call fails
     * @throws IOException                as listed above (the common supertype)
     */
    public int delete(int events) throws IOException {
        return ctl(VpollOp.DELETE, events);
    }

    /**
     * Replaces the pending set with {@code events}: {@link #ctl ctl}({@link VpollOp#SET}, events).
     *
     * @param events the events, bits of {@link Events#ALL}
     * @return the new pending set
     * @throws IllegalArgumentException   if {@code events} has bits outside {@link Events#ALL}
     * @throws UnsupportedEventsException if the backend cannot make this change (nothing changed)
     * @throws java.nio.channels.ClosedChannelException if the fd is closed
     * @throws VpollException             if a system call fails
     * @throws IOException                as listed above (the common supertype)
     */
    public int set(int events) throws IOException {
        return ctl(VpollOp.SET, events);
    }

    /**
     * Applies {@code op} with {@code events}; every change wakes the fd's waiters, as the kernel
     * module does (the emulation backend can do so only while IN or OUT is pending).
     *
     * @param op     ADD, DELETE or SET
     * @param events the events, bits of {@link Events#ALL}
     * @return the new pending set, as poll would report it with every bit requested
     * @throws IllegalArgumentException   if {@code events} has bits outside {@link Events#ALL}
     * @throws UnsupportedEventsException if the backend cannot make this change (nothing changed)
     * @throws java.nio.channels.ClosedChannelException if the fd is closed
     * @throws VpollException             if a system call fails
     * @throws IOException                as listed above (the common supertype)
     */
    public int ctl(VpollOp op, int events) throws IOException {
        Objects.requireNonNull(op, "op");
        Events.requireValid("events", events);
        try {
            return file.ctl(op, events);
        } finally {
            Reference.reachabilityFence(this); // no Cleaner close while the call runs
        }
    }

    /**
     * {@return the pending set, as poll would report it with every bit requested}
     *
     * @throws java.nio.channels.ClosedChannelException if the fd is closed
     */
    public int events() throws IOException {
        try {
            return file.events();
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Waits until this fd has one of {@code events} pending (or ERR or HUP, which are always
     * reported, as poll(2) does), the timeout passes, or the fd is closed.
     *
     * <p><b>Virtual threads</b> park instead of blocking their carrier: an event already pending
     * is returned at once, otherwise the thread is registered (one-shot) with jvpoll's poller
     * thread, which unparks it when the fd becomes ready — the design the JDK uses for its own
     * sockets. Any number of threads may await the same fd. {@link Thread#interrupt()} ends the
     * await with {@link java.io.InterruptedIOException} and leaves the interrupt status set
     * (also when the status was set on entry); the fd stays open. <b>Platform threads</b> block
     * in poll(2) (a signal handler's EINTR is retried with the time left); an interrupt does not
     * end their await (the status stays set): use a timeout or {@link #close()}.
     *
     * <p>A change made before the await registers is never missed (the registration is
     * level-triggered). {@link #close()} from another thread ends the await with
     * {@link ClosedChannelException}; the descriptor is released only after the await has let go
     * of it. The answer is the state the kernel reported at the wake-up: another thread may change
     * the events again before the caller looks.
     *
     * @param events  poll events to wait for (IN, PRI, OUT, RDHUP, ...: poll's 16 bits, not NVAL)
     * @param timeout how long to wait: null waits forever, {@link Duration#ZERO} only looks
     * @return the ready subset of {@code events}, plus ERR and HUP if pending; 0 on timeout
     * @throws IllegalArgumentException if {@code events} is 0 or has bits outside poll's 16 (or
     *         NVAL), naming them, or {@code timeout} is negative
     * @throws ClosedChannelException if the fd is closed before or during the await
     * @throws java.io.InterruptedIOException if a virtual thread was interrupted
     * @throws VpollException if a system call fails (errno attached)
     */
    public int await(int events, Duration timeout) throws IOException {
        FdAwait.requireEvents(events);
        long nanos = FdAwait.nanos(timeout);
        try {
            return file.withPinnedFd("await", fd -> FdAwait.await(fd, events, nanos, file, true));
        } finally {
            Reference.reachabilityFence(this); // a dropped fd must not be reclaimed under its own await
        }
    }

    /**
     * {@return the kernel descriptor number, valid until {@link #close()}; -1 once closed, so a
     *         stale number (which the kernel may already have given to another file) is never
     *         handed out after the close}
     */
    public int fd() {
        return file.isOpen() ? file.fd() : -1;
    }

    /** The backend's file, for {@link VpollBatch}. */
    VpollFile file() {
        return file;
    }

    /** {@return the backend serving this fd} */
    public Backend backend() {
        return file.backend();
    }

    /** {@return false once {@link #close()} has been called} */
    public boolean isOpen() {
        return file.isOpen();
    }

    /**
     * This fd as a {@link SelectableChannel} of the JDK's default {@link
     * java.nio.channels.spi.SelectorProvider}: register it with any {@code Selector.open()}
     * selector, next to socket, server-socket, datagram and pipe channels, for
     * {@link java.nio.channels.SelectionKey#OP_READ OP_READ} (the fd has IN) and
     * {@link java.nio.channels.SelectionKey#OP_WRITE OP_WRITE} (OUT). ERR or HUP make every
     * interest op ready; PRI and RDHUP alone select nothing: read {@link #events()} for the exact
     * mask. The channel has no read or write methods; docs/selector.md has the full mapping.
     *
     * <p>Created on the first call (from the JDK module jdk.net's
     * {@code jdk.nio.Channels.readWriteSelectableChannel}, on a second descriptor for this fd's
     * open file description, with this fd's close-on-exec flag); later calls return the same
     * channel. Like every new channel it starts in blocking mode: {@code configureBlocking(false)}
     * sets O_NONBLOCK on the open file description, which {@link #fd()} shares.
     *
     * <p>The channel and this object have one lifetime: closing either closes both, once. A
     * channel closed while registered keeps its second descriptor until its selectors have
     * deregistered it (their next select), as JDK channels do; no fd number is ever closed twice
     * or after reuse, also when another thread is inside {@code select()}.
     *
     * @return the channel view of this fd (the same one on every call)
     * @throws ClosedChannelException if this fd (or its channel) is closed
     * @throws UnsupportedOperationException if the default SelectorProvider is not the JDK's
     * @throws VpollException if a system call fails (errno attached); nothing is left open
     */
    public SelectableChannel channel() throws IOException {
        synchronized (channelLock) {
            if (closing || !file.isOpen()) {
                throw file.closed("channel()");
            }
            if (selectable == null) {
                selectable = SelectableVpoll.open(file, this);
            }
            return selectable.channel();
        }
    }

    /**
     * Closes the fd and everything the backend holds for it, and its {@link #channel()} if one
     * was made; later calls do nothing.
     */
    @Override
    public void close() {
        SelectableVpoll s;
        synchronized (channelLock) {
            closing = true;
            s = selectable;
        }
        if (s != null) {
            try {
                s.close(); // cancels its keys first, then closes the file
            } catch (IOException e) {
                // Only close(2) of the JDK's descriptor can fail here, which means it was already
                // gone: a bug worth a loud log, with no caller that could act on it.
                LOG.log(System.Logger.Level.WARNING, "closing the channel of vpoll fd " + file.fd() + " failed", e);
            }
        }
        file.close();
        reclaim.clean(); // deregisters; the action finds the file closed and does nothing
    }

    @Override
    public String toString() {
        return "VpollFd[fd=" + file.fd() + ", backend=" + file.backend().id()
                + (file.isOpen() ? "" : ", closed") + "]";
    }
}
