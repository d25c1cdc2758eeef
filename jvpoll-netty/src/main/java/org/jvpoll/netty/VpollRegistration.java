package org.jvpoll.netty;

import io.netty.channel.IoEventLoop;
import io.netty.util.concurrent.Future;

import org.jvpoll.VpollFd;

/**
 * A vpoll fd registered on a Netty {@link IoEventLoop} by {@link VpollNetty#register}. It owns
 * the {@link VpollFd}: close this registration, not the fd. Methods may be called from any thread.
 */
public interface VpollRegistration {

    /** @return the registered vpoll fd (set its events from any thread; do not close it directly) */
    VpollFd vpollFd();

    /** @return the event loop the fd is registered on, whose thread runs the listener */
    IoEventLoop eventLoop();

    /** @return the current interest set, {@link org.jvpoll.Events} bits */
    int interest();

    /**
     * Replaces the interest set; takes effect on the event loop (at once when called there).
     *
     * @param events the new interest: on the epoll transport a non-empty subset of IN, OUT, PRI and
     *               RDHUP (epoll reports ERR and HUP anyway); on the NIO transport a subset of IN
     *               and OUT
     * @throws IllegalArgumentException naming the bits the transport cannot watch
     * @throws IllegalStateException    if the registration is closed
     */
    void interest(int events);

    /** @return false once {@link #close()} was called (or the event loop shut down) */
    boolean isOpen();

    /**
     * Cancels the registration on the event loop and then closes the vpoll fd, exactly once; later
     * calls return the same future. On the epoll transport the fd is closed only after Netty
     * has removed it from its epoll set and its fd map (EPOLL_CTL_DEL), so Netty never holds a
     * descriptor number the kernel could hand out again. No listener call starts once this
     * method has returned (one already running on the loop finishes).
     *
     * @return completes when the vpoll fd is closed (on the loop, or after its termination if the
     *         loop was shutting down)
     */
    Future<Void> close();
}
