package org.jvpoll.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.jvpoll.Events;
import org.jvpoll.VpollFd;

/** The thread-per-connection echo server on virtual threads, with TCP clients and user-socket peers. */
class VirtualThreadEchoServerTest {
    @Test
    void servesTcpClientsAndUserPeersAtOnceOnVirtualThreads() throws Exception {
        try (VirtualThreadEchoServer server = new VirtualThreadEchoServer(0)) {
            int tcpClients = 20;
            AtomicInteger tcpGood = new AtomicInteger();
            CompletableFuture<Integer> user = new CompletableFuture<>();
            try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < tcpClients; i++) {
                    int id = i;
                    clients.submit(() -> {
                        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port());
                             BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                             PrintWriter out = new PrintWriter(s.getOutputStream(), true, StandardCharsets.UTF_8)) {
                            for (int l = 0; l < 5; l++) {
                                out.println("tcp-" + id + " " + l);
                                if (("tcp-" + id + " " + l).equals(in.readLine())) {
                                    tcpGood.incrementAndGet();
                                }
                            }
                        }
                        return null;
                    });
                }
                clients.submit(() -> user.complete(server.runUserPeers(500, 4)));
            }
            assertEquals(tcpClients * 5, tcpGood.get());
            assertEquals(500 * 4, user.get(60, TimeUnit.SECONDS));
            assertEquals(tcpClients, server.tcpServed());
            assertEquals(500, server.userServed());
            assertEquals(tcpClients + 500, server.servedOnVirtualThreads());
        }
    }

    @Test
    void aUserSocketBlocksAWriterWhileThePeersInboxIsFullAndSeesTheClose() throws Exception {
        BlockingUserSocket[] pair = BlockingUserSocket.pair(1);
        BlockingUserSocket a = pair[0];
        BlockingUserSocket b = pair[1];
        try {
            a.write("one");
            assertEquals(0, a.events() & Events.OUT, "b's inbox is full: no OUT on a");
            CompletableFuture<Void> second = CompletableFuture.runAsync(() -> {
                try {
                    a.write("two");
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }, Executors.newVirtualThreadPerTaskExecutor());
            assertFalse(waitsFor(second), "the writer waits for room");
            assertEquals("one", b.read());
            second.get(10, TimeUnit.SECONDS);
            assertEquals("two", b.read());
            CompletableFuture<String> reader = CompletableFuture.supplyAsync(() -> {
                try {
                    return b.read();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }, Executors.newVirtualThreadPerTaskExecutor());
            assertFalse(waitsFor(reader), "the reader waits for a message");
            a.close();
            assertEquals(null, reader.get(10, TimeUnit.SECONDS), "EOF after the peer's close");
            assertThrows(IOException.class, () -> b.write("x"), "peer closed");
            assertThrows(ClosedChannelException.class, a::read);
        } finally {
            a.close();
            b.close();
        }
    }

    /** @return whether {@code f} completed within 200 ms (a bounded check that it still waits) */
    private static boolean waitsFor(CompletableFuture<?> f) throws Exception {
        try {
            f.get(200, TimeUnit.MILLISECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        }
    }

    /**
     * As a user runs it: on the module path, with ONE carrier thread. 2,000 user peers and their
     * 2,000 server handlers all wait in VpollFd.await at times; a pinned carrier would stop them.
     */
    @Test
    void theExampleRunsOnTheModulePathWithOneCarrier() throws Exception {
        String javaExe = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String modulePath = MixedNioServerTest.location(VpollFd.class) + java.io.File.pathSeparator
                + MixedNioServerTest.location(VirtualThreadEchoServer.class);
        Path err = Files.createTempFile("vthread-echo", ".err");
        List<String> cmd = new ArrayList<>(List.of(javaExe, "--enable-native-access=org.jvpoll",
                "-Djdk.virtualThreadScheduler.parallelism=1", "-Djdk.virtualThreadScheduler.maxPoolSize=1", "-p", modulePath,
                "-m", "org.jvpoll.examples/org.jvpoll.examples.VirtualThreadEchoServer", "0", "2000"));
        Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String banner = out.readLine();
            assertNotNull(banner, "the server printed nothing; stderr: " + Files.readString(err));
            assertTrue(banner.startsWith("listening on 127.0.0.1:"), banner);
            int port = Integer.parseInt(banner.substring("listening on 127.0.0.1:".length()).split(" ")[0]);
            String summary = out.readLine();
            assertNotNull(summary, "no summary; stderr: " + Files.readString(err));
            assertTrue(summary.startsWith("user peers: 6000 echoes of 6000 right, 2000 connections on virtual threads"), summary);
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
                 BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                 PrintWriter w = new PrintWriter(s.getOutputStream(), true, StandardCharsets.UTF_8)) {
                w.println("ping");
                assertEquals("ping", in.readLine());
            }
        } finally {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        String stderr = Files.readString(err);
        Files.delete(err);
        assertFalse(stderr.contains("WARNING"), stderr);
        assertFalse(stderr.contains("Exception"), stderr);
    }
}
