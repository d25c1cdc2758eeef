package org.jvpoll.wait;

/**
 * The result of one {@link EpollSet#await}: for each ready registration its descriptor, the
 * events the kernel reported, and the registration's attachment.
 *
 * <pre>{@code
 * ReadyEvents<Conn> ready = epoll.await(null);
 * for (int i = 0; i < ready.count(); i++) {
 *     ready.attachment(i).onEvents(ready.events(i));
 * }
 * }</pre>
 *
 * <p>One instance belongs to an {@link EpollSet} and is refilled by each wait (nothing is allocated
 * per wait), so read it before the next {@code await} on the same set, in the waiting thread.
 *
 * @param <A> the attachment type
 */
public final class ReadyEvents<A> {
    private final int[] fds;
    private final int[] events;
    private final Object[] attachments;
    private int count;
    private boolean wokenUp;

    ReadyEvents(int capacity) {
        fds = new int[capacity];
        events = new int[capacity];
        attachments = new Object[capacity];
    }

    /** {@return how many registrations are ready (0 after a timeout or a wakeup)} */
    public int count() {
        return count;
    }

    /**
     * {@return the descriptor of ready entry {@code i}, 0 &lt;= i &lt; {@link #count()}}
     *
     * @param i the index, from 0 to the count less one
     */
    public int fd(int i) {
        return fds[check(i)];
    }

    /**
     * {@return the events the kernel reported for entry {@code i} (epoll's bits, e.g. IN|HUP)}
     *
     * @param i the index, from 0 to the count less one
     */
    public int events(int i) {
        return events[check(i)];
    }

    /**
     * {@return the attachment given to add/modify for entry {@code i} (may be null)}
     *
     * @param i the index, from 0 to the count less one
     */
    @SuppressWarnings("unchecked")
    public A attachment(int i) {
        return (A) attachments[check(i)];
    }

    /** {@return whether the wait ended because of {@link EpollSet#wakeup()} (or a close)} */
    public boolean wokenUp() {
        return wokenUp;
    }

    void reset() {
        for (int i = 0; i < count; i++) {
            attachments[i] = null; // do not keep attachments of deleted registrations reachable
        }
        count = 0;
        wokenUp = false;
    }

    void put(int fd, int ev, Object attachment) {
        fds[count] = fd;
        events[count] = ev;
        attachments[count] = attachment;
        count++;
    }

    void markWokenUp() {
        wokenUp = true;
    }

    private int check(int i) {
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException("ready entry " + i + " is outside 0.." + (count - 1)
                    + " (count " + count + ")");
        }
        return i;
    }
}
