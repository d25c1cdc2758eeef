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

import java.time.Duration;

import org.jvpoll.syscall.Poll;
import org.jvpoll.wait.EpollSet;
import org.jvpoll.wait.PollSet;
import org.jvpoll.wait.ReadyEvents;
import org.jvpoll.wait.SelectSet;
import org.jvpoll.wait.SignalSet;

/**
 * The kernel's waiters through jvpoll's public wait API ({@code org.jvpoll.wait}), each reduced
 * to "what does it report for this fd". For
 * select and pselect the report is 0x1 (read set), 0x4 (write set), 0x2 (except set), the
 * kernel's own mapping of poll bits to the three sets.
 */
enum WaitCall {
    POLL("poll") {
        @Override
        int observe(int fd, int timeoutMs) throws Exception {
            try (PollSet set = new PollSet(1)) {
                int i = set.add(fd, Poll.ALL_EVENTS);
                set.poll(Duration.ofMillis(timeoutMs));
                return set.revents(i);
            }
        }
    },
    PPOLL("ppoll") {
        @Override
        int observe(int fd, int timeoutMs) throws Exception {
            try (PollSet set = new PollSet(1)) {
                int i = set.add(fd, Poll.ALL_EVENTS);
                set.ppoll(Duration.ofMillis(timeoutMs), SignalSet.threadMask());
                return set.revents(i);
            }
        }
    },
    SELECT("select") {
        @Override
        int observe(int fd, int timeoutMs) throws Exception {
            try (SelectSet set = new SelectSet()) {
                set.watch(fd, true, true, true);
                set.select(Duration.ofMillis(timeoutMs));
                return report(set, fd);
            }
        }

        @Override
        boolean isSelect() {
            return true;
        }
    },
    PSELECT("pselect") {
        @Override
        int observe(int fd, int timeoutMs) throws Exception {
            try (SelectSet set = new SelectSet()) {
                set.watch(fd, true, true, true);
                set.pselect(Duration.ofMillis(timeoutMs), SignalSet.threadMask());
                return report(set, fd);
            }
        }

        @Override
        boolean isSelect() {
            return true;
        }
    },
    EPOLL_LT("epoll LT (epoll_wait)") {
        @Override
        int observe(int fd, int timeoutMs) throws Exception {
            try (EpollSet<String> set = EpollSet.open()) {
                set.add(fd, Poll.ALL_EVENTS, "vpoll");
                ReadyEvents<String> ready = set.await(Duration.ofMillis(timeoutMs));
                return ready.count() == 0 ? 0 : ready.events(0);
            }
        }
    },
    EPOLL_PWAIT2("epoll LT (epoll_pwait2)") {
        @Override
        int observe(int fd, int timeoutMs) throws Exception {
            try (EpollSet<String> set = EpollSet.open()) {
                set.add(fd, Poll.ALL_EVENTS, "vpoll");
                ReadyEvents<String> ready = set.await(Duration.ofMillis(timeoutMs), SignalSet.threadMask());
                return ready.count() == 0 ? 0 : ready.events(0);
            }
        }
    };

    private static int report(SelectSet set, int fd) {
        return (set.readable(fd) ? 0x1 : 0) | (set.writable(fd) ? 0x4 : 0) | (set.exceptional(fd) ? 0x2 : 0);
    }

    /** select(2)'s sets, as the kernel defines them (fs/select.c POLLIN_SET, POLLOUT_SET, POLLEX_SET). */
    static final int READ_SET = RDNORM | RDBAND | IN | HUP | ERR;
    static final int WRITE_SET = WRBAND | WRNORM | OUT | ERR;
    static final int EXCEPT_SET = PRI;

    private final String title;

    WaitCall(String title) {
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
