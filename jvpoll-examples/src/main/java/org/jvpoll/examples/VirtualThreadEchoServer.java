package org.jvpoll.examples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A thread-per-connection echo server on virtual threads, serving two kinds of connection with the
 * same blocking style: real TCP clients (the JDK's sockets, which park virtual threads) and
 * in-process peers on {@link BlockingUserSocket}s, whose readiness is a vpoll fd and whose waits
 * ({@code VpollFd.await}) park the virtual thread through jvpoll's poller. Neither pins a
 * carrier, so thousands of idle connections cost a few kilobytes each and no OS thread.
 *
 * <pre>
 * java --enable-native-access=org.jvpoll -p ... -m org.jvpoll.examples/org.jvpoll.examples.VirtualThreadEchoServer [port] [user peers]
 * </pre>
 * Run as a program it listens on 127.0.0.1 (port 0: any), prints the address, then runs the
 * given number of in-process user peers (default 1,000) that each send three lines and check the
 * echo, prints a summary, and keeps serving TCP clients until killed.
 */
public final class VirtualThreadEchoServer implements AutoCloseable {
    private final ServerSocket listener;
    private final ExecutorService connections = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicInteger tcpServed = new AtomicInteger();
    private final AtomicInteger userServed = new AtomicInteger();
    private final AtomicInteger servedOnVirtualThreads = new AtomicInteger();
    private final ConcurrentHashMap<AutoCloseable, Boolean> open = new ConcurrentHashMap<>();

    /** Listens on 127.0.0.1:{@code port} (0: any free port) and starts accepting. */
    public VirtualThreadEchoServer(int port) throws IOException {
        listener = new ServerSocket();
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        connections.submit(this::acceptLoop);
    }

    /** @return the TCP port the server listens on */
    public int port() {
        return listener.getLocalPort();
    }

    private Void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket s = listener.accept();
                open.put(s, true);
                connections.submit(() -> serveTcp(s));
            } catch (IOException e) {
                if (!listener.isClosed()) {
                    System.err.println("accept failed: " + e);
                }
            }
        }
        return null;
    }

    private Void serveTcp(Socket s) {
        countThread();
        tcpServed.incrementAndGet();
        try (s; BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter out = new PrintWriter(s.getOutputStream(), true, StandardCharsets.UTF_8)) {
            for (String line; (line = in.readLine()) != null; ) {
                out.println(line); // blocking reads and writes: the JDK parks this virtual thread
            }
        } catch (IOException e) {
            // the client went away, or the server closed the socket
        } finally {
            open.remove(s);
        }
        return null;
    }

    /**
     * Connects an in-process peer; the server serves the other end on a virtual thread of its own.
     *
     * @return the client's end: {@code write} a message, {@code read} its echo
     */
    public BlockingUserSocket connectUser(int capacity) throws IOException {
        BlockingUserSocket[] pair = BlockingUserSocket.pair(capacity);
        BlockingUserSocket serverEnd = pair[1];
        open.put(serverEnd, true);
        connections.submit(() -> serveUser(serverEnd));
        return pair[0];
    }

    private Void serveUser(BlockingUserSocket end) {
        countThread();
        userServed.incrementAndGet();
        try (end) {
            for (String m; (m = end.read()) != null; ) {
                end.write(m); // VpollFd.await parks this virtual thread while the peer's inbox is full
            }
        } catch (IOException e) {
            // the peer closed while we wrote, or the server closed the end
        } finally {
            open.remove(end);
        }
        return null;
    }

    private void countThread() {
        if (Thread.currentThread().isVirtual()) {
            servedOnVirtualThreads.incrementAndGet();
        }
    }

    /** @return TCP connections served so far */
    public int tcpServed() {
        return tcpServed.get();
    }

    /** @return user-socket connections served so far */
    public int userServed() {
        return userServed.get();
    }

    /** @return connections whose handler ran on a virtual thread (all of them) */
    public int servedOnVirtualThreads() {
        return servedOnVirtualThreads.get();
    }

    /** Stops accepting, closes every open connection and waits for their threads. */
    @Override
    public void close() throws IOException {
        listener.close();
        for (AutoCloseable c : List.copyOf(open.keySet())) {
            try {
                c.close();
            } catch (Exception e) {
                // closing anyway
            }
        }
        connections.close();
    }

    /**
     * Runs {@code peers} in-process clients on virtual threads, each sending {@code lines}
     * messages and reading the echoes.
     *
     * @return how many echoes came back right
     */
    public int runUserPeers(int peers, int lines) throws Exception {
        AtomicInteger good = new AtomicInteger();
        List<BlockingUserSocket> clients = new ArrayList<>();
        for (int i = 0; i < peers; i++) {
            clients.add(connectUser(2));
        }
        try (ExecutorService peerThreads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < peers; i++) {
                BlockingUserSocket c = clients.get(i);
                String name = "peer-" + i;
                peerThreads.submit(() -> {
                    try (c) {
                        for (int l = 0; l < lines; l++) {
                            String m = name + ": line " + l;
                            c.write(m);
                            if (m.equals(c.read())) {
                                good.incrementAndGet();
                            }
                        }
                    }
                    return null;
                });
            }
        }
        return good.get();
    }

    /** @param args [port] [user peers] */
    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        int peers = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        VirtualThreadEchoServer server = new VirtualThreadEchoServer(port);
        System.out.println("listening on 127.0.0.1:" + server.port() + " (echo, one virtual thread per connection)");
        long t0 = System.nanoTime();
        int good = server.runUserPeers(peers, 3);
        System.out.printf("user peers: %d echoes of %d right, %d connections on virtual threads, %.0f ms%n",
                good, peers * 3, server.servedOnVirtualThreads(), (System.nanoTime() - t0) / 1e6);
        System.out.flush();
        Thread.currentThread().join(); // keep serving TCP clients until killed
    }
}
