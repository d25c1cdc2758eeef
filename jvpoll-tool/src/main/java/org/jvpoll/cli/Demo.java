package org.jvpoll.cli;

import static org.jvpoll.Events.ERR;
import static org.jvpoll.Events.HUP;
import static org.jvpoll.Events.IN;
import static org.jvpoll.Events.OUT;
import static org.jvpoll.Events.PRI;
import static org.jvpoll.Events.RDHUP;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.jvpoll.UnsupportedEventsException;
import org.jvpoll.VpollFd;
import org.jvpoll.syscall.Epoll;
import org.jvpoll.syscall.Unistd;

/**
 * The demo of the EFD_VPOLL patch and libvpoll's README: a waiter in epoll_wait prints each event
 * set and deletes it, while another thread adds IN, IN, IN|PRI, PRI, OUT, HUP with short delays.
 */
final class Demo {
    private Demo() {}

    static final int[] SEQUENCE = {IN, IN, IN | PRI, PRI, OUT, HUP};
    static final int INTEREST = IN | RDHUP | ERR | OUT | HUP | PRI;

    private static String describe(int events) {
        return Integer.toHexString(events) + " (" + Events.toString(events) + ")";
    }

    /** @return the "GOT event" values a correct run prints on {@code backend} */
    static List<Integer> expected(Backend backend) {
        // The kernel facilities report exactly what was added. The TCP emulation's HUP is a TCP
        // shutdown, which the kernel also reports as IN, OUT and RDHUP.
        int hup = backend == Backend.EMULATION_TCP ? HUP | RDHUP | IN | OUT : HUP;
        return List.of(IN, IN, IN | PRI, PRI, OUT, hup);
    }

    /**
     * @param backend the backend to force, or null for the automatic choice among those that carry
     *                the demo's events (PRI: the socket-pair emulation gives way to the TCP one)
     */
    static int run(PrintStream out, Backend forced, long delayMs) throws IOException {
        VpollFd.Options options = (forced != null ? VpollFd.Options.DEFAULT.backend(forced) : VpollFd.Options.DEFAULT)
                .expectedEvents(IN | PRI | OUT | HUP);
        try (VpollFd vfd = VpollFd.create(0, options)) {
            return run(out, vfd, delayMs);
        }
    }

    private static int run(PrintStream out, VpollFd vfd, long delayMs) throws IOException {
        Backend backend = vfd.backend();
        out.println("jvpoll demo on backend " + backend.id() + ": a thread adds "
                + "IN, IN, IN|PRI, PRI, OUT, HUP every " + delayMs + " ms; the waiter prints and deletes what epoll reports.");
        out.println("expected on eventfd, dev-vpoll, fuse (kernel): GOT event 1, 1, 3, 2, 4, 10");
        out.println("expected on emulation-tcp (jvpoll):          GOT event 1, 1, 3, 2, 4, 2015 (HUP is a TCP shutdown: +IN|OUT|RDHUP)");
        out.println("libvpoll's own C emulation cannot raise PRI at all and reports HUP as 2011.");
        out.println();
        List<Integer> got = new ArrayList<>();
        AtomicReference<Throwable> generatorFailure = new AtomicReference<>();
        try (Arena arena = Arena.ofConfined()) {
            int epfd = Epoll.create(Epoll.EPOLL_CLOEXEC);
            try {
                MemorySegment ev = arena.allocate(Epoll.EVENT_SIZE);
                Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, vfd.fd(), INTEREST, 0, ev);
                Thread generator = Thread.ofPlatform().name("jvpoll-demo-generator").start(() -> {
                    try {
                        for (int e : SEQUENCE) {
                            Thread.sleep(delayMs);
                            vfd.add(e);
                        }
                    } catch (IOException | InterruptedException | RuntimeException e) {
                        generatorFailure.set(e);
                    }
                });
                long deadline = System.nanoTime() + (delayMs * (SEQUENCE.length + 4) + 5000) * 1_000_000L;
                int timeoutMs = (int) Math.max(1, delayMs / 2);
                while (System.nanoTime() < deadline && generatorFailure.get() == null) {
                    int n = Epoll.wait(epfd, ev, 1, timeoutMs);
                    if (n == 0) {
                        // As in the C demo; waiting out the generator's delay is expected, not an error.
                        out.println("(no event in " + timeoutMs + " ms, waiting again)");
                    } else if (n > 0) {
                        int events = Epoll.events(ev, 0);
                        // libvpoll's demo prints the hex value; the names say what it means.
                        out.printf("GOT event %x (%s)%n", events, Events.toString(events));
                        got.add(events);
                        try {
                            vfd.delete(events);
                        } catch (UnsupportedEventsException e) {
                            out.println("  (DEL " + Events.toString(events) + " refused: " + e.getMessage() + ")");
                        }
                        if ((events & HUP) != 0) {
                            break;
                        }
                    }
                }
                try {
                    generator.join(delayMs * SEQUENCE.length + 5000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            } finally {
                Unistd.close(epfd);
            }
        }
        out.println();
        if (generatorFailure.get() != null) {
            out.println("FAIL: the generator thread failed: " + generatorFailure.get());
            return 1;
        }
        List<String> hex = got.stream().map(Demo::describe).toList();
        List<String> want = expected(backend).stream().map(Demo::describe).toList();
        if (hex.equals(want)) {
            out.println("OK: the events match the expected " + backend.id() + " output " + want);
            return 0;
        }
        out.println("FAIL: got " + hex + ", expected " + want);
        return 1;
    }
}
