package org.jvpoll.wait;

import java.io.IOException;
import java.time.Duration;

import org.jvpoll.VpollException;
import org.jvpoll.VpollFd;
import org.jvpoll.park.FdAwait;

/**
 * Waiting for events on one descriptor — a socket, pipe, eventfd, timerfd, tty, an fd from native
 * code or a vpoll fd — that parks a virtual thread instead of blocking its carrier.
 *
 * <pre>{@code
 * Thread.ofVirtual().start(() -> {
 *     int ready = Readiness.await(socketFd, Events.IN | Events.RDHUP, Duration.ofSeconds(30));
 *     if ((ready & Events.IN) != 0) { ... read ... }
 * });
 * }</pre>
 *
 * <p>On a virtual thread an event already pending is returned at once; otherwise the thread is
 * registered once (EPOLLONESHOT, level-triggered) with jvpoll's poller — one platform daemon
 * thread in epoll_wait — and parks until the poller unparks it, the timeout passes or it is
 * interrupted. This is how the JDK waits for its own sockets on virtual threads. On a platform
 * thread it is poll(2) with the timeout. See {@code docs/wait.md} ("Virtual threads").
 */
public final class Readiness {
    private Readiness() {}

    /**
     * Waits until {@code fd} has one of {@code events} pending (or ERR or HUP, always reported).
     *
     * <p>The caller keeps {@code fd} open for the whole await: like poll(2), closing it from
     * another thread does not end the await, and the number might already name another file.
     * For vpoll fds use {@link #await(VpollFd, int, Duration)}, which a close ends.
     * {@link Thread#interrupt()} ends the await of a virtual thread with
     * {@link java.io.InterruptedIOException} (the interrupt status stays set, also if it was set
     * on entry); a platform thread is in poll(2) and keeps waiting (EINTR from a signal handler is
     * retried with the time left).
     *
     * @param fd      an open descriptor
     * @param events  poll events to wait for (poll's 16 bits, not NVAL)
     * @param timeout how long to wait: null waits forever, {@link Duration#ZERO} only looks
     * @return the ready subset of {@code events}, plus ERR and HUP if pending; 0 on timeout
     * @throws IllegalArgumentException if {@code fd} or {@code timeout} is negative, or
     *         {@code events} is 0 or has other bits (named in the message)
     * @throws java.io.InterruptedIOException if a virtual thread was interrupted
     * @throws VpollException EBADF if {@code fd} is not open, EPERM if it cannot be polled (a
     *         regular file, on a virtual thread), or another failing system call
     */
    public static int await(int fd, int events, Duration timeout) throws IOException {
        if (fd < 0) {
            throw new IllegalArgumentException("fd must not be negative: " + fd);
        }
        FdAwait.requireEvents(events);
        return FdAwait.await(fd, events, FdAwait.nanos(timeout), null, true);
    }

    /**
     * The same as {@link VpollFd#await(int, Duration) vpoll.await(events, timeout)}: a close of
     * {@code vpoll} during the await ends it with {@link java.nio.channels.ClosedChannelException}.
     *
     * @param vpoll   the vpoll fd
     * @param events  poll events to wait for
     * @param timeout null waits forever, {@link Duration#ZERO} only looks
     * @return the ready subset of {@code events}, plus ERR and HUP if pending; 0 on timeout
     * @throws java.nio.channels.ClosedChannelException if {@code vpoll} is closed before or during the await
     * @see VpollFd#await(int, Duration)
     */
    public static int await(VpollFd vpoll, int events, Duration timeout) throws IOException {
        java.util.Objects.requireNonNull(vpoll, "vpoll");
        return vpoll.await(events, timeout);
    }
}
