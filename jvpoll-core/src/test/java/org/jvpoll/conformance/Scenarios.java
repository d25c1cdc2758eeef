package org.jvpoll.conformance;

import static org.jvpoll.Events.ERR;
import static org.jvpoll.Events.HUP;
import static org.jvpoll.Events.IN;
import static org.jvpoll.Events.NVAL;
import static org.jvpoll.Events.OUT;
import static org.jvpoll.Events.PRI;
import static org.jvpoll.Events.RDHUP;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.jvpoll.Events;
import org.jvpoll.VpollFd;
import org.jvpoll.VpollOp;
import org.jvpoll.conformance.Matrix.Scenario;
import org.jvpoll.conformance.Matrix.Subject;
import org.jvpoll.syscall.Epoll;
import org.jvpoll.syscall.Poll;
import org.jvpoll.syscall.Signals;
import org.jvpoll.syscall.Spawn;
import org.jvpoll.syscall.Unistd;
import org.jvpoll.testing.BlockedThreads;
import org.jvpoll.wait.EpollSet;
import org.jvpoll.wait.ReadyEvents;
import org.jvpoll.wait.SignalSet;

/** The scenarios of the conformance matrix, in table order. */
final class Scenarios {
    private Scenarios() {}

    /** The events set then cleared by the per-bit rows; the last is a combination. */
    static final int[] EVENT_ROWS = {IN, PRI, OUT, ERR, HUP, RDHUP, IN | PRI | OUT | ERR};
    static final int[] ET_ROWS = {IN, PRI, OUT, ERR, HUP, RDHUP};
    /** How long a blocked waiter waits before a scenario calls it failed. */
    static final int BLOCK_MS = 5000;

    static String bitsId(int events) {
        return Events.toString(events).replace('|', '+');
    }

    static List<Scenario> all() {
        List<Scenario> list = new ArrayList<>();
        for (WaitCall w : WaitCall.values()) {
            for (int e : EVENT_ROWS) {
                list.add(new Scenario("events." + w.id() + "." + bitsId(e), bitsId(e) + " set then cleared, seen by " + w.title(),
                        s -> setThenClear(s, w, e)));
            }
        }
        list.add(new Scenario("events.epoll-lt.bit-16", "0x10000, a bit beyond the named ones, set then cleared, seen by "
                + "epoll (which carries 32 bits; poll carries 16)", Scenarios::unnamedBit));
        list.add(new Scenario("events.atomic-combination", "IN|PRI|OUT|ERR raised by one ctl: a blocked poll wakes to all of it",
                Scenarios::atomicCombination));
        for (int e : ET_ROWS) {
            list.add(new Scenario("epoll-et.re-add." + bitsId(e), "epoll ET (interest " + bitsId(e) + "): a fresh ADD of the set "
                    + bitsId(e) + " gives a new edge", s -> edgeOnReAdd(s, e)));
        }
        list.add(new Scenario("epoll-et.every-ctl-wakes", "epoll ET (interest ERR): 40 ctls that change nothing (ADD of set, "
                + "DEL of clear bits, SET of the same mask) each give a new edge; the mask stays exact", Scenarios::everyCtlWakes));
        list.add(new Scenario("epoll.oneshot-rearmed-by-mod", "EPOLLONESHOT: reported once, silent until EPOLL_CTL_MOD re-arms it",
                Scenarios::oneShot));
        list.add(new Scenario("epoll.exclusive", "EPOLLEXCLUSIVE: one change wakes some, not all, of 3 threads (all 3 without it)",
                Scenarios::exclusive));
        list.add(new Scenario("epoll.nested", "an epoll fd inside another epoll: the outer one is woken and reports it",
                Scenarios::nested));
        list.add(new Scenario("epoll.two-sets", "the same vpoll fd in two epoll sets: both report it, with their own data",
                s -> manySets(s, 2)));
        list.add(new Scenario("dup", "a dup'd fd: same events, changes seen through both, closing the dup keeps the original",
                Scenarios::dup));
        list.add(new Scenario("thread.blocked-waiter", "a poll blocked in another thread is woken by a change here",
                Scenarios::threadWaiter));
        for (String m : new String[] {"poll", "ppoll", "select", "pselect", "epoll"}) {
            list.add(new Scenario("process.c-" + m, "another process (C, fd over SCM_RIGHTS) blocked in its own " + m
                    + " is woken by a change here", s -> cWaiter(s, m)));
        }
        list.add(new Scenario("scm-rights.ctl-from-other-process", "the fd passed over SCM_RIGHTS and changed from that process "
                + "(ioctl / eventfd write): seen here", Scenarios::ctlFromOtherProcess));
        list.add(new Scenario("exec.inherited-when-cloexec-off", "fork/exec: a child inherits the fd (with its events) when "
                + "close-on-exec is off", s -> inherit(s, false)));
        list.add(new Scenario("exec.not-inherited-by-default", "fork/exec: a child does not get the fd by default (close-on-exec)",
                s -> inherit(s, true)));
        for (String m : new String[] {"epoll", "poll", "select", "asyncio"}) {
            list.add(new Scenario("python." + m, "Python " + (m.equals("asyncio") ? "asyncio loop (add_reader)" : "selectors ("
                    + m + ")") + " receives the fd and is woken by a change here", s -> pythonWaiter(s, m)));
        }
        list.add(new Scenario("close.registered-in-epoll", "closing the fd while registered in epoll: the registration goes, "
                + "nothing stale is reported", Scenarios::closeRegistered));
        list.add(new Scenario("close.while-poll-waits", "closing the fd while a thread polls it: the waiter returns NVAL (the "
                + "number is gone), no other event", s -> closeWhileWaiting(s, false)));
        list.add(new Scenario("close.while-epoll-waits", "closing the fd while a thread waits in epoll on it: the waiter returns "
                + "(no error, no event)", s -> closeWhileWaiting(s, true)));
        list.add(new Scenario("io_uring.poll-add", "io_uring IORING_OP_POLL_ADD on the fd (C, raw syscalls) completes on a change "
                + "here", Scenarios::ioUring));
        // The incompatibilities listed at the top of Akaros' user-level epoll (seeds/004): none may hold.
        list.add(new Scenario("seed004.epoll-on-epoll", "\"you can't epoll on an epoll fd (or any user fd)\"", Scenarios::nested));
        list.add(new Scenario("seed004.level-triggered-and-oneshot", "\"there's no EPOLLONESHOT or level-triggered support\"",
                Scenarios::levelTriggeredAndOneShot));
        list.add(new Scenario("seed004.many-sets", "\"you can't add the same FD to multiple epoll sets\" (4 sets)",
                s -> manySets(s, 4)));
        list.add(new Scenario("seed004.growing-set", "\"there is no support for growing the epoll set\" (24 vpoll fds in one set)",
                Scenarios::growingSet));
        list.add(new Scenario("seed004.close-epoll-while-waiting", "\"closing the epoll is a little dangerous\" (closed under a "
                + "blocked waiter with a change in flight)", Scenarios::closeEpollWhileWaiting));
        list.add(new Scenario("seed004.cloexec", "\"epoll_create1 does not support CLOEXEC\" (epoll and vpoll fds honour it)",
                Scenarios::cloexecFlags));
        list.add(new Scenario("seed004.mod-is-not-del-add", "\"EPOLL_CTL_MOD is just a DEL then an ADD\" (a blocked waiter sees "
                + "the MOD take effect)", Scenarios::modWakesWaiter));
        list.add(new Scenario("seed004.closed-fd-number-reused", "\"close a tracked FD without removing it ... used again\" "
                + "(no stale registration or event)", Scenarios::closedNumberReused));
        list.add(new Scenario("seed004.epoll-pwait-mask", "\"epoll_pwait is probably racy\" (epoll_pwait2's mask holds from "
                + "the start of the wait: a pending signal it blocks does not end it; the change here does)",
                Scenarios::pwaitMask));
        list.add(new Scenario("seed004.blocked-wait-does-not-spin", "\"spin locks ... busy wait\" (a thread blocked in epoll_wait "
                + "uses no CPU)", Scenarios::noSpin));
        list.add(new Scenario("seed004.dup-epoll-fd", "\"You can't dup an epoll fd\" (a dup'd epoll fd reports the vpoll fd)",
                Scenarios::dupEpoll));
        return list;
    }

    // ---- helpers -------------------------------------------------------------------------

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }

    static void expectEvents(int expected, int actual, String what) {
        if (expected != actual) {
            throw new AssertionError(what + ": expected " + Events.toString(expected) + ", got " + Events.toString(actual));
        }
    }

    /** Runs {@code wait} in another thread, then {@code change} here once that thread is blocked in the kernel. */
    static int blocked(Callable<Integer> wait, Callable<?> change) throws Exception {
        CompletableFuture<Integer> result = new CompletableFuture<>();
        CompletableFuture<Integer> tid = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().daemon(true).start(() -> {
            try {
                tid.complete(BlockedThreads.currentTid());
                result.complete(wait.call());
            } catch (Throwable e) {
                tid.completeExceptionally(e);
                result.completeExceptionally(e);
            }
        });
        BlockedThreads.awaitBlocked(tid.get(10, TimeUnit.SECONDS));
        change.call();
        try {
            return result.get(BLOCK_MS + 5000L, TimeUnit.MILLISECONDS);
        } finally {
            t.join(1000);
        }
    }

    /** An epoll set of the public API, with a long attachment per registration. */
    static final class Ep implements AutoCloseable {
        final EpollSet<Long> set;
        ReadyEvents<Long> last;

        Ep() throws Exception {
            set = EpollSet.open();
        }

        int fd() {
            return set.fd();
        }

        Ep add(int target, int events, long data) throws Exception {
            set.add(target, events, data);
            return this;
        }

        void mod(int target, int events, long data) throws Exception {
            set.modify(target, events, data);
        }

        /** @return the events reported for one registration (0 on timeout); fails on another attachment */
        int waitOne(long data, int timeoutMs) throws Exception {
            int n = waitN(timeoutMs);
            if (n == 0) {
                return 0;
            }
            check(n == 1 && last.attachment(0) == data, "epoll reported " + n + " events, attachment " + last.attachment(0)
                    + ", expected one with attachment " + data);
            return last.events(0);
        }

        int waitN(int timeoutMs) throws Exception {
            last = set.await(Duration.ofMillis(timeoutMs));
            return last.count();
        }

        @Override
        public void close() {
            set.close();
        }
    }

    // ---- scenarios -----------------------------------------------------------------------

    static void setThenClear(Subject s, WaitCall w, int event) throws Exception {
        int base = DesignLimits.baseFor(s.backend(), event);
        try (VpollFd v = s.create(base)) {
            int fd = v.fd();
            int before = v.events();
            check(w.observe(fd, 0) == w.expected(before), w.title() + " before: expected " + w.describe(w.expected(before))
                    + ", got " + w.describe(w.observe(fd, 0)));
            int[] mask = new int[1];
            boolean wakes = w.expected(before) == 0 && w.expected(before | event) != 0;
            if (wakes) {
                int woken = blocked(() -> w.observe(fd, BLOCK_MS), () -> mask[0] = v.add(event));
                check(woken != 0, w.title() + " blocked before ADD " + bitsId(event) + " was not woken");
            } else {
                mask[0] = v.add(event);
            }
            check((mask[0] & event) == event, "ctl ADD " + bitsId(event) + " answered " + Events.toString(mask[0]));
            int after = w.expected(mask[0]);
            int seen = w.observe(fd, after == 0 ? 0 : 1000);
            check(seen == after, w.title() + " after ADD " + bitsId(event) + ": expected " + w.describe(after) + ", got "
                    + w.describe(seen));
            int cleared = v.delete(event);
            check((cleared & event) == 0, "ctl DEL " + bitsId(event) + " answered " + Events.toString(cleared));
            seen = w.observe(fd, 0);
            check(seen == w.expected(cleared), w.title() + " after DEL " + bitsId(event) + ": expected "
                    + w.describe(w.expected(cleared)) + ", got " + w.describe(seen));
        }
    }

    static void unnamedBit(Subject s) throws Exception {
        int bit = 0x10000;
        try (VpollFd v = s.create(0); Ep ep = new Ep()) {
            ep.add(v.fd(), IN | bit, 1);
            int mask = v.add(bit);
            check((mask & bit) == bit, "ctl ADD 0x10000 answered " + Events.toString(mask));
            expectEvents(bit, ep.waitOne(1, 1000), "epoll after ADD 0x10000");
            expectEvents(0, Poll.currentEvents(v.fd()), "poll (16 bits) after ADD 0x10000");
            v.delete(bit);
            expectEvents(0, ep.waitOne(1, 0), "epoll after DEL 0x10000");
        }
    }

    static void atomicCombination(Subject s) throws Exception {
        int all = IN | PRI | OUT | ERR;
        try (VpollFd v = s.create(0)) {
            int[] mask = new int[1];
            int woken = blocked(() -> WaitCall.POLL.observe(v.fd(), BLOCK_MS), () -> mask[0] = v.add(all));
            expectEvents(mask[0] & Poll.ALL_EVENTS, woken, "what the blocked poll woke to");
        }
    }

    static void edgeOnReAdd(Subject s, int event) throws Exception {
        int base = DesignLimits.baseFor(s.backend(), event);
        try (VpollFd v = s.create(base); Ep ep = new Ep()) {
            v.add(event);
            ep.add(v.fd(), event | EpollSet.ET, 7);
            int first = ep.waitOne(7, 1000);
            check((first & event) == event, "a fresh epoll ADD of a set " + bitsId(event) + " gives an edge, got "
                    + Events.toString(first));
            expectEvents(0, ep.waitOne(7, 0), "edge-triggered: reported once");
            v.add(event); // no change to the mask; the module and the eventfd patch wake waiters anyway
            int again = ep.waitOne(7, 1000);
            check((again & event) == event, "ADD of the already set " + bitsId(event) + " gives a new edge, got "
                    + Events.toString(again));
        }
    }

    static void everyCtlWakes(Subject s) throws Exception {
        try (VpollFd v = s.create(DesignLimits.baseFor(s.backend(), ERR)); Ep ep = new Ep()) {
            int mask = v.add(ERR | OUT);
            ep.add(v.fd(), ERR | EpollSet.ET, 1);
            check((ep.waitOne(1, 1000) & ERR) == ERR, "first edge");
            for (int i = 0; i < 40; i++) {
                int answer = switch (i % 3) {
                    case 0 -> v.add(ERR);
                    case 1 -> v.delete(PRI);
                    default -> v.set(mask);
                };
                expectEvents(mask, answer, "ctl " + i + " answer");
                int edge = ep.waitOne(1, 1000);
                check((edge & ERR) == ERR, "ctl " + i + " (" + (i % 3 == 0 ? "ADD ERR" : i % 3 == 1 ? "DEL PRI" : "SET same")
                        + ") gave no new edge: " + Events.toString(edge));
                expectEvents(0, ep.waitOne(1, 0), "ctl " + i + ": one edge only");
            }
            expectEvents(mask & Poll.ALL_EVENTS, Poll.currentEvents(v.fd()), "poll after 40 ctls");
            v.delete(ERR);
            expectEvents(0, Poll.currentEvents(v.fd()) & ERR, "ERR cleared after the re-signals");
        }
    }

    static void oneShot(Subject s) throws Exception {
        try (VpollFd v = s.create(IN); Ep ep = new Ep()) {
            ep.add(v.fd(), IN | EpollSet.ONESHOT, 1);
            expectEvents(IN, ep.waitOne(1, 1000), "first report");
            expectEvents(0, ep.waitOne(1, 0), "disarmed after one report");
            v.delete(IN);
            v.add(IN);
            expectEvents(0, ep.waitOne(1, 50), "a change does not re-arm a one-shot registration");
            ep.mod(v.fd(), IN | EpollSet.ONESHOT, 1);
            expectEvents(IN, ep.waitOne(1, 1000), "re-armed by EPOLL_CTL_MOD");
            expectEvents(0, ep.waitOne(1, 0), "disarmed again");
        }
    }

    static void exclusive(Subject s) throws Exception {
        check(wokenThreads(s, true) < 3, "EPOLLEXCLUSIVE: one change woke all 3 threads");
        expectEvents(3, wokenThreads(s, false), "threads woken without EPOLLEXCLUSIVE");
    }

    /** @return how many of 3 threads, each blocked in its own epoll set, saw one IN */
    static int wokenThreads(Subject s, boolean exclusive) throws Exception {
        try (VpollFd v = s.create(0)) {
            List<Ep> sets = new ArrayList<>();
            List<CompletableFuture<Integer>> seen = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    int data = i;
                    Ep ep = new Ep().add(v.fd(), IN | (exclusive ? EpollSet.EXCLUSIVE : 0), data);
                    sets.add(ep);
                    CompletableFuture<Integer> f = new CompletableFuture<>();
                    CompletableFuture<Integer> tid = new CompletableFuture<>();
                    seen.add(f);
                    Thread.ofPlatform().daemon(true).start(() -> {
                        try {
                            tid.complete(BlockedThreads.currentTid());
                            f.complete(ep.waitOne(data, exclusive ? 600 : BLOCK_MS));
                        } catch (Throwable e) {
                            tid.completeExceptionally(e);
                            f.completeExceptionally(e);
                        }
                    });
                    BlockedThreads.awaitBlocked(tid.get(10, TimeUnit.SECONDS));
                }
                v.add(IN);
                int woken = 0;
                for (CompletableFuture<Integer> f : seen) {
                    woken += (f.get(BLOCK_MS + 2000L, TimeUnit.MILLISECONDS) & IN) != 0 ? 1 : 0;
                }
                check(woken >= 1, "no thread was woken");
                return woken;
            } finally {
                for (Ep ep : sets) {
                    ep.close();
                }
            }
        }
    }

    static void nested(Subject s) throws Exception {
        try (VpollFd v = s.create(0); Ep inner = new Ep(); Ep outer = new Ep()) {
            inner.add(v.fd(), IN, 1);
            outer.add(inner.fd(), IN, 2);
            expectEvents(0, outer.waitOne(2, 0), "outer before");
            int woken = blocked(() -> outer.waitOne(2, BLOCK_MS), () -> v.add(IN));
            expectEvents(IN, woken, "outer epoll blocked on the inner one");
            expectEvents(IN, inner.waitOne(1, 0), "inner epoll");
            v.delete(IN);
            expectEvents(0, outer.waitOne(2, 0), "outer after DEL IN");
        }
    }

    static void manySets(Subject s, int n) throws Exception {
        int other = s.other();
        try (VpollFd v = s.create(0)) {
            List<Ep> sets = new ArrayList<>();
            try {
                for (int i = 0; i < n; i++) {
                    sets.add(new Ep().add(v.fd(), IN | other, 100 + i));
                }
                v.add(other);
                for (int i = 0; i < n; i++) {
                    expectEvents(other, sets.get(i).waitOne(100 + i, 1000), "set " + i);
                }
                v.delete(other);
                for (int i = 0; i < n; i++) {
                    expectEvents(0, sets.get(i).waitOne(100 + i, 0), "set " + i + " after DEL");
                }
            } finally {
                for (Ep ep : sets) {
                    ep.close();
                }
            }
        }
    }

    static void dup(Subject s) throws Exception {
        try (VpollFd v = s.create(IN); Ep ep = new Ep()) {
            int d = Unistd.dup(v.fd());
            try {
                expectEvents(v.events() & Poll.ALL_EVENTS, Poll.currentEvents(d), "poll on the dup");
                int other = s.other();
                ep.add(d, IN | other, 9);
                v.add(other);
                expectEvents(IN | other, ep.waitOne(9, 1000), "epoll on the dup after ADD " + Events.toString(other) + " on the original");
                expectEvents(v.events() & Poll.ALL_EVENTS, Poll.currentEvents(d), "poll on the dup after the ADD");
            } finally {
                Unistd.close(d);
            }
            v.delete(IN);
            expectEvents(v.events() & Poll.ALL_EVENTS, Poll.currentEvents(v.fd()), "the original after closing the dup");
        }
    }

    static void threadWaiter(Subject s) throws Exception {
        try (VpollFd v = s.create(0)) {
            int other = s.other();
            int woken = blocked(() -> WaitCall.POLL.observe(v.fd(), BLOCK_MS), () -> v.add(other));
            expectEvents(other, woken & (IN | PRI | OUT), "the waiting thread");
        }
    }

    static void cWaiter(Subject s, String method) throws Exception {
        try (VpollFd v = s.create(0); Foreign c = Foreign.c(v.fd(), "wait", method, Integer.toString(IN), Integer.toString(BLOCK_MS))) {
            c.await("READY", 10);
            c.awaitBlocked(BlockedThreads.WAITS);
            int mask = v.add(IN);
            int report = c.awaitEvents(10);
            int expected = method.contains("select") ? WaitCall.selectReport(mask) : mask & (IN | ERR | HUP);
            check(report == expected, "the C " + method + " reported 0x" + Integer.toHexString(report) + ", expected 0x"
                    + Integer.toHexString(expected));
        }
    }

    static void ctlFromOtherProcess(Subject s) throws Exception {
        try (VpollFd v = s.create(0); Foreign c = Foreign.c(v.fd(), "ctl", s.ctlKind(), Integer.toString(VpollOp.ADD.code()),
                Integer.toString(IN | PRI))) {
            c.await("DONE", 10);
            int seen = Poll.pollOne(v.fd(), Poll.ALL_EVENTS, 1000);
            check((seen & (IN | PRI)) == (IN | PRI), "poll here after the other process's ADD IN|PRI: " + Events.toString(seen));
        }
    }

    static void inherit(Subject s, boolean closeOnExec) throws Exception {
        try (VpollFd v = VpollFd.create(IN | s.other(), s.options().closeOnExec(closeOnExec))) {
            int expected = v.events() & Poll.ALL_EVENTS;
            List<String> argv = List.of(Foreign.cClient().toString(), "inherit", Integer.toString(v.fd()), Integer.toString(expected));
            int pid = Spawn.spawn(argv, Map.of("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin")), 2, 2);
            int status = Spawn.waitFor(pid);
            int want = closeOnExec ? 10 : 0;
            check(status == want << 8, "the exec'd child: " + Spawn.describe(status) + ", expected exit status " + want
                    + (closeOnExec ? " (fd closed on exec)" : " (fd inherited, events " + Events.toString(expected) + ")"));
        }
    }

    static void pythonWaiter(Subject s, String method) throws Exception {
        try (VpollFd v = s.create(0); Foreign p = Foreign.python(v.fd(), method, BLOCK_MS / 1000.0)) {
            p.await("READY", 30);
            p.awaitBlocked(BlockedThreads.WAITS);
            v.add(IN);
            String line = p.await("EVENTS", 30);
            check(line.equals("EVENTS READ"), "Python " + method + " reported \"" + line + "\", expected EVENTS READ");
        }
    }

    static void closeRegistered(Subject s) throws Exception {
        try (Ep ep = new Ep()) {
            VpollFd v = s.create(IN);
            ep.add(v.fd(), IN, 5);
            expectEvents(IN, ep.waitOne(5, 1000), "registered");
            v.close();
            expectEvents(0, ep.waitN(50), "events after the fd was closed");
        }
    }

    static void closeWhileWaiting(Subject s, boolean epoll) throws Exception {
        VpollFd v = s.create(0);
        int fd = v.fd();
        try (Ep ep = new Ep()) {
            if (epoll) {
                ep.add(fd, IN | PRI | OUT, 3);
            }
            // poll(2) looks the number up again on each pass (wake-up or timeout): the fd is gone,
            // so it reports NVAL. An epoll registration goes with the file: epoll times out empty.
            int woken = blocked(() -> epoll ? ep.waitN(400) : WaitCall.POLL.observe(fd, 400), () -> {
                v.close();
                return null;
            });
            expectEvents(epoll ? 0 : NVAL, woken, (epoll ? "the epoll" : "the poll") + " waiter after the fd was closed under it");
            check(!v.isOpen(), "closed");
            try {
                v.add(IN);
                throw new AssertionError("ctl after close succeeded");
            } catch (ClosedChannelException expected) {
                // documented
            }
        }
    }

    static void ioUring(Subject s) throws Exception {
        try (VpollFd v = s.create(0); Foreign c = Foreign.c(v.fd(), "wait", "uring", Integer.toString(IN), Integer.toString(BLOCK_MS))) {
            c.await("READY", 10);
            c.awaitBlocked(java.util.Set.of(BlockedThreads.Syscall.IO_URING_ENTER));
            v.add(IN);
            int res = c.awaitEvents(10);
            check((res & IN) == IN, "IORING_OP_POLL_ADD completed with 0x" + Integer.toHexString(res));
        }
    }

    static void levelTriggeredAndOneShot(Subject s) throws Exception {
        try (VpollFd v = s.create(IN); Ep ep = new Ep()) {
            ep.add(v.fd(), IN, 1);
            for (int i = 0; i < 3; i++) {
                expectEvents(IN, ep.waitOne(1, 1000), "level-triggered report " + i);
            }
            v.delete(IN);
            expectEvents(0, ep.waitOne(1, 0), "level-triggered after DEL");
        }
        oneShot(s);
    }

    static void growingSet(Subject s) throws Exception {
        List<VpollFd> fds = new ArrayList<>();
        try (Ep ep = new Ep()) {
            for (int i = 0; i < 24; i++) {
                VpollFd v = s.create(0);
                fds.add(v);
                ep.add(v.fd(), IN, i);
            }
            Set<Long> want = new HashSet<>();
            for (int i = 0; i < fds.size(); i += 2) {
                fds.get(i).add(IN);
                want.add((long) i);
            }
            int n = ep.waitN(1000);
            Set<Long> got = new HashSet<>();
            for (int i = 0; i < n; i++) {
                got.add(ep.last.attachment(i));
            }
            check(got.equals(want), "the set of 24 reported " + got + ", expected " + want);
        } finally {
            for (VpollFd v : fds) {
                v.close();
            }
        }
    }

    static void closeEpollWhileWaiting(Subject s) throws Exception {
        try (VpollFd v = s.create(0)) {
            Ep ep = new Ep().add(v.fd(), IN, 4);
            // A change in flight while the set closes under its waiter: the waiter returns (the
            // API wakes it), with the event or without, and nothing else breaks.
            int woken = blocked(() -> ep.waitOne(4, BLOCK_MS), () -> {
                v.add(IN);
                ep.close();
                return null;
            });
            check(woken == 0 || woken == IN, "the waiter of the closed set saw " + Events.toString(woken));
            v.delete(IN);
            try (Ep fresh = new Ep()) {
                fresh.add(v.fd(), IN, 4);
                expectEvents(0, fresh.waitOne(4, 0), "a new epoll set afterwards, IN clear");
                v.add(IN);
                expectEvents(IN, fresh.waitOne(4, 1000), "a new epoll set afterwards, IN set");
            }
        }
    }

    static void cloexecFlags(Subject s) throws Exception {
        try (Ep ep = new Ep(); VpollFd v = s.create(0); VpollFd open = VpollFd.create(0, s.options().closeOnExec(false))) {
            check((Unistd.fcntl(ep.fd(), Unistd.F_GETFD, 0) & Unistd.FD_CLOEXEC) != 0, "epoll_create1(EPOLL_CLOEXEC) fd lacks FD_CLOEXEC");
            check((Unistd.fcntl(v.fd(), Unistd.F_GETFD, 0) & Unistd.FD_CLOEXEC) != 0, "vpoll fd lacks FD_CLOEXEC by default");
            check((Unistd.fcntl(open.fd(), Unistd.F_GETFD, 0) & Unistd.FD_CLOEXEC) == 0, "closeOnExec(false) vpoll fd has FD_CLOEXEC");
        }
    }

    static void modWakesWaiter(Subject s) throws Exception {
        try (VpollFd v = s.create(IN); Ep ep = new Ep()) {
            ep.add(v.fd(), PRI, 6);
            expectEvents(0, ep.waitOne(6, 0), "interest PRI while only IN is set");
            int woken = blocked(() -> ep.waitOne(6, BLOCK_MS), () -> {
                ep.mod(v.fd(), IN | PRI, 6);
                return null;
            });
            expectEvents(IN, woken, "the waiter blocked across EPOLL_CTL_MOD");
        }
    }

    static void closedNumberReused(Subject s) throws Exception {
        try (Ep first = new Ep(); Ep second = new Ep()) {
            VpollFd old = s.create(IN);
            int number = old.fd();
            first.add(number, IN, 111);
            old.close();
            try (VpollFd v = s.create(IN)) {
                // Usually the same number; either way the old registration must be gone.
                first.add(v.fd(), IN, 222);
                second.add(v.fd(), IN, 333);
                expectEvents(IN, first.waitOne(222, 1000), "the first set reports only the new fd (number " + v.fd()
                        + ", old " + number + ")");
                expectEvents(IN, second.waitOne(333, 1000), "the second set");
            }
        }
    }

    static void pwaitMask(Subject s) throws Exception {
        try (VpollFd v = s.create(0); Ep ep = new Ep()) {
            ep.add(v.fd(), IN, 1);
            CompletableFuture<Integer> result = new CompletableFuture<>();
            CompletableFuture<Integer> tid = new CompletableFuture<>();
            Thread t = Thread.ofPlatform().daemon(true).start(() -> {
                try {
                    tid.complete(BlockedThreads.currentTid());
                    // A SIGURG pending when the wait starts: ignored by default, yet it ends an
                    // epoll_pwait2 whose mask lets it through (EINTR). The mask given keeps it
                    // blocked, so the wait must sleep on until the change here.
                    SignalSet before = SignalSet.of(SignalSet.SIGURG).block();
                    try {
                        Signals.tgkill(Signals.gettid(), SignalSet.SIGURG);
                        ReadyEvents<Long> r = ep.set.await(Duration.ofMillis(BLOCK_MS), SignalSet.threadMask());
                        result.complete(r.count() == 0 ? 0 : r.events(0));
                    } finally {
                        before.setThreadMask(); // the pending SIGURG is then discarded
                    }
                } catch (Throwable e) {
                    tid.completeExceptionally(e);
                    result.completeExceptionally(e);
                }
            });
            int waiter = tid.get(10, TimeUnit.SECONDS);
            BlockedThreads.awaitBlocked(waiter);
            if (!result.isDone()) {
                Signals.tgkill(waiter, SignalSet.SIGURG); // one more while it sleeps: blocked, stays pending
                BlockedThreads.awaitBlocked(waiter);
                v.add(IN);
            }
            int woken;
            try {
                woken = result.get(BLOCK_MS + 5000L, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                throw new AssertionError("the masked wait ended with " + e.getCause(), e.getCause());
            } finally {
                t.join(1000);
            }
            expectEvents(IN, woken, "epoll_pwait2 with SIGURG masked, after a SIGURG and the change");
        }
    }

    static void noSpin(Subject s) throws Exception {
        try (VpollFd v = s.create(0); Ep ep = new Ep()) {
            ep.add(v.fd(), IN, 1);
            long[] cpuAndWall = new long[2];
            blocked(() -> {
                long cpu0 = threadCpuNanos();
                long t0 = System.nanoTime();
                int r = ep.waitOne(1, 300);
                cpuAndWall[0] = threadCpuNanos() - cpu0;
                cpuAndWall[1] = System.nanoTime() - t0;
                return r;
            }, () -> null);
            check(cpuAndWall[0] < cpuAndWall[1] / 2, "a thread blocked " + cpuAndWall[1] / 1_000_000 + " ms in epoll_wait used "
                    + cpuAndWall[0] / 1_000_000 + " ms of CPU");
        }
    }

    /** @return this thread's user+system CPU time from /proc/thread-self/stat (clock ticks of 10 ms) */
    static long threadCpuNanos() throws java.io.IOException {
        String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/thread-self/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L; // utime, stime (fields 14, 15)
    }

    static void dupEpoll(Subject s) throws Exception {
        try (VpollFd v = s.create(0); Ep ep = new Ep(); Arena arena = Arena.ofShared()) {
            ep.add(v.fd(), IN, 8);
            MemorySegment events = arena.allocate(Epoll.EVENT_SIZE * 4);
            int d = Unistd.dup(ep.fd());
            try {
                int woken = blocked(() -> {
                    int n;
                    do {
                        n = Epoll.wait(d, events, 4, BLOCK_MS); // the raw syscall on the dup
                    } while (n < 0);
                    return n == 1 ? Epoll.events(events, 0) : -n;
                }, () -> v.add(IN));
                expectEvents(IN, woken, "epoll_wait on the dup'd epoll fd");
            } finally {
                Unistd.close(d);
            }
        }
    }
}
