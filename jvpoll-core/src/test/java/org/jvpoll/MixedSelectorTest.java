package org.jvpoll;

import static java.nio.channels.SelectionKey.OP_ACCEPT;
import static java.nio.channels.SelectionKey.OP_READ;
import static java.nio.channels.SelectionKey.OP_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.jvpoll.testing.BackendSelection;

/**
 * A vpoll channel in one plain {@code Selector.open()} selector with real TCP (server and
 * connection), UDP and pipe channels: each select reports exactly the channels that are ready.
 */
@ExtendWith(BackendSelection.class)
class MixedSelectorTest {

    static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    /** Selects until {@code expected} are all selected (2 s at most); @return the selected keys */
    static Set<SelectionKey> selectUntil(Selector selector, Set<SelectionKey> expected) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        Set<SelectionKey> seen = new HashSet<>();
        while (!seen.containsAll(expected) && System.nanoTime() < deadline) {
            selector.selectedKeys().clear();
            selector.select(100);
            seen = new HashSet<>(selector.selectedKeys());
        }
        return seen;
    }

    static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }

    static String read(java.nio.channels.ReadableByteChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(64);
        ch.read(b);
        return new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void oneSelectorServesTcpUdpPipeAndVpollChannels(Backend backend) throws IOException {
        VpollFd.Options options = BackendSelection.options(backend);
        try (Selector selector = Selector.open();
             ServerSocketChannel server = ServerSocketChannel.open().bind(LOOPBACK);
             DatagramChannel udp = DatagramChannel.open().bind(LOOPBACK);
             DatagramChannel udpSender = DatagramChannel.open();
             VpollFd vfd = VpollFd.create(0, options)) {
            Pipe pipe = Pipe.open();
            try (Pipe.SourceChannel source = pipe.source(); Pipe.SinkChannel sink = pipe.sink()) {
                server.configureBlocking(false);
                udp.configureBlocking(false);
                source.configureBlocking(false);
                SelectionKey acceptKey = server.register(selector, OP_ACCEPT);
                SelectionKey udpKey = udp.register(selector, OP_READ);
                SelectionKey pipeKey = source.register(selector, OP_READ);
                SelectionKey vKey = vfd.channel().configureBlocking(false).register(selector, OP_READ);
                assertEquals(0, selector.selectNow(), "nothing is ready yet");

                try (SocketChannel client = SocketChannel.open(server.getLocalAddress())) {
                    assertEquals(Set.of(acceptKey), selectUntil(selector, Set.of(acceptKey)));
                    SocketChannel conn = server.accept();
                    conn.configureBlocking(false);
                    SelectionKey connKey = conn.register(selector, OP_READ);

                    vfd.add(Events.IN);
                    assertEquals(Set.of(vKey), selectUntil(selector, Set.of(vKey)), "the vpoll event alone");
                    assertEquals(OP_READ, vKey.readyOps());

                    client.write(bytes("tcp"));
                    assertEquals(Set.of(vKey, connKey), selectUntil(selector, Set.of(vKey, connKey)),
                            "TCP data next to the still-pending vpoll IN (level-triggered)");
                    assertEquals("tcp", read(conn));
                    vfd.delete(Events.IN);
                    assertEquals(0, selector.selectNow(), "consumed: nothing ready");

                    // Everything at once: one select returns every ready channel.
                    client.write(bytes("more"));
                    udpSender.send(bytes("udp"), udp.getLocalAddress());
                    sink.write(bytes("pipe"));
                    vfd.add(Events.IN);
                    Set<SelectionKey> all = Set.of(connKey, udpKey, pipeKey, vKey);
                    assertEquals(all, selectUntil(selector, all));
                    assertEquals("more", read(conn));
                    ByteBuffer dgram = ByteBuffer.allocate(16);
                    udp.receive(dgram);
                    assertEquals("udp", new String(dgram.array(), 0, dgram.position(), StandardCharsets.US_ASCII));
                    assertEquals("pipe", read(source));
                    vfd.delete(Events.IN);
                    assertEquals(0, selector.selectNow(), "all consumed");

                    // OP_WRITE next to a writable socket.
                    vKey.interestOps(OP_WRITE);
                    connKey.interestOps(OP_WRITE);
                    assertEquals(Set.of(connKey), selectUntil(selector, Set.of(connKey)), "vpoll OUT is clear");
                    vfd.add(Events.OUT);
                    assertEquals(Set.of(connKey, vKey), selectUntil(selector, Set.of(connKey, vKey)));
                    assertEquals(OP_WRITE, vKey.readyOps());
                    conn.close();
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aSelectorThreadIsWokenByVpollEventsAndTcpTrafficAlike(Backend backend) throws Exception {
        VpollFd.Options options = BackendSelection.options(backend);
        BlockingQueue<String> woke = new ArrayBlockingQueue<>(16);
        try (Selector selector = Selector.open();
             ServerSocketChannel server = ServerSocketChannel.open().bind(LOOPBACK);
             SocketChannel client = SocketChannel.open(server.getLocalAddress());
             SocketChannel conn = server.accept();
             VpollFd vfd = VpollFd.create(0, options)) {
            Selector loopSelector = selector;
            conn.configureBlocking(false);
            conn.register(selector, OP_READ, "tcp");
            vfd.channel().configureBlocking(false).register(selector, OP_READ, "vpoll");
            Thread loop = new Thread(() -> {
                try {
                    while (selector.isOpen()) {
                        selector.select(); // no timeout: only events wake it
                        for (SelectionKey k : selector.selectedKeys()) {
                            if ("vpoll".equals(k.attachment())) {
                                vfd.delete(Events.IN); // consume
                            } else {
                                read(conn);
                            }
                            woke.add((String) k.attachment());
                        }
                        selector.selectedKeys().clear();
                    }
                } catch (java.nio.channels.ClosedSelectorException e) {
                    // the test is over
                } catch (IOException e) {
                    woke.add("error: " + e);
                }
            }, "selector-loop");
            loop.start();
            for (int i = 0; i < 5; i++) {
                vfd.add(Events.IN);
                assertEquals("vpoll", woke.poll(5, TimeUnit.SECONDS), "round " + i);
                client.write(bytes("x"));
                assertEquals("tcp", woke.poll(5, TimeUnit.SECONDS), "round " + i);
            }
            loopSelector.close(); // ends the loop thread
            loop.join(5000);
            assertTrue(woke.isEmpty(), "no spurious wakeup reported: " + woke);
        }
    }
}
