package org.jvpoll.netty;

import java.io.IOException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoHandle;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.nio.NioSelectableChannelIoHandle;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.netty.util.concurrent.Promise;

import org.jvpoll.Events;
import org.jvpoll.VpollFd;

/**
 * One vpoll fd on one event loop. The close protocol: {@link #close()} (any thread) only marks the
 * registration closed and hands {@link #releaseOnLoop()} to the loop, which cancels Netty's
 * registration (for epoll: EPOLL_CTL_DEL and removal from Netty's fd map, done synchronously
 * because it runs on the loop) and only then closes the vpoll fd. Netty itself calls the
 * handle's {@code close()} on the loop when it shuts down, which ends in the same method.
 */
final class LoopRegistration implements VpollRegistration {
    private static final System.Logger LOG = System.getLogger("org.jvpoll.netty");

    private final IoEventLoop loop;
    private final VpollFd vfd;
    private final VpollListener listener;
    private final Transport transport;
    private final IoHandle handle;
    /** Our view of vfd's number for Netty's epoll map; never closed by Netty (null for NIO). */
    private final BorrowedFd borrowedFd;
    // Both complete on the thread that completes them (the loop), whose executor may be gone by then.
    private final Promise<VpollRegistration> registered = ImmediateEventExecutor.INSTANCE.newPromise();
    private final Promise<Void> closed = ImmediateEventExecutor.INSTANCE.newPromise();
    private final AtomicBoolean closeRequested = new AtomicBoolean();
    private volatile int interest;

    // Written on the loop; volatile because releaseAfterTermination reads them from another thread.
    private volatile IoRegistration ioRegistration;
    /** Netty's register future has completed (successfully or not). */
    private volatile boolean resolved;
    /** Set by whichever path closes the vpoll fd; that path does so once. */
    private final AtomicBoolean released = new AtomicBoolean();
    /**
     * Netty does not always close its handles when a loop ends (with a zero quiet period it can
     * stop without a last prepareToDestroy), so the loop's termination closes the vpoll fd too.
     */
    private final GenericFutureListener<Future<Object>> onLoopTerminated = done -> releaseAfterTermination();

    LoopRegistration(IoEventLoop loop, VpollFd vfd, int interest, VpollListener listener, Transport transport)
            throws IOException {
        this.loop = loop;
        this.vfd = vfd;
        this.interest = interest;
        this.listener = listener;
        this.transport = transport;
        if (transport == Transport.EPOLL) {
            borrowedFd = new BorrowedFd(vfd.fd());
            handle = new EpollHandle();
        } else {
            borrowedFd = null;
            SelectableChannel channel = vfd.channel();
            channel.configureBlocking(false); // a Selector takes only non-blocking channels
            handle = new NioHandle(channel);
        }
    }

    @SuppressWarnings("unchecked")
    Future<VpollRegistration> register() {
        ((Future<Object>) loop.terminationFuture()).addListener(onLoopTerminated);
        Future<IoRegistration> f;
        try {
            f = loop.register(handle);
        } catch (RejectedExecutionException e) {
            resolved = true;
            releaseOnLoop(); // never reached Netty: nothing holds the number
            registered.setFailure(e);
            return registered;
        }
        f.addListener(done -> {
            if (done.isSuccess()) {
                onRegistered(f.getNow());
            } else {
                resolved = true;
                releaseOnLoop();
                registered.tryFailure(done.cause());
            }
        });
        return registered;
    }

    /** On the loop: Netty has registered the handle; arm the interest set. */
    private void onRegistered(IoRegistration r) {
        ioRegistration = r;
        resolved = true;
        if (closeRequested.get()) { // the loop began shutting down in between
            releaseOnLoop();
            registered.trySuccess(this);
            return;
        }
        try {
            r.submit(transport.ops(interest)); // epoll: EPOLL_CTL_ADD
        } catch (RuntimeException e) {
            closeRequested.set(true);
            releaseOnLoop();
            registered.tryFailure(e);
            return;
        }
        registered.trySuccess(this);
    }

    /** On the loop: cancel Netty's registration, then close the vpoll fd; once. */
    private void releaseOnLoop() {
        closeRequested.set(true);
        if (!resolved || !released.compareAndSet(false, true)) {
            return; // onRegistered finishes it; or it is done
        }
        try {
            IoRegistration r = ioRegistration;
            if (r != null) {
                r.cancel(); // epoll, on the loop: EPOLL_CTL_DEL and map removal happen now
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cancelling the Netty registration of " + vfd + " failed", e);
        } finally {
            closeVpollFd();
        }
    }

    /** After the loop terminated (its epoll set or selector is gone): close what is still open. */
    private void releaseAfterTermination() {
        closeRequested.set(true);
        if (released.compareAndSet(false, true)) {
            closeVpollFd();
        }
    }

    @SuppressWarnings("unchecked")
    private void closeVpollFd() {
        try {
            if (borrowedFd != null) {
                borrowedFd.released();
            }
            vfd.close();
        } finally {
            closed.trySuccess(null);
            ((Future<Object>) loop.terminationFuture()).removeListener(onLoopTerminated);
        }
    }

    private void deliver(int events) {
        if (events == 0 || closeRequested.get()) {
            return;
        }
        try {
            listener.onEvents(this, events);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "listener of " + vfd + " threw on " + Events.toString(events), e);
        }
    }

    @Override
    public VpollFd vpollFd() {
        return vfd;
    }

    @Override
    public IoEventLoop eventLoop() {
        return loop;
    }

    @Override
    public int interest() {
        return interest;
    }

    @Override
    public void interest(int events) {
        transport.requireValidInterest(events);
        if (closeRequested.get()) {
            throw new IllegalStateException("registration of " + vfd + " is closed");
        }
        interest = events;
        if (loop.inEventLoop()) {
            submitInterest();
        } else {
            loop.execute(this::submitInterest);
        }
    }

    private void submitInterest() {
        IoRegistration r = ioRegistration;
        if (r != null && !closeRequested.get()) {
            r.submit(transport.ops(interest));
        }
    }

    @Override
    public boolean isOpen() {
        return !closeRequested.get();
    }

    @Override
    public Future<Void> close() {
        if (closeRequested.compareAndSet(false, true)) {
            if (loop.inEventLoop()) {
                releaseOnLoop();
            } else {
                try {
                    loop.execute(this::releaseOnLoop);
                } catch (RejectedExecutionException e) {
                    // Shutting down: the loop's termination (which removes its epoll set or
                    // selector) closes the vpoll fd, see onLoopTerminated.
                }
            }
        }
        return closed;
    }

    @Override
    public String toString() {
        return "VpollRegistration[" + vfd + ", " + transport.name().toLowerCase(java.util.Locale.ROOT)
                + ", interest=" + Events.toString(interest) + (isOpen() ? "" : ", closed") + "]";
    }

    /** The vpoll fd's number as Netty's epoll transport wants it; Netty must never close it. */
    private static final class BorrowedFd extends FileDescriptor {
        BorrowedFd(int fd) {
            super(fd);
        }

        @Override
        public void close() {
            throw new UnsupportedOperationException("fd " + intValue()
                    + " belongs to a VpollFd; close its VpollRegistration instead");
        }

        void released() {
            markClosed();
        }
    }

    private final class EpollHandle implements EpollIoHandle {
        @Override
        public FileDescriptor fd() {
            return borrowedFd;
        }

        @Override
        public void handle(IoRegistration registration, IoEvent event) {
            deliver(((EpollIoEvent) event).ops().value());
        }

        @Override
        public void close() {
            releaseOnLoop(); // Netty shutting the loop down, after it cancelled the registration
        }
    }

    private final class NioHandle extends NioSelectableChannelIoHandle<SelectableChannel> {
        NioHandle(SelectableChannel channel) {
            super(channel);
        }

        @Override
        protected void handle(SelectableChannel channel, SelectionKey key) {
            if (key.isValid()) {
                deliver(Transport.nioEvents(key.readyOps()));
            }
        }

        @Override
        public void close() {
            releaseOnLoop(); // Netty shutting the loop down, after it cancelled the key
        }
    }
}
