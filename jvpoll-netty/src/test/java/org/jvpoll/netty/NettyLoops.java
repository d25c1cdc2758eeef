package org.jvpoll.netty;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.stream.Stream;

import io.netty.channel.IoEventLoop;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import org.jvpoll.Backend;
import org.jvpoll.VpollFd;
import org.jvpoll.testing.Skip;

/** Test fixtures: the transports and backends every test runs against, and fd observation. */
final class NettyLoops {
    private NettyLoops() {}

    enum Kind {
        NIO, EPOLL;

        IoHandlerFactory factory() {
            return this == NIO ? NioIoHandler.newFactory() : EpollIoHandler.newFactory();
        }

        Class<? extends ServerChannel> serverChannel() {
            return this == NIO ? NioServerSocketChannel.class : EpollServerSocketChannel.class;
        }
    }

    /** Skips, printing why, when the transport or backend cannot run here. */
    static void require(Kind kind, Backend backend) {
        String why = null;
        if (kind == Kind.EPOLL && !Epoll.isAvailable()) {
            why = "Netty epoll transport not available: " + Epoll.unavailabilityCause();
        } else if (!backend.isAvailable()) {
            why = "backend " + backend.id() + " not available here: " + backend.availability();
        }
        if (why != null) {
            throw Skip.because(why);
        }
    }

    static IoEventLoopGroup group(Kind kind) {
        return new MultiThreadIoEventLoopGroup(1, kind.factory());
    }

    static IoEventLoop loop(IoEventLoopGroup group) {
        return group.next();
    }

    static void shutdown(IoEventLoopGroup group) {
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    }

    static VpollFd vpoll(Backend backend, int events) throws IOException {
        return VpollFd.create(events, VpollFd.Options.DEFAULT.backend(backend));
    }

    /**
     * Open descriptors of this process, number to link target, the JVM's own jar and class files
     * left out (it opens and closes them on its own schedule, see Probe).
     */
    static Map<Integer, String> openFds() {
        Map<Integer, String> fds = new TreeMap<>();
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : s.toList()) {
                String target;
                try {
                    target = Files.readSymbolicLink(p).toString();
                } catch (IOException e) {
                    continue; // closed while listing (the listing's own, for one)
                }
                if (!(target.endsWith(".jar") || target.endsWith(".jmod") || target.endsWith(".class")
                        || target.startsWith(System.getProperty("java.home"))
                        || target.matches("/proc/\\d+/fd"))) { // the listing's own
                    fds.put(Integer.parseInt(p.getFileName().toString()), target);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return fds;
    }

    /**
     * Waits until every descriptor open now was open in {@code before} too (same number, same
     * target); descriptors that closed meanwhile (other code's) do not matter.
     */
    static void awaitNoLeak(String what, Map<Integer, String> before) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Map<Integer, String> extra;
        while (!(extra = extra(before)).isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": descriptors left open: " + extra);
            }
            Thread.sleep(1);
        }
    }

    private static Map<Integer, String> extra(Map<Integer, String> before) {
        Map<Integer, String> now = openFds();
        now.entrySet().removeIf(e -> e.getValue().equals(before.get(e.getKey())));
        return now;
    }

    /** @return the epoll instances of this process whose interest list holds fd number {@code fd} */
    static List<Integer> epollSetsWatching(int fd) throws IOException {
        List<Integer> sets = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            for (Path p : s.toList()) {
                String target;
                try {
                    target = Files.readSymbolicLink(p).toString();
                } catch (IOException e) {
                    continue; // closed while listing
                }
                if (!target.equals("anon_inode:[eventpoll]")) {
                    continue;
                }
                int epfd = Integer.parseInt(p.getFileName().toString());
                List<String> info;
                try {
                    info = Files.readAllLines(Path.of("/proc/self/fdinfo/" + epfd));
                } catch (IOException e) {
                    continue;
                }
                // "tfd:       12 events:       19 data: ..."
                if (info.stream().anyMatch(l -> l.matches("tfd:\\s+" + fd + "\\s.*"))) {
                    sets.add(epfd);
                }
            }
        }
        return sets;
    }

    /** Waits until {@code value} returns {@code expected}; fails with {@code what} after 10 s. */
    static void await(String what, IntSupplier value, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int v;
        while ((v = value.getAsInt()) != expected) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": expected " + expected + " (0x" + Integer.toHexString(expected)
                        + "), still " + v + " (0x" + Integer.toHexString(v) + ")");
            }
            Thread.sleep(1);
        }
    }
}
