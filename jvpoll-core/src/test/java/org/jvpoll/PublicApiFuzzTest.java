package org.jvpoll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.util.Locale;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.jvpoll.syscall.Poll;
import org.jvpoll.testing.BackendSelection;
import org.jvpoll.testing.Probe;

/**
 * Random calls into every public entry point (VpollFd create/add/delete/set/ctl, the Vpoll C
 * facade, Events.parse) from a fixed seed list: only documented exceptions, never a crash, and a
 * rejected call changes no mask (checked with events() and poll(2)). More seeds and calls:
 * {@code -Djvpoll.fuzz.seeds=100 -Djvpoll.fuzz.calls=10000}.
 */
@ExtendWith(BackendSelection.class)
class PublicApiFuzzTest {
    static final long SEEDS = Long.getLong("jvpoll.fuzz.seeds", 4);
    static final int CALLS = Integer.getInteger("jvpoll.fuzz.calls", 400);
    static final int[] SPECIAL = {0, Events.ALL, -1, 1 << 28, 1 << 29, 1 << 30, Integer.MIN_VALUE, 0xffff, 0x10000, 0x2000};

    static int randomMask(SplittableRandom rnd) {
        return switch (rnd.nextInt(4)) {
            case 0 -> rnd.nextInt();
            case 1 -> SPECIAL[rnd.nextInt(SPECIAL.length)];
            default -> {
                int m = 0;
                for (int bit : Events.namedBits()) {
                    if (rnd.nextInt(4) == 0) {
                        m |= bit;
                    }
                }
                yield m;
            }
        };
    }

    static boolean documented(Exception e) {
        return e instanceof IllegalArgumentException || e instanceof UnsupportedEventsException
                || e instanceof NullPointerException;
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void randomCtlCallsThrowOnlyDocumentedExceptionsAndRejectedOnesChangeNothing(Backend backend) throws IOException {
        VpollFd.Options options = BackendSelection.options(backend);
        int fdsBefore = Probe.openFdCount();
        long accepted = 0;
        long rejected = 0;
        for (long seed = 1; seed <= SEEDS; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed);
            VpollFd vfd = null;
            try {
                for (int call = 0; call < CALLS; call++) {
                    if (vfd == null || rnd.nextInt(50) == 0) {
                        if (vfd != null) {
                            vfd.close();
                        }
                        vfd = null;
                        int initial = randomMask(rnd);
                        try {
                            vfd = VpollFd.create(initial, options.closeOnExec(rnd.nextBoolean()).nonBlocking(rnd.nextBoolean()));
                        } catch (IllegalArgumentException | UnsupportedEventsException e) {
                            rejected++;
                        }
                        continue;
                    }
                    int before = vfd.events();
                    VpollOp op = rnd.nextInt(20) == 0 ? null : VpollOp.values()[rnd.nextInt(3)];
                    int mask = randomMask(rnd);
                    String what = backend.id() + " seed " + seed + " call " + call + ": " + op + " 0x"
                            + Integer.toHexString(mask) + " from " + Events.toString(before);
                    try {
                        int result = switch (rnd.nextInt(4)) {
                            case 0 -> op == null ? vfd.ctl(null, mask) : vfd.add(mask);
                            case 1 -> op == null ? vfd.ctl(null, mask) : vfd.delete(mask);
                            case 2 -> op == null ? vfd.ctl(null, mask) : vfd.set(mask);
                            default -> vfd.ctl(op, mask);
                        };
                        accepted++;
                        assertEquals(result, vfd.events(), what + ": result and events() agree");
                        assertEquals(result & 0xffff, Poll.currentEvents(vfd.fd()), what + ": poll(2) agrees");
                    } catch (IOException | RuntimeException e) {
                        if (!documented(e)) {
                            fail(what + ": undocumented " + e, e);
                        }
                        rejected++;
                        assertEquals(before, vfd.events(), what + ": a rejected call (" + e + ") changes nothing");
                        assertEquals(before & 0xffff, Poll.currentEvents(vfd.fd()), what + ": poll(2) after " + e);
                    }
                }
            } finally {
                if (vfd != null) {
                    vfd.close();
                }
            }
        }
        assertEquals(fdsBefore, Probe.openFdCount(), "no descriptor left behind");
        System.out.printf(Locale.ROOT, "FUZZ backend=%s seeds=%d calls=%d accepted=%d rejected=%d undocumented=0%n",
                backend.id(), SEEDS, SEEDS * CALLS, accepted, rejected);
    }

    @Test
    void theCFacadeTakesRandomDescriptorsOpsFlagsAndMasks() throws IOException {
        int fdsBefore = Probe.openFdCount();
        long calls = 0;
        for (long seed = 1; seed <= SEEDS; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed);
            int fd = -1;
            for (int call = 0; call < CALLS / 4; call++, calls++) {
                try {
                    switch (rnd.nextInt(4)) {
                        case 0 -> {
                            int created = Vpoll.create(randomMask(rnd), rnd.nextBoolean() ? rnd.nextInt()
                                    : new int[] {0, Vpoll.FD_CLOEXEC, Vpoll.O_CLOEXEC, Vpoll.O_NONBLOCK}[rnd.nextInt(4)]);
                            if (fd >= 0) {
                                Vpoll.close(fd);
                            }
                            fd = created;
                        }
                        case 1, 2 -> {
                            int target = fd >= 0 && rnd.nextInt(4) != 0 ? fd : rnd.nextInt(2000) - 2;
                            int op = rnd.nextInt(5) == 0 ? rnd.nextInt() : 1 + rnd.nextInt(3);
                            int before = fd >= 0 ? Vpoll.lookup(fd).events() : 0;
                            try {
                                Vpoll.ctl(target, op, randomMask(rnd));
                            } catch (IllegalArgumentException | UnsupportedEventsException | VpollException e) {
                                if (fd >= 0) {
                                    assertEquals(before, Vpoll.lookup(fd).events(), "rejected " + e);
                                }
                                throw e;
                            }
                        }
                        default -> {
                            int target = fd >= 0 && rnd.nextBoolean() ? fd : rnd.nextInt(2000) - 2;
                            Vpoll.close(target);
                            if (target == fd) {
                                fd = -1;
                            }
                        }
                    }
                } catch (IllegalArgumentException | UnsupportedEventsException e) {
                    // documented
                } catch (VpollException e) {
                    assertEquals(Errno.EBADF, e.errno(), "only EBADF for descriptors it did not create: " + e);
                }
            }
            if (fd >= 0) {
                Vpoll.close(fd);
            }
        }
        assertEquals(fdsBefore, Probe.openFdCount(), "no descriptor left behind");
        System.out.printf(Locale.ROOT, "FUZZ Vpoll facade calls=%d undocumented=0%n", calls);
    }

    @Test
    void eventsParseTakesRandomTextAndRoundTripsEveryMask() {
        String[] tokens = {"IN", "pollin", "EPOLLOUT", "pri", "ERR", "HUP", "RDHUP", "0x", "0x10", "42", "-1", "|", " ",
                "", "nval", "MSG", "WRBAND", "POLL", "EPOLL", "0xffffffff", "99999999999", "é", "\u0000"};
        long parsed = 0;
        for (long seed = 1; seed <= SEEDS; seed++) {
            SplittableRandom rnd = new SplittableRandom(seed);
            for (int i = 0; i < CALLS * 5; i++) {
                StringBuilder sb = new StringBuilder();
                for (int n = rnd.nextInt(5); n >= 0; n--) {
                    sb.append(tokens[rnd.nextInt(tokens.length)]);
                }
                try {
                    Events.parse(sb.toString());
                    parsed++;
                } catch (IllegalArgumentException e) {
                    // documented
                }
                int mask = rnd.nextInt() & Events.ALL;
                assertEquals(mask, Events.parse(Events.toString(mask)), "round trip of 0x" + Integer.toHexString(mask));
            }
        }
        System.out.printf(Locale.ROOT, "FUZZ Events.parse strings=%d parsed=%d%n", SEEDS * CALLS * 5, parsed);
    }
}
