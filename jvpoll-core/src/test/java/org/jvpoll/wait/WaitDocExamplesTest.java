package org.jvpoll.wait;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.jvpoll.Events;
import org.jvpoll.VpollFd;

/**
 * The examples of docs/wait.md, run as written there (plus the assertions the comments state), and
 * a check that every self-contained example's lines are in this file.
 */
class WaitDocExamplesTest {
    @Test
    void virtualThreadExample() throws Exception {
        try (PipeFds pipe = PipeFds.open(); VpollFd vfd = VpollFd.create(0);
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Integer> waiter = threads.submit(
                    () -> vfd.await(Events.IN | Events.PRI, Duration.ofSeconds(30)));
            vfd.add(Events.IN);
            int ready = waiter.get();
            int out = threads.submit(() -> Readiness.await(pipe.writeFd(), Events.OUT, null)).get();
            assertEquals(Events.IN, ready);
            assertEquals(Events.OUT, out);
        }
    }

    @Test
    void pollExample() throws Exception {
        try (PipeFds pipe = PipeFds.open();
             VpollFd vfd = VpollFd.create(0, VpollFd.Options.DEFAULT.expectedEvents(Events.PRI));
             PollSet set = new PollSet(4)) {
            int v = set.add(vfd, Events.IN | Events.PRI);
            int p = set.add(pipe.readFd(), Events.IN);
            vfd.add(Events.PRI);
            int ready = set.poll(Duration.ofSeconds(1));
            int events = set.revents(v);
            boolean pipeReady = set.revents(p) != 0;
            assertEquals(1, ready);
            assertEquals(Events.PRI, events);
            assertFalse(pipeReady);
        }
    }

    @Test
    void selectExample() throws Exception {
        try (PipeFds pipe = PipeFds.open(); VpollFd vfd = VpollFd.create(0); SelectSet set = new SelectSet()) {
            set.watch(vfd, true, false, true);
            set.watch(pipe.writeFd(), false, true, false);
            vfd.add(Events.IN);
            int n = set.select(Duration.ofMillis(100));
            boolean r = set.readable(vfd.fd());
            boolean w = set.writable(pipe.writeFd());
            boolean x = set.exceptional(vfd.fd());
            assertEquals(2, n);
            assertTrue(r);
            assertTrue(w);
            assertFalse(x);
        }
    }

    @Test
    void epollExample() throws Exception {
        List<String> seen = new ArrayList<>();
        try (PipeFds pipe = PipeFds.open(); VpollFd vfd = VpollFd.create(0);
             EpollSet<String> epoll = EpollSet.open()) {
            epoll.add(vfd, Events.IN | EpollSet.ET, "vpoll");
            epoll.add(pipe.readFd(), Events.IN | Events.RDHUP, "pipe");
            vfd.add(Events.IN);
            ReadyEvents<String> ready = epoll.await(Duration.ofSeconds(1));
            for (int i = 0; i < ready.count(); i++) {
                String who = ready.attachment(i);
                int events = ready.events(i);
                int fd = ready.fd(i);
                seen.add(who + " " + Events.toString(events) + " " + (fd == vfd.fd()));
            }
            epoll.modify(vfd.fd(), Events.IN | EpollSet.ONESHOT, "vpoll, once");
            epoll.delete(pipe.readFd());
            assertEquals("vpoll, once", epoll.await(Duration.ZERO).attachment(0));
            assertEquals(0, epoll.await(Duration.ZERO).count(), "ONESHOT");
        }
        assertEquals(List.of("vpoll IN true"), seen);
    }

    @Test
    void pipeFdsAreAPlainPipeClosedOnce() throws Exception {
        PipeFds pipe = PipeFds.open();
        int r = pipe.readFd();
        int w = pipe.writeFd();
        Path readLink = Path.of("/proc/self/fd/" + r);
        Path writeLink = Path.of("/proc/self/fd/" + w);
        String readTarget = Files.readSymbolicLink(readLink).toString();
        String writeTarget = Files.readSymbolicLink(writeLink).toString();
        assertTrue(readTarget.startsWith("pipe:") && readTarget.equals(writeTarget), readTarget + " " + writeTarget);
        try (PollSet set = new PollSet(2)) {
            int ri = set.add(r, Events.IN);
            int wi = set.add(w, Events.OUT);
            assertEquals(1, set.poll(Duration.ZERO), "only the write end is ready");
            assertEquals(0, set.revents(ri));
            assertEquals(Events.OUT, set.revents(wi));
        }
        pipe.close();
        pipe.close();
        assertFalse(pipe.isOpen());
        IllegalStateException e = assertThrows(IllegalStateException.class, pipe::readFd);
        assertTrue(e.getMessage().contains("is closed"), e.getMessage());
        assertThrows(IllegalStateException.class, pipe::writeFd);
        for (Path link : List.of(readLink, writeLink)) {
            assertTrue(!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                    || !Files.readSymbolicLink(link).toString().equals(readTarget), link + " is closed");
        }
    }

    /** Each self-contained example (a block starting with try) of docs/wait.md is code of this class. */
    @Test
    void theDocsExamplesAreTheCodeOfThisTest() throws IOException {
        String doc = Files.readString(Path.of(System.getProperty("jvpoll.docs.dir", "../docs"), "wait.md"));
        Set<String> here = Files.readAllLines(Path.of("src/test/java/org/jvpoll/wait/WaitDocExamplesTest.java")).stream()
                .map(WaitDocExamplesTest::code).collect(Collectors.toSet());
        Matcher m = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL).matcher(doc);
        int checked = 0;
        while (m.find()) {
            String block = m.group(1);
            if (!block.startsWith("try (")) {
                continue;
            }
            checked++;
            for (String line : block.split("\n")) {
                String c = code(line);
                assertTrue(c.isEmpty() || here.contains(c),
                        "docs/wait.md example line is run by this test: " + line);
            }
        }
        assertEquals(4, checked, "examples checked (poll, select, epoll, virtual threads)");
        assertFalse(doc.contains("pipeReadFd") || doc.contains("socketFd"), "no fd the public API cannot make");
    }

    /** A line without its comment and spaces. */
    private static String code(String line) {
        int comment = line.indexOf("//");
        return (comment >= 0 ? line.substring(0, comment) : line).replaceAll("\\s+", "");
    }

    @Test
    void ppollWithASignalLetInOnlyDuringTheWait() throws Exception {
        SignalFixture.installHandler();
        try (RealFds real = new RealFds(); PollSet set = new PollSet(1)) {
            set.add(real.pipe()[0], Events.IN);
            boolean interrupted = false;
            SignalSet previous = SignalSet.of(SignalSet.SIGWINCH).block();
            try {
                org.jvpoll.syscall.Signals.tgkill(org.jvpoll.syscall.Signals.gettid(), SignalSet.SIGWINCH);
                SignalSet duringWait = SignalSet.threadMask().remove(SignalSet.SIGWINCH);
                set.ppoll(null, duringWait);
            } catch (SignalInterruptedException e) {
                interrupted = true;
            } finally {
                previous.setThreadMask();
            }
            assertTrue(interrupted);
        }
    }
}
