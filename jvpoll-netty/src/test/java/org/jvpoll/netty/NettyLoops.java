package org.jvpoll.netty;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
import org.junit.jupiter.api.Assumptions;
import org.jvpoll.Backend;
import org.jvpoll.VpollFd;

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
            System.out.println("SKIP " + why);
            Assumptions.assumeTrue(false, why);
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

    /** Open descriptors of this process, the JVM's own jar and class files left out (see Probe). */
    static int openFdCount() {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return (int) s.filter(NettyLoops::notJvmFile).count() - 1; // minus the listing's own
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean notJvmFile(Path fd) {
        try {
            String target = Files.readSymbolicLink(fd).toString();
            return !(target.endsWith(".jar") || target.endsWith(".jmod") || target.endsWith(".class")
                    || target.startsWith(System.getProperty("java.home")));
        } catch (IOException e) {
            return false;
        }
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
