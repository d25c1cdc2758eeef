package org.jvpoll.net;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.jvpoll.VpollFd;

/**
 * The namespace scenarios: each runs in a child JVM inside a fresh network namespace
 * ({@code unshare -n}, see {@link NetNamespace}), so its TAP interface, addresses and traffic
 * exist only there. Each prints "PASS name: ..." lines and exits 0, or throws.
 */
public final class Scenarios {
    private Scenarios() {}

    static final String KERNEL_IP = "10.77.0.1";
    static final String STACK_IP = "10.77.0.2";
    static final String TAP = "jvp0";

    public static void main(String[] args) throws Exception {
        String backend = System.getProperty("jvpoll.net.test.backend", "emulation");
        VpollFd.Options opts = VpollFd.Options.DEFAULT.backend(Backend.valueOf(backend.toUpperCase().replace('-', '_')));
        sh("ip", "link", "set", "lo", "up"); // the emulation backend's loopback connections
        switch (args[0]) {
            case "curl" -> curl(opts);
            default -> throw new IllegalArgumentException("no scenario " + args[0]);
        }
        System.out.println("SCENARIO-DONE " + args[0]);
        System.exit(0);
    }

    static NetStack stack(VpollFd.Options opts) throws IOException, InterruptedException {
        NetStack net = NetStack.open(NetConfig.tap(TAP).ipv4(STACK_IP, 24).gateway(KERNEL_IP).vpollOptions(opts));
        sh("ip", "addr", "add", KERNEL_IP + "/24", "dev", TAP);
        sh("ip", "link", "set", TAP, "up");
        return net;
    }

    static String sh(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + String.join(" ", cmd));
        }
        String s = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " exited " + p.exitValue() + ": " + s);
        }
        return s;
    }

    static byte[] body(int n) {
        byte[] b = new byte[n];
        new Random(42).nextBytes(b);
        return b;
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** An HTTP server on the user-level stack answers curl from the kernel's side: 1 MiB, checksum compared. */
    static void curl(VpollFd.Options opts) throws Exception {
        byte[] body = body(1 << 20);
        try (NetStack net = stack(opts); TcpListener server = net.listen(8080)) {
            System.out.println("stack " + net + ", listener vpoll fd " + server.vpollFd());
            Thread t = new Thread(() -> {
                try (TcpSocket c = server.accept()) {
                    System.out.println("accepted " + c.remoteAddress() + " events " + Events.toString(c.events()));
                    String req = readRequest(c);
                    System.out.println("request line: " + req.lines().findFirst().orElse(""));
                    byte[] head = ("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: "
                            + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
                    c.write(head, 0, head.length);
                    c.write(body, 0, body.length);
                } catch (IOException e) {
                    e.printStackTrace();
                }
            }, "http-server");
            t.start();
            Path out = Files.createTempFile("jvpoll-net-curl", ".bin");
            try {
                long t0 = System.nanoTime();
                String r = sh("curl", "-sS", "--max-time", "60", "-o", out.toString(), "-w", "%{http_code} %{size_download}",
                        "http://" + STACK_IP + ":8080/");
                long ms = (System.nanoTime() - t0) / 1_000_000;
                byte[] got = Files.readAllBytes(out);
                System.out.println("curl: " + r + " in " + ms + " ms; sha256 sent " + sha256(body) + " received " + sha256(got));
                check(r.startsWith("200 "), "HTTP 200");
                check(got.length == body.length, "length " + got.length);
                check(sha256(body).equals(sha256(got)), "checksum");
            } finally {
                Files.deleteIfExists(out);
            }
            t.join(10_000);
            check(!t.isAlive(), "server thread done");
            System.out.println("PASS curl: 1 MiB over lwIP/TAP to curl, checksum equal; frames in/out/drop "
                    + java.util.Arrays.toString(net.frameCounts()));
        }
    }

    static String readRequest(TcpSocket c) throws IOException {
        ByteArrayOutputStream req = new ByteArrayOutputStream();
        byte[] b = new byte[4096];
        while (!req.toString(StandardCharsets.US_ASCII).contains("\r\n\r\n")) {
            int n = c.read(b, 0, b.length);
            if (n < 0) {
                throw new IOException("end of stream before the request was complete");
            }
            req.write(b, 0, n);
        }
        return req.toString(StandardCharsets.US_ASCII);
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError("check failed: " + what);
        }
    }

    static void unused(ServerSocket a, Socket b, SelectableChannel c, SelectionKey d, Selector e, ServerSocketChannel f,
                       SocketChannel g, InputStream h, OutputStream i, ByteBuffer j, InetSocketAddress k, List<?> l) {
    }
}
