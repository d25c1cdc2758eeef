package org.jvpoll.examples;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A small line-based chat server: one {@code Selector.open()} selector serves real TCP clients
 * and a user-level {@link UserSocket} (backed by a vpoll fd) in the same loop.
 *
 * <ul>
 * <li>A line from TCP client N goes to every other client as {@code tcp-N: line} and to the user
 *     socket.</li>
 * <li>A message the application sends on the user socket goes to every TCP client as
 *     {@code user: message}.</li>
 * </ul>
 *
 * <p>Run: {@code java --enable-native-access=org.jvpoll -p <jars> -m
 * org.jvpoll.examples/org.jvpoll.examples.MixedNioServer [port]}. With no port it picks one.
 * The demo application thread greets each TCP line it receives with {@code user: got "line"}.
 */
public final class MixedNioServer implements AutoCloseable {
    private final Selector selector;
    private final ServerSocketChannel server;
    private final UserSocket user;
    private final SelectionKey userKey;
    private final List<Client> clients = new ArrayList<>();
    /** Messages for the user socket that did not fit yet (OP_WRITE pending on userKey). */
    private final ArrayDeque<String> toUser = new ArrayDeque<>();
    private int nextClientId = 1;
    private volatile int accepted;

    private static final class Client {
        final int id;
        final SocketChannel channel;
        final ByteBuffer in = ByteBuffer.allocate(4096);
        ByteBuffer out = ByteBuffer.allocate(0);

        Client(int id, SocketChannel channel) {
            this.id = id;
            this.channel = channel;
        }
    }

    public MixedNioServer(int port, UserSocket user) throws IOException {
        this.selector = Selector.open();
        this.server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        this.user = user;
        server.configureBlocking(false);
        server.register(selector, SelectionKey.OP_ACCEPT);
        this.userKey = user.channel().register(selector, SelectionKey.OP_READ);
    }

    /** @return the bound TCP address */
    public InetSocketAddress address() throws IOException {
        return (InetSocketAddress) server.getLocalAddress();
    }

    /** Runs the loop until the selector is closed ({@link #close()} from another thread). */
    public void run() throws IOException {
        while (selector.isOpen()) {
            try {
                selector.select();
                for (SelectionKey key : selector.selectedKeys()) {
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key == userKey) {
                        serveUserSocket(key);
                    } else if (key.isAcceptable()) {
                        accept();
                    } else {
                        serveClient(key);
                    }
                }
                selector.selectedKeys().clear();
            } catch (java.nio.channels.ClosedSelectorException e) {
                return;
            }
        }
    }

    private void serveUserSocket(SelectionKey key) throws IOException {
        if (key.isReadable()) {
            for (String m : user.receive()) {
                broadcast(null, "user: " + m);
            }
        }
        if (key.isWritable()) {
            while (!toUser.isEmpty() && user.deliver(toUser.peek())) {
                toUser.poll();
            }
            if (toUser.isEmpty()) {
                key.interestOps(SelectionKey.OP_READ);
            }
        }
    }

    private void accept() throws IOException {
        SocketChannel ch = server.accept();
        if (ch == null) {
            return;
        }
        ch.configureBlocking(false);
        Client c = new Client(nextClientId++, ch);
        clients.add(c);
        ch.register(selector, SelectionKey.OP_READ, c);
        accepted++; // written by the loop thread only
    }

    /** @return how many TCP clients the loop has accepted so far */
    public int acceptedClients() {
        return accepted;
    }

    private void serveClient(SelectionKey key) throws IOException {
        Client c = (Client) key.attachment();
        if (key.isWritable()) {
            c.channel.write(c.out);
            if (!c.out.hasRemaining()) {
                key.interestOps(SelectionKey.OP_READ);
            }
        }
        if (key.isReadable()) {
            int n = c.channel.read(c.in);
            if (n < 0) {
                clients.remove(c);
                c.channel.close();
                return;
            }
            c.in.flip();
            int start = 0;
            for (int i = c.in.position(); i < c.in.limit(); i++) {
                if (c.in.get(i) == '\n') {
                    String line = new String(c.in.array(), start, i - start, StandardCharsets.UTF_8).strip();
                    start = i + 1;
                    broadcast(c, "tcp-" + c.id + ": " + line);
                    toUser.add("tcp-" + c.id + ": " + line);
                    userKey.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                }
            }
            c.in.position(start);
            c.in.compact();
        }
    }

    private void broadcast(Client from, String line) throws IOException {
        byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
        for (Client c : clients) {
            if (c == from) {
                continue;
            }
            if (!c.out.hasRemaining()) {
                c.out = ByteBuffer.wrap(bytes);
            } else {
                ByteBuffer joined = ByteBuffer.allocate(c.out.remaining() + bytes.length);
                joined.put(c.out).put(bytes).flip();
                c.out = joined;
            }
            c.channel.write(c.out);
            if (c.out.hasRemaining()) {
                c.channel.keyFor(selector).interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            }
        }
    }

    @Override
    public void close() throws IOException {
        selector.close();
        server.close();
        for (Client c : clients) {
            c.channel.close();
        }
    }

    public static void main(String[] args) throws Exception {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        try (UserSocket user = new UserSocket(16);
             MixedNioServer server = new MixedNioServer(port, user)) {
            Thread app = new Thread(() -> {
                try {
                    for (;;) {
                        String m = user.take(Long.MAX_VALUE);
                        if (m != null) {
                            user.send("got \"" + m + "\"");
                        }
                    }
                } catch (InterruptedException | IOException e) {
                    // the server is shutting down
                }
            }, "user-socket-app");
            app.setDaemon(true);
            app.start();
            InetSocketAddress a = server.address();
            System.out.println("listening on " + a.getHostString() + ":" + a.getPort()
                    + " (TCP clients and a vpoll-backed user socket in one Selector)");
            System.out.flush();
            server.run();
        }
    }
}
