package org.jvpoll.examples;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;

import org.jvpoll.Events;
import org.jvpoll.VpollFd;

/**
 * One end of an in-process, message-oriented "socket" pair whose readiness is a vpoll fd, with the
 * blocking API of a thread-per-connection server: {@link #read()} and {@link #write} wait with
 * {@link VpollFd#await}, which parks a virtual thread instead of blocking its carrier.
 *
 * <ul>
 * <li>IN on this end's fd: a message from the peer is waiting (or the peer closed: HUP).</li>
 * <li>OUT on this end's fd: the peer's inbox has room for a message.</li>
 * </ul>
 * Because readiness is a real descriptor, the same end can also be watched by epoll, poll,
 * select, a Selector or native code, next to real sockets.
 */
public final class BlockingUserSocket implements AutoCloseable {
    private final VpollFd vfd;
    private final int capacity;
    private final ArrayDeque<String> inbox = new ArrayDeque<>();
    /** Guards both ends' queues and flags (one lock per pair: the event changes follow the queues). */
    private final Object lock;
    private BlockingUserSocket peer;
    private boolean closed;

    private BlockingUserSocket(Object lock, int capacity) throws IOException {
        this.lock = lock;
        this.capacity = capacity;
        this.vfd = VpollFd.create(Events.OUT);
    }

    /**
     * @param capacity how many unread messages each end's inbox holds before writers wait
     * @return two connected ends
     */
    public static BlockingUserSocket[] pair(int capacity) throws IOException {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity " + capacity + ": must be at least 1");
        }
        Object lock = new Object();
        BlockingUserSocket a = new BlockingUserSocket(lock, capacity);
        BlockingUserSocket b;
        try {
            b = new BlockingUserSocket(lock, capacity);
        } catch (IOException e) {
            a.close();
            throw e;
        }
        a.peer = b;
        b.peer = a;
        return new BlockingUserSocket[] {a, b};
    }

    /** @return the vpoll fd number carrying this end's readiness, for epoll/poll/select or native code */
    public int readinessFd() {
        return vfd.fd();
    }

    /** @return the events pending on this end's readiness fd (IN, OUT, HUP) */
    public int events() throws IOException {
        return vfd.events();
    }

    /**
     * Waits for the next message from the peer.
     *
     * @return the message, or null once the peer has closed and every message was read
     * @throws ClosedChannelException if this end is closed (also while waiting)
     */
    public String read() throws IOException {
        for (;;) {
            synchronized (lock) {
                if (closed) {
                    throw new ClosedChannelException();
                }
                String m = inbox.poll();
                if (m != null) {
                    if (inbox.isEmpty() && !peer.closed) {
                        vfd.delete(Events.IN);
                    }
                    if (inbox.size() == capacity - 1 && !peer.closed) {
                        peer.vfd.add(Events.OUT); // the peer may write again
                    }
                    return m;
                }
                if (peer.closed) {
                    return null;
                }
            }
            vfd.await(Events.IN, null); // HUP also ends it; the loop above decides
        }
    }

    /**
     * Sends {@code message} to the peer, waiting while its inbox is full.
     *
     * @throws ClosedChannelException if this end is closed
     * @throws IOException "peer closed" if the peer has closed (nothing is sent)
     */
    public void write(String message) throws IOException {
        for (;;) {
            synchronized (lock) {
                if (closed) {
                    throw new ClosedChannelException();
                }
                if (peer.closed) {
                    throw new IOException("peer closed");
                }
                if (peer.inbox.size() < capacity) {
                    peer.inbox.add(message);
                    peer.vfd.add(Events.IN);
                    if (peer.inbox.size() == capacity) {
                        vfd.delete(Events.OUT);
                    }
                    return;
                }
            }
            vfd.await(Events.OUT, null);
        }
    }

    /** Closes this end: its waiters get ClosedChannelException, the peer sees HUP and then EOF. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            if (peer != null && !peer.closed) {
                try {
                    peer.vfd.add(Events.HUP | Events.IN); // wakes the peer's readers and writers
                } catch (IOException e) {
                    // the peer's fd is closing too; its own close wakes its waiters
                }
            }
        }
        vfd.close();
    }
}
