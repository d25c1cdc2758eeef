package org.jvpoll.netty;

import java.nio.channels.SelectionKey;

import io.netty.channel.IoOps;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.nio.NioIoOps;

import org.jvpoll.Events;

/** The two Netty transports a vpoll fd can join, and how jvpoll's event bits map onto theirs. */
enum Transport {
    /** Netty's epoll set: jvpoll's bits are the EPOLL* bits, so masks pass through unchanged. */
    EPOLL(Events.IN | Events.OUT | Events.PRI | Events.RDHUP) {
        @Override
        IoOps ops(int interest) {
            return EpollIoOps.valueOf(interest);
        }
    },
    /** A JDK Selector: only OP_READ (IN) and OP_WRITE (OUT). */
    NIO(Events.IN | Events.OUT) {
        @Override
        IoOps ops(int interest) {
            int ops = 0;
            if ((interest & Events.IN) != 0) {
                ops |= SelectionKey.OP_READ;
            }
            if ((interest & Events.OUT) != 0) {
                ops |= SelectionKey.OP_WRITE;
            }
            return NioIoOps.valueOf(ops);
        }
    };

    private final int watchable;

    Transport(int watchable) {
        this.watchable = watchable;
    }

    abstract IoOps ops(int interest);

    void requireValidInterest(int interest) {
        int bad = interest & ~watchable;
        if (bad != 0) {
            throw new IllegalArgumentException("interest " + Events.toString(interest) + ": the "
                    + name().toLowerCase(java.util.Locale.ROOT) + " transport cannot watch "
                    + Events.toString(bad) + " (it watches " + Events.toString(watchable) + ")");
        }
        if (this == EPOLL && interest == 0) {
            // Netty turns an empty interest into EPOLL_CTL_DEL and cannot add the fd back later.
            throw new IllegalArgumentException("interest 0: the epoll transport needs at least one of "
                    + Events.toString(watchable) + " (close the registration to stop watching)");
        }
    }

    /** @return the jvpoll events a selection key's ready set stands for (NIO only) */
    static int nioEvents(int readyOps) {
        int events = 0;
        if ((readyOps & SelectionKey.OP_READ) != 0) {
            events |= Events.IN;
        }
        if ((readyOps & SelectionKey.OP_WRITE) != 0) {
            events |= Events.OUT;
        }
        return events;
    }
}
