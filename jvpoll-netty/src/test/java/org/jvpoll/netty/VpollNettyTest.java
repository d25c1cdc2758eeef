package org.jvpoll.netty;

import static org.jvpoll.Events.ERR;
import static org.jvpoll.Events.HUP;
import static org.jvpoll.Events.IN;
import static org.jvpoll.Events.OUT;
import static org.jvpoll.Events.PRI;
import static org.jvpoll.Events.RDHUP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoEventLoopGroup;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.jvpoll.VpollFd;
import org.jvpoll.netty.NettyLoops.Kind;
import org.jvpoll.testing.Skip;

/** One behaviour suite, run on Netty's NIO and epoll transports over the emulation and FUSE backends. */
class VpollNettyTest {

    static Stream<Arguments> transportsAndBackends() {
        List<Arguments> list = new ArrayList<>();
        for (Kind kind : Kind.values()) {
            for (Backend backend : List.of(Backend.EMULATION, Backend.EMULATION_TCP, Backend.FUSE)) {
                list.add(Arguments.of(kind, backend));
            }
        }
        return list.stream();
    }

    @BeforeAll
    static void warmUp() throws Exception {
        // The TCP emulation keeps one loopback listener per process from its first use; open it now
        // so that fd counts compare like with like.
        VpollFd.create(0, VpollFd.Options.DEFAULT.backend(Backend.EMULATION_TCP)).close();
    }

    /** Records the last mask the listener saw, how often it ran, and on which thread. */
    static final class Recorder implements VpollListener {
        final AtomicInteger last = new AtomicInteger(-1);
        final AtomicInteger calls = new AtomicInteger();
        final AtomicReference<Thread> thread = new AtomicReference<>();

        @Override
        public void onEvents(VpollRegistration registration, int events) {
            thread.set(Thread.currentThread());
            last.set(events);
            calls.incrementAndGet();
            // Level-triggered readiness recalls the listener on every loop iteration; pause a
            // little so that the spinning loop leaves CPU to the emulation's loopback traffic
            // on this shared machine (a real listener would consume the event instead).
            java.util.concurrent.locks.LockSupport.parkNanos(200_000);
        }
    }

    @ParameterizedTest(name = "{0} over {1}")
    @MethodSource("transportsAndBackends")
    void eventsSetFromAnotherThreadReachTheListenerWithTheirMask(Kind kind, Backend backend) throws Exception {
        NettyLoops.require(kind, backend);
        IoEventLoopGroup group = NettyLoops.group(kind);
        try (VpollFd vfd = NettyLoops.vpoll(backend, 0)) {
            IoEventLoop loop = NettyLoops.loop(group);
            Recorder rec = new Recorder();
            int interest = kind == Kind.EPOLL ? IN | OUT | PRI | RDHUP : IN | OUT;
            VpollRegistration reg = VpollNetty.register(loop, vfd, interest, rec).sync().getNow();
            assertSame(vfd, reg.vpollFd());
            assertEquals(interest, reg.interest());
            if (kind == Kind.EPOLL) {
                // epoll reports exactly the pending interest bits plus ERR and HUP
                // (the socket-pair emulation has no PRI, and raises ERR only with HUP: a reset)
                int[][] steps = backend == Backend.EMULATION
                        ? new int[][] {{IN}, {OUT}, {IN | OUT}, {RDHUP}, {ERR | HUP}}
                        : new int[][] {{IN}, {OUT}, {PRI}, {OUT | ERR}, {IN | PRI | OUT}, {RDHUP}, {HUP}};
                for (int[] step : steps) {
                    set(vfd, backend, step[0]);
                    int expected = vfd.events() & (interest | ERR | HUP);
                    assertTrue((expected & step[0]) == step[0], Events.toString(expected));
                    NettyLoops.await("epoll mask after setting " + Events.toString(step[0]), rec.last::get, expected);
                }
            } else {
                // a JDK Selector: IN -> OP_READ, OUT -> OP_WRITE, ERR -> every interest op
                set(vfd, backend, IN);
                NettyLoops.await("after IN", rec.last::get, IN);
                set(vfd, backend, OUT);
                NettyLoops.await("after OUT", rec.last::get, OUT);
                if (backend != Backend.EMULATION) {
                    set(vfd, backend, OUT | ERR);
                    NettyLoops.await("after OUT|ERR", rec.last::get, IN | OUT);
                }
                set(vfd, backend, 0);
                reg.interest(IN);
                set(vfd, backend, backend == Backend.EMULATION ? OUT : PRI | OUT); // not watched now
                assertNoCallWithin(rec, 200);
                reg.interest(IN | OUT);
                NettyLoops.await("after widening the interest to OUT", rec.last::get, OUT);
            }
            assertSame(eventLoopThread(loop), rec.thread.get(), "listener runs on the loop thread");
            reg.close().sync();
            assertFalse(vfd.isOpen(), "closing the registration closes the vpoll fd");
        } finally {
            NettyLoops.shutdown(group);
        }
    }

    @ParameterizedTest(name = "{0} over {1}")
    @MethodSource("transportsAndBackends")
    void sharesTheLoopWithARealNettyTcpChannel(Kind kind, Backend backend) throws Exception {
        NettyLoops.require(kind, backend);
        IoEventLoopGroup group = NettyLoops.group(kind);
        try {
            AtomicReference<Thread> channelThread = new AtomicReference<>();
            Channel server = new ServerBootstrap().group(group).channel(kind.serverChannel())
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            channelThread.set(Thread.currentThread());
                            ctx.writeAndFlush(msg); // echo
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            IoEventLoop loop = (IoEventLoop) server.eventLoop();
            VpollFd vfd = NettyLoops.vpoll(backend, 0);
            AtomicInteger consumed = new AtomicInteger();
            AtomicReference<Thread> vpollThread = new AtomicReference<>();
            VpollRegistration reg = VpollNetty.register(loop, vfd, IN, (r, events) -> {
                vpollThread.set(Thread.currentThread());
                try {
                    r.vpollFd().delete(IN); // consume, as a read would
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                consumed.incrementAndGet();
            }).sync().getNow();
            try (Socket client = new Socket()) {
                client.connect(server.localAddress());
                client.setSoTimeout(10_000);
                OutputStream out = client.getOutputStream();
                InputStream in = client.getInputStream();
                for (int i = 1; i <= 50; i++) {
                    byte[] ping = ("ping" + i).getBytes(StandardCharsets.US_ASCII);
                    out.write(ping);
                    vfd.add(IN);
                    assertEquals("ping" + i, new String(in.readNBytes(ping.length), StandardCharsets.US_ASCII));
                    int expected = i;
                    NettyLoops.await("vpoll events consumed", consumed::get, expected);
                }
            }
            assertSame(channelThread.get(), vpollThread.get(), "TCP channel and vpoll fd share the loop thread");
            reg.close().sync();
            server.close().sync();
        } finally {
            NettyLoops.shutdown(group);
        }
    }

    @ParameterizedTest(name = "{0} over {1}")
    @MethodSource("transportsAndBackends")
    void closingRegisteredFdsLeavesNoDescriptorBehind(Kind kind, Backend backend) throws Exception {
        NettyLoops.require(kind, backend);
        IoEventLoopGroup group = NettyLoops.group(kind);
        try {
            IoEventLoop loop = NettyLoops.loop(group);
            // one round trip so that the loop's own descriptors exist before counting
            VpollNetty.register(loop, NettyLoops.vpoll(backend, 0), IN, (r, e) -> { }).sync().getNow().close().sync();
            settle(loop);
            java.util.Map<Integer, String> before = NettyLoops.openFds();
            List<VpollRegistration> regs = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                VpollFd vfd = NettyLoops.vpoll(backend, i % 2 == 0 ? OUT : 0); // half of them ready
                regs.add(VpollNetty.register(loop, vfd, IN | OUT, (r, e) -> { }).sync().getNow());
            }
            assertTrue(NettyLoops.openFds().size() > before.size());
            for (VpollRegistration reg : regs) {
                Future<Void> closed = reg.close();
                assertSame(closed, reg.close(), "close is idempotent");
                assertFalse(reg.isOpen());
                assertThrows(IllegalStateException.class, () -> reg.interest(IN));
            }
            for (VpollRegistration reg : regs) {
                assertTrue(reg.close().await(10, TimeUnit.SECONDS));
                assertTrue(reg.close().isSuccess());
                assertFalse(reg.vpollFd().isOpen());
            }
            settle(loop);
            NettyLoops.awaitNoLeak("after closing every registration", before);
        } finally {
            NettyLoops.shutdown(group);
        }
    }

    @ParameterizedTest(name = "{0} over {1}")
    @MethodSource("transportsAndBackends")
    void closeFromManyThreadsWhileEventsFireClosesOnce(Kind kind, Backend backend) throws Exception {
        NettyLoops.require(kind, backend);
        IoEventLoopGroup group = NettyLoops.group(kind);
        try {
            IoEventLoop loop = NettyLoops.loop(group);
            VpollNetty.register(loop, NettyLoops.vpoll(backend, 0), IN, (r, e) -> { }).sync().getNow().close().sync();
            settle(loop);
            java.util.Map<Integer, String> before = NettyLoops.openFds();
            for (int round = 0; round < 10; round++) {
                VpollFd vfd = NettyLoops.vpoll(backend, 0);
                AtomicInteger callsAfterClose = new AtomicInteger();
                AtomicInteger calls = new AtomicInteger();
                java.util.concurrent.atomic.AtomicBoolean closeReturned = new java.util.concurrent.atomic.AtomicBoolean();
                boolean closeFromListener = round % 2 == 1;
                VpollRegistration reg = VpollNetty.register(loop, vfd, IN | OUT, (r, events) -> {
                    if (closeReturned.get()) {
                        callsAfterClose.incrementAndGet();
                    }
                    if (calls.incrementAndGet() == 50 && closeFromListener) {
                        r.close(); // on the loop, from inside an event
                    }
                }).sync().getNow();
                AtomicReference<Throwable> togglerEnd = new AtomicReference<>();
                Thread toggler = new Thread(() -> {
                    try {
                        while (true) {
                            vfd.set(IN);
                            vfd.set(OUT);
                            vfd.set(0);
                        }
                    } catch (Throwable t) {
                        togglerEnd.set(t);
                    }
                }, "toggler");
                toggler.start();
                NettyLoops.await("listener calls", () -> Math.min(calls.get(), 20), 20);
                CyclicBarrier start = new CyclicBarrier(3);
                List<Future<Void>> futures = java.util.Collections.synchronizedList(new ArrayList<>());
                List<Thread> closers = new ArrayList<>();
                for (int t = 0; t < 3; t++) {
                    Thread closer = new Thread(() -> {
                        try {
                            start.await();
                            futures.add(reg.close());
                            closeReturned.set(true);
                        } catch (Exception e) {
                            throw new AssertionError(e);
                        }
                    });
                    closer.start();
                    closers.add(closer);
                }
                for (Thread closer : closers) {
                    closer.join(10_000);
                }
                assertEquals(3, futures.size());
                futures.forEach(f -> assertSame(futures.get(0), f, "one close future"));
                assertTrue(futures.get(0).await(10, TimeUnit.SECONDS));
                assertTrue(futures.get(0).isSuccess(), String.valueOf(futures.get(0).cause()));
                toggler.join(10_000);
                assertTrue(togglerEnd.get() instanceof ClosedChannelException, "setter ends with: " + togglerEnd.get());
                settle(loop);
                int callsAfter = calls.get();
                Thread.sleep(20);
                settle(loop);
                assertEquals(callsAfter, calls.get(), "listener calls after the close completed");
                // one call may have passed the closed check before close() returned, and be running
                assertTrue(callsAfterClose.get() <= 1, "listener calls that saw close() return: " + callsAfterClose.get());
            }
            settle(loop);
            NettyLoops.awaitNoLeak("after the close races", before);
        } finally {
            NettyLoops.shutdown(group);
        }
    }

    @ParameterizedTest(name = "{0} over {1}")
    @MethodSource("transportsAndBackends")
    void aClosedNumberReusedByANewFileIsNeverReportedNorClosedByNetty(Kind kind, Backend backend) throws Exception {
        NettyLoops.require(kind, backend);
        IoEventLoopGroup group = NettyLoops.group(kind);
        List<VpollFd> held = new ArrayList<>();
        int reused = -1;
        Selector idle = null;
        try {
            IoEventLoop loop = NettyLoops.loop(group);
            // FUSE unmounts when its last fd closes and remounts (a new /dev/fuse fd) on the next
            // create: keep one open so that the old number is free for our own new file.
            held.add(NettyLoops.vpoll(backend, 0));
            VpollFd old = NettyLoops.vpoll(backend, IN);
            int number = old.fd();
            Recorder oldRec = new Recorder();
            if (kind == Kind.EPOLL) {
                // A second reference to the open file (the JDK channel's descriptor, kept by a
                // selector that never selects) keeps the file alive after fd `number` closes: an
                // epoll entry not deleted before that close would then outlive the number.
                idle = Selector.open();
                old.channel().configureBlocking(false).register(idle, 0);
            }
            VpollRegistration reg = VpollNetty.register(loop, old, IN | OUT, oldRec).sync().getNow();
            NettyLoops.await("first event", () -> Math.min(oldRec.calls.get(), 1), 1);
            if (kind == Kind.EPOLL) {
                assertEquals(1, NettyLoops.epollSetsWatching(number).size(), "Netty's epoll set watches fd " + number);
            }
            reg.close().sync();
            loop.submit(() -> { }).sync();
            int callsAtClose = oldRec.calls.get();
            if (kind == Kind.EPOLL) {
                assertEquals(List.of(), NettyLoops.epollSetsWatching(number), "epoll sets still watching fd " + number);
            }
            // Take the old number for a new ready vpoll fd: the lowest free numbers go first.
            for (int i = 0; i < 64 && reused < 0; i++) {
                VpollFd next = NettyLoops.vpoll(backend, IN | OUT);
                held.add(next);
                if (next.fd() == number) {
                    reused = number;
                } // else a lower hole, or the number was in transient use (FUSE opens a path first)
            }
            if (reused < 0) {
                String holder;
                try {
                    holder = Files.readSymbolicLink(Path.of("/proc/self/fd/" + number)).toString();
                } catch (java.io.IOException e) {
                    holder = "nothing now";
                }
                String why = "could not obtain fd number " + number + " again (held by " + holder + ")";
                throw Skip.because(why);
            }
            Path link = Path.of("/proc/self/fd/" + reused);
            String target = Files.readSymbolicLink(link).toString();
            // The new file under the old number is readable and writable, yet the loop stays silent.
            Thread.sleep(200);
            loop.submit(() -> { }).sync();
            assertEquals(callsAtClose, oldRec.calls.get(), "old listener called for the reused number");
            if (kind == Kind.EPOLL) {
                assertEquals(List.of(), NettyLoops.epollSetsWatching(reused), "epoll sets watching the reused number");
            }
            // Netty closes every handle when the loop ends: the reused number must survive that.
            NettyLoops.shutdown(group);
            assertEquals(target, Files.readSymbolicLink(link).toString(), "fd " + reused + " after the loop ended");
        } finally {
            NettyLoops.shutdown(group);
            held.forEach(VpollFd::close);
            if (idle != null) {
                idle.close();
            }
        }
    }

    @ParameterizedTest(name = "{0} over {1}")
    @MethodSource("transportsAndBackends")
    void shuttingTheLoopDownClosesItsVpollFds(Kind kind, Backend backend) throws Exception {
        NettyLoops.require(kind, backend);
        IoEventLoopGroup group = NettyLoops.group(kind);
        VpollFd vfd = NettyLoops.vpoll(backend, IN);
        VpollRegistration reg;
        try {
            reg = VpollNetty.register(NettyLoops.loop(group), vfd, IN, (r, e) -> { }).sync().getNow();
        } finally {
            NettyLoops.shutdown(group);
        }
        // Netty closes its handles on the way out, or (with a zero quiet period) may not: then
        // the loop's termination does it.
        NettyLoops.await("vpoll fd open after the loop ended", () -> vfd.isOpen() ? 1 : 0, 0);
        assertTrue(reg.close().await(10, TimeUnit.SECONDS));
        assertTrue(reg.close().isSuccess());
        assertFalse(reg.isOpen());
        // registering on a loop that has ended is refused and leaves the fd to the caller
        try (VpollFd other = NettyLoops.vpoll(backend, 0)) {
            assertThrows(IllegalStateException.class,
                    () -> VpollNetty.register(NettyLoops.loop(group), other, IN, (r, e) -> { }));
            assertTrue(other.isOpen());
        }
    }

    @ParameterizedTest(name = "{0} over {1}")
    @MethodSource("transportsAndBackends")
    void refusesWhatTheTransportCannotWatch(Kind kind, Backend backend) throws Exception {
        NettyLoops.require(kind, backend);
        IoEventLoopGroup group = NettyLoops.group(kind);
        try (VpollFd vfd = NettyLoops.vpoll(backend, 0)) {
            IoEventLoop loop = NettyLoops.loop(group);
            int bad = kind == Kind.EPOLL ? ERR : PRI;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> VpollNetty.register(loop, vfd, IN | bad, (r, ev) -> { }));
            assertTrue(e.getMessage().contains(Events.toString(bad)), e.getMessage());
            if (kind == Kind.EPOLL) {
                assertThrows(IllegalArgumentException.class, () -> VpollNetty.register(loop, vfd, 0, (r, ev) -> { }));
            }
            assertTrue(vfd.isOpen());
            VpollRegistration reg = VpollNetty.register(loop, vfd, IN, (r, ev) -> { }).sync().getNow();
            assertThrows(IllegalArgumentException.class, () -> reg.interest(IN | bad));
            assertEquals(IN, reg.interest());
            reg.close().sync();
            assertThrows(ClosedChannelException.class, () -> VpollNetty.register(loop, vfd, IN, (r, ev) -> { }));
        } finally {
            NettyLoops.shutdown(group);
        }
    }

    private static void set(VpollFd vfd, Backend backend, int events) throws Exception {
        if ((backend == Backend.EMULATION || backend == Backend.EMULATION_TCP) && (events & (HUP | RDHUP)) != 0) {
            vfd.add(events); // a socket shutdown cannot be undone: add on top
        } else {
            vfd.set(events);
        }
    }

    private static void assertNoCallWithin(Recorder rec, long millis) throws InterruptedException {
        Thread.sleep(20); // let a call already under way finish
        int calls = rec.calls.get();
        Thread.sleep(millis);
        assertEquals(calls, rec.calls.get(), "listener called for unwatched events (last mask 0x"
                + Integer.toHexString(rec.last.get()) + ")");
    }

    /**
     * Runs two empty tasks on the loop. NIO: the JDK releases a closed channel's descriptor when
     * its selector deregisters the key, in the select after the close; each task wakes one.
     */
    private static void settle(IoEventLoop loop) throws InterruptedException {
        loop.submit(() -> { }).sync();
        loop.submit(() -> { }).sync();
    }

    private static Thread eventLoopThread(IoEventLoop loop) throws Exception {
        return loop.submit(Thread::currentThread).get(10, TimeUnit.SECONDS);
    }
}
