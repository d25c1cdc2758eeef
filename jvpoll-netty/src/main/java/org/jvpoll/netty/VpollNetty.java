package org.jvpoll.netty;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.Objects;

import io.netty.channel.IoEventLoop;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.nio.NioIoHandle;
import io.netty.util.concurrent.Future;

import org.jvpoll.VpollFd;

/**
 * Registers vpoll fds on Netty 4.2 event loops, next to Netty's own channels.
 *
 * <pre>{@code
 * IoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
 * VpollFd vfd = VpollFd.create(0);
 * VpollRegistration reg = VpollNetty.register(group.next(), vfd, Events.IN,
 *         (r, events) -> { ... r.vpollFd().delete(Events.IN); }).sync().getNow();
 * vfd.add(Events.IN);                 // from any thread: the listener runs on the loop
 * reg.close().sync();                 // deregisters, then closes vfd
 * }</pre>
 *
 * <p><b>Epoll transport</b> ({@code EpollIoHandler}): the fd is added to Netty's epoll set,
 * level-triggered, and the listener gets epoll's full mask: IN, OUT, PRI, RDHUP as asked for,
 * ERR and HUP always.
 *
 * <p><b>NIO transport</b> ({@code NioIoHandler}): {@link VpollFd#channel()} is registered through
 * Netty's {@code NioSelectableChannelIoHandle}, after {@code configureBlocking(false)} (which sets
 * O_NONBLOCK on the open file description that {@link VpollFd#fd()} shares). The JDK Selector
 * knows only OP_READ (IN) and OP_WRITE (OUT): it never watches PRI or RDHUP and reports ERR or
 * HUP as every interest op ready, so the listener gets IN and/or OUT only; read
 * {@link VpollFd#events()} for the exact mask.
 */
public final class VpollNetty {
    private VpollNetty() {}

    /**
     * Registers {@code vfd} on {@code loop}, watching {@code interest}.
     *
     * <p>If this method throws, nothing was registered and the caller still owns {@code vfd}.
     * Once it returns, the registration owns {@code vfd}: if Netty then fails to register it,
     * the vpoll fd is closed and the future fails with Netty's cause.
     *
     * @param loop     a Netty 4.2 event loop built with {@code NioIoHandler} or {@code EpollIoHandler}
     * @param vfd      an open vpoll fd, not registered elsewhere
     * @param interest the events to watch; see {@link VpollRegistration#interest(int)}
     * @param listener called on the loop's thread with the ready events
     * @return completes with the registration once the loop has registered the fd
     * @throws IllegalArgumentException if the loop's IoHandler is neither NIO nor epoll, or
     *                                  {@code interest} has bits the transport cannot watch
     * @throws IllegalStateException    if the loop is shutting down
     * @throws ClosedChannelException   if {@code vfd} is closed
     * @throws IOException              if making the NIO channel of {@code vfd} fails
     */
    public static Future<VpollRegistration> register(IoEventLoop loop, VpollFd vfd, int interest,
                                                     VpollListener listener) throws IOException {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(vfd, "vfd");
        Objects.requireNonNull(listener, "listener");
        Transport transport;
        if (loop.isCompatible(EpollIoHandle.class)) {
            transport = Transport.EPOLL;
        } else if (loop.isCompatible(NioIoHandle.class)) {
            transport = Transport.NIO;
        } else {
            throw new IllegalArgumentException("loop " + loop + " takes neither epoll nor NIO handles;"
                    + " jvpoll-netty supports Netty's EpollIoHandler and NioIoHandler");
        }
        transport.requireValidInterest(interest);
        if (loop.isShuttingDown()) {
            throw new IllegalStateException("event loop " + loop + " is shutting down");
        }
        if (!vfd.isOpen()) {
            throw new ClosedChannelException();
        }
        return new LoopRegistration(loop, vfd, interest, listener, transport).register();
    }
}
