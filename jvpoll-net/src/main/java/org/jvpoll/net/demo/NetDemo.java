package org.jvpoll.net.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.jvpoll.Events;
import org.jvpoll.net.NetConfig;
import org.jvpoll.net.NetStack;
import org.jvpoll.net.TcpListener;
import org.jvpoll.net.TcpSocket;

/**
 * {@code bin/jvpoll net-demo} and {@code bin/jvpoll net-bench}: run inside a fresh network
 * namespace (the script starts this under {@code unshare -n}). The demo serves 1 MiB over HTTP
 * from lwIP to curl on the kernel's side of a TAP interface, with the listener and the connection
 * waited on through their vpoll fds in a JDK Selector, and prints every step. The bench measures
 * TCP throughput through the user-level stack over the TAP next to kernel loopback TCP, in the
 * same run, and prints a Markdown table.
 */
public final class NetDemo {
    private NetDemo() {}

    static final String TAP = "vpdemo0";
    static final String KERNEL_IP = "10.99.0.1";
    static final String STACK_IP = "10.99.0.2";

    /** @param args "demo" or "bench [MiB]" */
    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "demo";
        sh("ip", "link", "set", "lo", "up");
        switch (mode) {
            case "demo" -> demo();
            case "bench" -> bench(args.length > 1 ? Integer.parseInt(args[1]) : 32);
            default -> {
                System.err.println("usage: NetDemo demo | bench [MiB]");
                System.exit(2);
            }
        }
        System.exit(0);
    }

    private static NetStack stack() throws IOException, InterruptedException {
        NetStack net = NetStack.open(NetConfig.tap(TAP).ipv4(STACK_IP, 24).gateway(KERNEL_IP));
        sh("ip", "addr", "add", KERNEL_IP + "/24", "dev", TAP);
        sh("ip", "link", "set", TAP, "up");
        return net;
    }

    private static void demo() throws Exception {
        byte[] body = new byte[1 << 20];
        new Random(1).nextBytes(body);
        System.out.println("net-demo: in a fresh network namespace (unshare -n); lwIP from " + lib());
        try (NetStack net = stack(); TcpListener server = net.listen(80); Selector sel = Selector.open()) {
            System.out.println("1. " + net + " attached to TAP " + TAP + "; kernel side " + KERNEL_IP + "/24:");
            System.out.print(indent(sh("ip", "-brief", "addr", "show", TAP)));
            System.out.println("2. HTTP server on lwIP port 80; its listener is vpoll fd " + server.vpollFd().fd()
                    + " (" + server.vpollFd().backend() + " backend), events now " + Events.toString(server.events()));
            server.configureBlocking(false);
            SelectableChannel lch = server.channel();
            lch.configureBlocking(false);
            lch.register(sel, SelectionKey.OP_READ, server);
            Path out = Files.createTempFile("jvpoll-net-demo", ".bin");
            ProcessBuilder pb = new ProcessBuilder("curl", "-sS", "--max-time", "60", "-o", out.toString(),
                    "-w", "%{http_code} %{size_download} bytes %{speed_download} B/s", "http://" + STACK_IP + "/");
            pb.redirectErrorStream(true);
            System.out.println("3. kernel side runs: curl http://" + STACK_IP + "/");
            Process curl = pb.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            boolean served = false;
            while (!served && System.nanoTime() < deadline) {
                sel.select(1000);
                for (SelectionKey k : sel.selectedKeys()) {
                    if (k.attachment() instanceof TcpListener l) {
                        System.out.println("4. Selector: listener vpoll fd ready, events " + Events.toString(l.events()));
                        TcpSocket c = l.accept();
                        if (c == null) {
                            continue;
                        }
                        System.out.println("5. accepted " + c.remoteAddress() + " as vpoll fd " + c.vpollFd().fd()
                                + ", events " + Events.toString(c.events()));
                        c.configureBlocking(false);
                        SelectableChannel ch = c.channel();
                        ch.configureBlocking(false);
                        ch.register(sel, SelectionKey.OP_READ, c);
                    } else if (k.attachment() instanceof TcpSocket c) {
                        System.out.println("6. Selector: connection readable, events " + Events.toString(c.events()));
                        byte[] req = new byte[4096];
                        int n = c.read(req, 0, req.length);
                        System.out.println("   request: " + new String(req, 0, Math.max(n, 0), StandardCharsets.US_ASCII)
                                .lines().findFirst().orElse("(none)"));
                        c.configureBlocking(true);
                        byte[] head = ("HTTP/1.1 200 OK\r\nContent-Length: " + body.length
                                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
                        c.write(head, 0, head.length);
                        c.write(body, 0, body.length);
                        System.out.println("7. wrote 1 MiB; events " + Events.toString(c.events()));
                        k.cancel();
                        c.close();
                        served = true;
                    }
                }
                sel.selectedKeys().clear();
            }
            String r = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            curl.waitFor(60, TimeUnit.SECONDS);
            byte[] got = Files.readAllBytes(out);
            Files.delete(out);
            System.out.println("8. curl: " + r);
            String a = sha256(body), b = sha256(got);
            System.out.println("   sha256 sent     " + a + "\n   sha256 received " + b);
            long[] f = net.frameCounts();
            System.out.println("   TAP frames in " + f[0] + ", out " + f[1] + ", dropped in " + f[2] + ", out " + f[3]);
            System.out.println(a.equals(b) && got.length == body.length ? "net-demo: OK" : "net-demo: MISMATCH");
            if (!a.equals(b)) {
                System.exit(1);
            }
        }
    }

    private static void bench(int mib) throws Exception {
        long bytes = (long) mib << 20;
        System.out.println("net-bench: " + mib + " MiB per direction, best of 3; lwIP from " + lib() + "; "
                + Runtime.getRuntime().availableProcessors() + " CPUs");
        double[] user = new double[2], kernel = new double[2];
        try (NetStack net = stack()) {
            for (int i = 0; i < 3; i++) {
                user[0] = Math.max(user[0], userRun(net, bytes, true));
                user[1] = Math.max(user[1], userRun(net, bytes, false));
                kernel[0] = Math.max(kernel[0], kernelRun(bytes, true));
                kernel[1] = Math.max(kernel[1], kernelRun(bytes, false));
            }
        }
        System.out.println();
        System.out.println("| path | server sends, client receives | client sends, server receives |");
        System.out.println("|---|---|---|");
        System.out.printf("| jvpoll-net: lwIP server (blocking TcpSocket) over TAP, kernel client | %.0f MB/s | %.0f MB/s |%n",
                user[0], user[1]);
        System.out.printf("| kernel loopback TCP: java.net.Socket server and client on 127.0.0.1 | %.0f MB/s | %.0f MB/s |%n",
                kernel[0], kernel[1]);
        System.out.printf("%nratio (kernel loopback / lwIP over TAP): %.1fx and %.1fx%n", kernel[0] / user[0], kernel[1] / user[1]);
    }

    /** @return MB/s for {@code bytes} between a user-level socket and a kernel socket over the TAP */
    private static double userRun(NetStack net, long bytes, boolean userSends) throws Exception {
        try (TcpListener l = net.listen(new InetSocketAddress(0), 4)) {
            int port = l.localAddress().getPort();
            Counter peer = new Counter(new InetSocketAddress(STACK_IP, port), bytes, !userSends);
            long t0 = System.nanoTime();
            peer.start();
            try (TcpSocket c = l.accept()) {
                byte[] buf = new byte[65536];
                long done = 0;
                if (userSends) {
                    while (done < bytes) {
                        int k = (int) Math.min(buf.length, bytes - done);
                        c.write(buf, 0, k);
                        done += k;
                    }
                    c.shutdownOutput();
                    while (c.read(buf, 0, buf.length) >= 0) {
                        // until the peer closes: all data arrived
                    }
                } else {
                    int n;
                    while ((n = c.read(buf, 0, buf.length)) > 0) {
                        done += n;
                    }
                    if (done != bytes) {
                        throw new IOException("received " + done + " of " + bytes);
                    }
                }
            }
            peer.join(120_000);
            if (peer.error != null) {
                throw new IOException("kernel peer failed", peer.error);
            }
            return bytes / ((System.nanoTime() - t0) / 1e9) / 1e6;
        }
    }

    private static double kernelRun(long bytes, boolean serverSends) throws Exception {
        try (ServerSocket ss = new ServerSocket()) {
            ss.bind(new InetSocketAddress("127.0.0.1", 0));
            Counter peer = new Counter((InetSocketAddress) ss.getLocalSocketAddress(), bytes, !serverSends);
            long t0 = System.nanoTime();
            peer.start();
            try (Socket c = ss.accept()) {
                byte[] buf = new byte[65536];
                long done = 0;
                if (serverSends) {
                    OutputStream o = c.getOutputStream();
                    while (done < bytes) {
                        int k = (int) Math.min(buf.length, bytes - done);
                        o.write(buf, 0, k);
                        done += k;
                    }
                    c.shutdownOutput();
                    while (c.getInputStream().read(buf) >= 0) {
                        // until the peer closes
                    }
                } else {
                    InputStream in = c.getInputStream();
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        done += n;
                    }
                }
            }
            peer.join(120_000);
            return bytes / ((System.nanoTime() - t0) / 1e9) / 1e6;
        }
    }

    /** The kernel-side peer: sends {@code bytes} then closes, or reads to end of stream then closes. */
    private static final class Counter extends Thread {
        final InetSocketAddress to;
        final long bytes;
        final boolean send;
        volatile Throwable error;

        Counter(InetSocketAddress to, long bytes, boolean send) {
            this.to = to;
            this.bytes = bytes;
            this.send = send;
            setDaemon(true);
        }

        @Override
        public void run() {
            try (Socket s = new Socket()) {
                s.connect(to, 10_000);
                s.setSoTimeout(60_000);
                byte[] buf = new byte[65536];
                if (send) {
                    long done = 0;
                    OutputStream o = s.getOutputStream();
                    while (done < bytes) {
                        int k = (int) Math.min(buf.length, bytes - done);
                        o.write(buf, 0, k);
                        done += k;
                    }
                    s.shutdownOutput();
                } else {
                    long got = 0;
                    int n;
                    while ((n = s.getInputStream().read(buf)) > 0) {
                        got += n;
                    }
                    if (got != bytes) {
                        throw new IOException("kernel side received " + got + " of " + bytes);
                    }
                }
            } catch (Throwable t) {
                error = t;
            }
        }
    }

    private static String lib() {
        try {
            return sh("dpkg-query", "-W", "-f", "${Package} ${Version}", "liblwip0").trim();
        } catch (IOException | InterruptedException e) {
            return "liblwip.so.0";
        }
    }

    private static String indent(String s) {
        return s.lines().map(l -> "   " + l + "\n").reduce("", String::concat);
    }

    private static String sha256(byte[] b) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    private static String sh(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }

}
