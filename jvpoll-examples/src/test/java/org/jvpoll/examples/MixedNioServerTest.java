package org.jvpoll.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.Socket;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.jvpoll.VpollFd;

/** The example server: TCP clients and a vpoll-backed user socket served by one Selector. */
class MixedNioServerTest {

    record Peer(Socket socket, BufferedReader in, PrintWriter out) implements AutoCloseable {
        static Peer connect(java.net.InetSocketAddress a) throws IOException {
            Socket s = new Socket(a.getAddress(), a.getPort());
            s.setSoTimeout(5000);
            return new Peer(s, new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)),
                    new PrintWriter(s.getOutputStream(), true, StandardCharsets.UTF_8));
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    @Test
    void tcpClientsAndTheUserSocketTalkThroughOneSelector() throws Exception {
        try (UserSocket user = new UserSocket(2); MixedNioServer server = new MixedNioServer(0, user)) {
            MixedNioServer stopper = server;
            Thread loop = new Thread(() -> {
                try {
                    server.run();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }, "server-loop");
            loop.start();
            try (Peer a = Peer.connect(server.address()); Peer b = Peer.connect(server.address())) {
                // Both accepted before any traffic, so both are in every broadcast.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (server.acceptedClients() < 2 && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                assertEquals(2, server.acceptedClients());
                a.out().println("hello");
                assertEquals("tcp-1: hello", b.in().readLine());
                b.out().println("hi");
                assertEquals("tcp-2: hi", a.in().readLine());
                assertEquals("tcp-1: hello", user.take(5000), "TCP lines reach the user socket");
                assertEquals("tcp-2: hi", user.take(5000));

                user.send("welcome");
                assertEquals("user: welcome", a.in().readLine(), "the user socket's IN wakes the loop");
                assertEquals("user: welcome", b.in().readLine());

                // Back-pressure: the inbox holds 2; the loop waits for OP_WRITE (OUT) for the rest.
                for (int i = 0; i < 6; i++) {
                    a.out().println("m" + i);
                }
                for (int i = 0; i < 6; i++) {
                    assertEquals("tcp-1: m" + i, b.in().readLine());
                }
                List<String> got = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    String m = user.take(5000);
                    assertNotNull(m, "message " + i + " delivered once the inbox had room");
                    got.add(m);
                }
                assertEquals(List.of("tcp-1: m0", "tcp-1: m1", "tcp-1: m2", "tcp-1: m3", "tcp-1: m4", "tcp-1: m5"), got);
            } finally {
                stopper.close(); // ends the loop: close() is idempotent, the resource closes again harmlessly
                loop.join(5000);
            }
            assertFalse(loop.isAlive());
        }
    }

    static Path location(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    @Test
    void theExampleRunsOnTheModulePathWithNoAddOpens() throws Exception {
        String javaExe = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String modulePath = location(VpollFd.class) + java.io.File.pathSeparator + location(MixedNioServer.class);
        Path err = Files.createTempFile("mixed-nio-server", ".err");
        Process p = new ProcessBuilder(javaExe, "--enable-native-access=org.jvpoll", "-p", modulePath,
                "-m", "org.jvpoll.examples/org.jvpoll.examples.MixedNioServer", "0")
                .redirectError(err.toFile()).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String banner = out.readLine();
            assertNotNull(banner, "the server printed nothing; stderr: " + Files.readString(err));
            assertTrue(banner.startsWith("listening on 127.0.0.1:"), banner);
            int port = Integer.parseInt(banner.substring("listening on 127.0.0.1:".length()).split(" ")[0]);
            try (Peer peer = Peer.connect(new java.net.InetSocketAddress("127.0.0.1", port))) {
                peer.out().println("ping");
                // The demo application answers every line through the vpoll-backed user socket.
                assertEquals("user: got \"tcp-1: ping\"", peer.in().readLine());
            }
        } finally {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        String stderr = Files.readString(err);
        Files.delete(err);
        assertFalse(stderr.contains("WARNING"), "no JDK warning (native access is granted by the flag): " + stderr);
        assertFalse(stderr.contains("Exception"), stderr);
    }
}
