package org.jvpoll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.jvpoll.syscall.Epoll;
import org.jvpoll.syscall.Poll;
import org.jvpoll.syscall.Spawn;
import org.jvpoll.syscall.Syscall;
import org.jvpoll.syscall.Unistd;
import org.jvpoll.testing.BackendSelection;
import org.jvpoll.testing.BlockedThreads;
import org.jvpoll.testing.ChildProcess;
import org.jvpoll.testing.Emulations;
import org.jvpoll.testing.NativeProcess;
import org.jvpoll.testing.Skip;

/**
 * Faults: signals during waits and during ctl, exec with and without close-on-exec, and
 * RLIMIT_NOFILE exhaustion (in a child JVM that lowers its own limit). Prints figures.
 */
@ExtendWith(BackendSelection.class)
class FaultsTest {
    @TempDir
    Path dir;

    /** The JVM catches SIGPIPE with a handler that ignores it: harmless, and it interrupts waits. */
    static void requireSigpipeHandler() throws IOException {
        if (!NativeProcess.catches(NativeProcess.SIGPIPE)) {
            String why = "this JVM does not catch SIGPIPE, so sending it would kill the process";
            throw Skip.because(why);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void signalsInterruptWaitsWithEintrAndTheWakeupStillArrives(Backend backend) throws Exception {
        VpollFd.Options options = BackendSelection.options(backend);
        requireSigpipeHandler();
        try (VpollFd vfd = VpollFd.create(0, options)) {
            AtomicInteger tid = new AtomicInteger();
            AtomicInteger eintr = new AtomicInteger();
            AtomicInteger seen = new AtomicInteger(-1);
            Thread waiter = Thread.ofPlatform().start(() -> {
                tid.set(NativeProcess.gettid());
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment ev = arena.allocate(Epoll.EVENT_SIZE);
                    int epfd = Epoll.create(Epoll.EPOLL_CLOEXEC);
                    Epoll.ctl(epfd, Epoll.EPOLL_CTL_ADD, vfd.fd(), Events.IN, 0, ev);
                    for (;;) {
                        int n = Epoll.wait(epfd, ev, 1, 20_000);
                        if (n == Syscall.INTERRUPTED) {
                            eintr.incrementAndGet();
                            continue;
                        }
                        seen.set(n == 0 ? 0 : Epoll.events(ev, 0));
                        break;
                    }
                    Unistd.close(epfd);
                } catch (Exception e) {
                    seen.set(-2);
                }
            });
            while (tid.get() == 0) {
                Thread.onSpinWait();
            }
            for (int i = 0; i < 50; i++) {
                BlockedThreads.awaitBlocked(tid.get()); // each signal finds the waiter inside epoll_wait
                NativeProcess.tgkill(tid.get(), NativeProcess.SIGPIPE);
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (eintr.get() == i && System.nanoTime() < deadline) {
                    Thread.onSpinWait(); // until this signal's EINTR is counted, so no two signals merge
                }
            }
            long t0 = System.nanoTime();
            vfd.add(Events.IN);
            waiter.join(10_000);
            double ms = (System.nanoTime() - t0) / 1e6;
            assertEquals(Events.IN, seen.get() & Events.IN, "the waiter wakes with IN after the signals");
            assertEquals(50, eintr.get(), "every signal interrupted epoll_wait");
            System.out.printf(Locale.ROOT, "EINTR-WAIT backend=%s signals=50 eintr-returns=%d wake-after-ADD=%.1fms%n",
                    backend.id(), eintr.get(), ms);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void signalsDuringCtlChangeNothingCallersSee(Backend backend) throws Exception {
        VpollFd.Options options = BackendSelection.options(backend);
        requireSigpipeHandler();
        int rounds = Emulations.isEmulation(backend) ? 500 : 3000;
        int other = Emulations.other(backend);
        try (VpollFd vfd = VpollFd.create(0, options)) {
            AtomicInteger tid = new AtomicInteger();
            AtomicReference<Exception> failure = new AtomicReference<>();
            AtomicBoolean done = new AtomicBoolean();
            Thread worker = Thread.ofPlatform().start(() -> {
                tid.set(NativeProcess.gettid());
                try {
                    for (int i = 0; i < rounds; i++) {
                        int want = (i & 1) == 0 ? Events.IN | other : Events.OUT;
                        int got = vfd.set(want);
                        if ((got & want) != want || Poll.currentEvents(vfd.fd()) != (got & 0xffff)) {
                            throw new AssertionError("round " + i + ": SET " + Events.toString(want) + " gave "
                                    + Events.toString(got));
                        }
                    }
                } catch (Exception | AssertionError e) {
                    failure.set(e instanceof Exception ex ? ex : new Exception(e));
                } finally {
                    done.set(true);
                }
            });
            while (tid.get() == 0) {
                Thread.onSpinWait();
            }
            long signals = 0;
            while (!done.get()) {
                NativeProcess.tgkill(tid.get(), NativeProcess.SIGPIPE);
                signals++;
                Thread.sleep(0, 200_000);
            }
            worker.join();
            assertEquals(null, failure.get());
            System.out.printf(Locale.ROOT, "EINTR-CTL backend=%s set-calls=%d signals=%d failures=0%n", backend.id(),
                    rounds, signals);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void execInheritsOnlyTheFdsWithoutCloseOnExec(Backend backend) throws Exception {
        VpollFd.Options options = BackendSelection.options(backend);
        Path report = dir.resolve("child.txt");
        VpollFd kept = VpollFd.create(Events.IN, options.closeOnExec(false));
        try (VpollFd dropped = VpollFd.create(Events.IN, options.closeOnExec(true))) {
            String script = String.join("\n",
                    "import os, select, sys, time",
                    "kept, dropped, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]",
                    "def state(fd):",
                    "    try:",
                    "        os.fstat(fd)",
                    "    except OSError:",
                    "        return 'closed'",
                    "    p = select.poll(); p.register(fd, 0xffff)",
                    "    r = p.poll(0)",
                    "    return 'open revents=%d' % (r[0][1] if r else 0)",
                    "def link(f):",
                    "    try:",
                    "        return os.readlink('/proc/self/fd/' + f)",
                    "    except OSError:",
                    "        return ''  # the listing's own descriptor",
                    "links = [link(f) for f in os.listdir('/proc/self/fd')]",
                    "sockets = sum(1 for l in links if l.startswith('socket:'))",
                    "with open(out + '.tmp', 'w') as f:",
                    "    f.write('kept %s\\ndropped %s\\nsockets %d\\n' % (state(kept), state(dropped), sockets))",
                    "os.rename(out + '.tmp', out)",
                    "time.sleep(1.5)",
                    "with open(out + '.after', 'w') as f:",
                    "    f.write('after-parent-close %s\\n' % state(kept))");
            int pid = Spawn.spawn(List.of("python3", "-c", script, Integer.toString(kept.fd()),
                    Integer.toString(dropped.fd()), report.toString()), Map.of("PATH", System.getenv("PATH")), 0, 0);
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (!Files.exists(report) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            if (!Files.exists(report)) {
                throw new AssertionError("the child wrote no report; exit: " + Spawn.describe(Spawn.waitFor(pid)));
            }
            List<String> lines = Files.readAllLines(report);
            kept.close(); // the child still holds its copy
            int status = Spawn.waitFor(pid);
            assertTrue(Spawn.succeeded(status), Spawn.describe(status));
            String after = Files.readString(Path.of(report + ".after")).trim();
            System.out.println("EXEC backend=" + backend.id() + " " + String.join("; ", lines) + "; " + after);
            assertEquals("kept open revents=" + (Emulations.isEmulation(kept.backend()) ? Events.IN | Events.RDNORM : Events.IN),
                    lines.get(0), "the fd without close-on-exec is inherited with its events");
            assertEquals("dropped closed", lines.get(1), "the close-on-exec fd is not");
            if (Emulations.isEmulation(backend)) {
                assertEquals("sockets 1", lines.get(2), "only A is inherited: jvpoll's peer B is always close-on-exec");
            }
        } finally {
            kept.close(); // idempotent
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void exhaustedDescriptorLimitGivesEmfileAndLeavesNothingHalfMade(Backend backend) throws Exception {
        BackendSelection.options(backend);
        if (backend == Backend.DEV_VPOLL || backend == Backend.EVENTFD) {
            String why = backend.id() + ": RLIMIT_NOFILE runs for emulation (2 descriptors) and fuse (1, the open path"
                    + " dev-vpoll shares)";
            throw Skip.because(why);
        }
        try (ChildProcess child = ChildProcess.java("org.jvpoll.testing.NofileExhaustionCheck", backend.id())) {
            int exit = child.awaitExit(120);
            System.out.println(child.output());
            assertEquals(0, exit, child.output());
            assertTrue(child.output().contains("OK backend=" + backend.id()), child.output());
        }
    }
}
