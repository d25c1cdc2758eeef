package org.jvpoll.conformance;

import static org.jvpoll.Events.ERR;
import static org.jvpoll.Events.HUP;
import static org.jvpoll.Events.IN;
import static org.jvpoll.Events.OUT;
import static org.jvpoll.Events.PRI;
import static org.jvpoll.Events.RDBAND;
import static org.jvpoll.Events.RDNORM;
import static org.jvpoll.Events.WRBAND;
import static org.jvpoll.Events.WRNORM;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.jvpoll.syscall.Epoll;
import org.jvpoll.syscall.Poll;
import org.jvpoll.syscall.Unistd;

/**
 * The kernel's waiters, called from Java, each reduced to "what does it report for this fd". For
 * select and pselect the report is 0x1 (read set), 0x4 (write set), 0x2 (except set), the
 * kernel's own mapping of poll bits to the three sets.
 */
enum Waiter {
    POLL("poll") {
        @Override
        int observe(int fd, int timeoutMs) throws Exception {
            return Poll.pollOne(fd, Poll.ALL_EVENTS, timeoutMs);
        }
    },
    EPOLL_LT("epoll LT") {
        @Override
        int observe(int fd, int timeoutMs) throws Exception {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment ev = arena.allocate(Epoll.EVENT_SIZE);
                int ep = Epoll.create(Epoll.EPOLL_CLOEXEC);
                try {
                    Epoll.ctl(ep, Epoll.EPOLL_CTL_ADD, fd, Poll.ALL_EVENTS, fd, ev);
                    int n;
                    do {
                        n = Epoll.wait(ep, ev, 1, timeoutMs);
                    } while (n < 0);
                    return n == 0 ? 0 : Epoll.events(ev, 0);
                } finally {
                    Unistd.close(ep);
                }
            }
        }
    };

    /** select(2)'s sets, as the kernel defines them (fs/select.c POLLIN_SET, POLLOUT_SET, POLLEX_SET). */
    static final int READ_SET = RDNORM | RDBAND | IN | HUP | ERR;
    static final int WRITE_SET = WRBAND | WRNORM | OUT | ERR;
    static final int EXCEPT_SET = PRI;

    private final String title;

    Waiter(String title) {
        this.title = title;
    }

    String title() {
        return title;
    }

    String id() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    boolean isSelect() {
        return false;
    }

    /** @return what this waiter reports for {@code fd} within {@code timeoutMs} (every event asked for) */
    abstract int observe(int fd, int timeoutMs) throws Exception;

    /** @return what this waiter must report for a vpoll fd whose mask is {@code mask} */
    int expected(int mask) {
        return isSelect() ? selectReport(mask) : mask & Poll.ALL_EVENTS;
    }

    /** @return 0x1 | 0x4 | 0x2 for the read, write and except sets select(2) puts an fd with {@code mask} in */
    static int selectReport(int mask) {
        return ((mask & READ_SET) != 0 ? 0x1 : 0) | ((mask & WRITE_SET) != 0 ? 0x4 : 0) | ((mask & EXCEPT_SET) != 0 ? 0x2 : 0);
    }

    /** @return a readable report */
    String describe(int report) {
        if (isSelect()) {
            return "read=" + ((report & 1) != 0) + " write=" + ((report & 4) != 0) + " except=" + ((report & 2) != 0);
        }
        return org.jvpoll.Events.toString(report);
    }

}
