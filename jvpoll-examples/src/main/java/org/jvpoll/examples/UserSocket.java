package org.jvpoll.examples;

import java.io.IOException;
import java.nio.channels.SelectableChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import org.jvpoll.Events;
import org.jvpoll.VpollFd;

/**
 * A user-level "socket" living inside the process: an application thread and a selector loop
 * exchange messages through two bounded queues, and a vpoll fd carries the readiness, so the
 * loop selects it next to real sockets.
 *
 * <ul>
 * <li>IN: the application has sent messages the loop has not received yet.</li>
 * <li>OUT: the application's inbox has room for a message from the loop.</li>
 * </ul>
 * Each queue change and its event change happen under one lock, so the events always match the
 * queues.
 */
public final class UserSocket implements AutoCloseable {
    private final VpollFd vfd;
    private final int capacity;
    private final ArrayDeque<String> toLoop = new ArrayDeque<>();
    private final ArrayDeque<String> inbox = new ArrayDeque<>();

    /** @param capacity how many delivered messages the application's inbox holds */
    public UserSocket(int capacity) throws IOException {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity " + capacity + ": must be at least 1");
        }
        this.capacity = capacity;
        this.vfd = VpollFd.create(Events.OUT);
    }

    /** @return the channel to register with the loop's selector (non-blocking) */
    public SelectableChannel channel() throws IOException {
        return vfd.channel().configureBlocking(false);
    }

    // -- application side --

    /** Sends a message to the loop; the loop's selector sees OP_READ. */
    public synchronized void send(String message) throws IOException {
        toLoop.add(message);
        vfd.add(Events.IN);
    }

    /**
     * Takes the next message the loop delivered, waiting up to {@code timeoutMillis}.
     *
     * @return the message, or null on timeout
     */
    public synchronized String take(long timeoutMillis) throws IOException, InterruptedException {
        long now = System.currentTimeMillis();
        long deadline = timeoutMillis >= Long.MAX_VALUE - now ? Long.MAX_VALUE : now + timeoutMillis;
        while (inbox.isEmpty()) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                return null;
            }
            wait(left);
        }
        String m = inbox.poll();
        if (inbox.size() == capacity - 1) {
            vfd.add(Events.OUT); // room again
        }
        return m;
    }

    // -- loop side --

    /** @return every message the application sent since the last call; clears IN */
    public synchronized List<String> receive() throws IOException {
        List<String> messages = new ArrayList<>(toLoop);
        toLoop.clear();
        vfd.delete(Events.IN);
        return messages;
    }

    /** Delivers a message to the application. @return false if the inbox is full (OUT is clear) */
    public synchronized boolean deliver(String message) throws IOException {
        if (inbox.size() >= capacity) {
            return false;
        }
        inbox.add(message);
        if (inbox.size() == capacity) {
            vfd.delete(Events.OUT);
        }
        notifyAll();
        return true;
    }

    @Override
    public void close() {
        vfd.close(); // closes the channel too
    }
}
