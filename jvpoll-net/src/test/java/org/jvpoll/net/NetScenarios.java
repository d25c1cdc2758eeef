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
public final class NetScenarios {
    private NetScenarios() {}

    static final String KERNEL_IP = "10.77.0.1";
    static final String STACK_IP = "10.77.0.2";
    static final String TAP = "jvp0";

    public static void main(String[] args) throws Exception {
        sha256(new byte[1]); // the JDK opens its random sources and its process launcher's fds once:
        sh("true");          // not leaks of the scenarios; nor is the JDK's one socket
        new Socket().close(); // kept for closing socket fds (sun.nio.ch's pre-close socketpair end)
        String backend = System.getProperty("jvpoll.net.test.backend", "emulation");
        VpollFd.Options opts = VpollFd.Options.DEFAULT.backend(Backend.valueOf(backend.toUpperCase().replace('-', '_')));
        sh("ip", "link", "set", "lo", "up"); // the emulation backend's loopback connections
        switch (args[0]) {
            case "curl" -> curl(opts);
            case "selector" -> selector(opts);
            case "client" -> client(opts);
            case "refused" -> refused(opts);
            case "reset" -> reset(opts);
            case "stackclose" -> stackClose(opts);
            case "udp" -> udp(opts);
            case "upload" -> upload(opts);
            case "multistack" -> multiStack(opts);
            case "epoll" -> epoll(opts);
            case "netty" -> NettyScenario.run(opts);
            case "ipv6" -> ipv6(opts);
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
        p.getInputStream().close(); // now, not when the reaper gets to it: the fd counts see no pipes
        p.getOutputStream().close();
        p.getErrorStream().close();
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " exited " + p.exitValue() + ": " + s);
        }
        return s;
    }

    static String shQuiet(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            return "$ " + String.join(" ", cmd) + "\n" + out;
        } catch (IOException | InterruptedException e) {
            return "$ " + String.join(" ", cmd) + ": " + e + "\n";
        }
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

    /** One Selector serves a kernel TCP listener and a user-level one, and their connections, at once. */
    static void selector(VpollFd.Options opts) throws Exception {
        int rounds = 200;
        try (NetStack net = stack(opts); TcpListener user = net.listen(7000);
             ServerSocketChannel kernel = ServerSocketChannel.open(); Selector sel = Selector.open()) {
            kernel.bind(new InetSocketAddress(KERNEL_IP, 7001));
            kernel.configureBlocking(false);
            kernel.register(sel, SelectionKey.OP_ACCEPT, "kernel-listener");
            SelectableChannel uch = user.channel();
            uch.configureBlocking(false);
            uch.register(sel, SelectionKey.OP_READ, user);
            user.configureBlocking(false);
            // two kernel clients: one to the user-level listener (over the TAP), one to the kernel listener
            EchoClient toUser = new EchoClient(new InetSocketAddress(STACK_IP, 7000), rounds);
            EchoClient toKernel = new EchoClient(new InetSocketAddress(KERNEL_IP, 7001), rounds);
            toUser.start();
            toKernel.start();
            int userBytes = 0, kernelBytes = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            ByteBuffer buf = ByteBuffer.allocate(8192);
            int closedConns = 0;
            while (closedConns < 2 && System.nanoTime() < deadline) {
                sel.select(1000);
                for (SelectionKey k : sel.selectedKeys()) {
                    Object a = k.attachment();
                    if (a instanceof TcpListener l) {
                        TcpSocket c = l.accept();
                        if (c != null) {
                            c.configureBlocking(false);
                            SelectableChannel ch = c.channel();
                            ch.configureBlocking(false);
                            ch.register(sel, SelectionKey.OP_READ, c);
                            System.out.println("selector: accepted user-level " + c.remoteAddress());
                        }
                    } else if ("kernel-listener".equals(a)) {
                        SocketChannel c = kernel.accept();
                        if (c != null) {
                            c.configureBlocking(false);
                            c.register(sel, SelectionKey.OP_READ, c);
                            System.out.println("selector: accepted kernel " + c.getRemoteAddress());
                        }
                    } else if (a instanceof TcpSocket c) {
                        buf.clear();
                        int n = c.read(buf);
                        if (n < 0) {
                            k.cancel();
                            c.close();
                            closedConns++;
                        } else if (n > 0) {
                            userBytes += n;
                            buf.flip();
                            c.configureBlocking(true); // echo all of it (small: fits the send buffer)
                            c.write(buf);
                            c.configureBlocking(false);
                        }
                    } else if (a instanceof SocketChannel c) {
                        buf.clear();
                        int n = c.read(buf);
                        if (n < 0) {
                            k.cancel();
                            c.close();
                            closedConns++;
                        } else if (n > 0) {
                            kernelBytes += n;
                            buf.flip();
                            while (buf.hasRemaining()) {
                                c.write(buf);
                            }
                        }
                    }
                }
                sel.selectedKeys().clear();
            }
            toUser.join(10_000);
            toKernel.join(10_000);
            check(toUser.ok && toKernel.ok, "both clients got their echoes: user " + toUser.ok + " kernel " + toKernel.ok
                    + " (" + toUser.error + ", " + toKernel.error + ")");
            check(closedConns == 2, "both connections ended");
            System.out.println("PASS selector: one Selector echoed " + userBytes + " bytes on a user-level socket and "
                    + kernelBytes + " on a kernel socket, " + rounds + " round trips each");
        }
    }

    /** A kernel-side client: rounds of 100-byte echo round trips, then close. */
    static final class EchoClient extends Thread {
        final InetSocketAddress target;
        final int rounds;
        volatile boolean ok;
        volatile Throwable error;

        EchoClient(InetSocketAddress target, int rounds) {
            this.target = target;
            this.rounds = rounds;
            setDaemon(true);
        }

        @Override
        public void run() {
            try (Socket s = new Socket()) {
                s.connect(target, 10_000);
                s.setSoTimeout(10_000);
                OutputStream o = s.getOutputStream();
                InputStream in = s.getInputStream();
                byte[] msg = new byte[100];
                for (int r = 0; r < rounds; r++) {
                    java.util.Arrays.fill(msg, (byte) r);
                    o.write(msg);
                    byte[] back = in.readNBytes(100);
                    if (!java.util.Arrays.equals(msg, back)) {
                        throw new IOException("echo mismatch in round " + r);
                    }
                }
                ok = true;
            } catch (Throwable t) {
                error = t;
            }
        }
    }

    /**
     * A user-level socket and a kernel socket in one EpollSet (edge of data on each); then the
     * socket's vpoll fd is taken by another process (python3, pidfd_getfd) that sees POLLIN when
     * data arrives on the user-level connection, and POLLHUP-class events when it is reset.
     */
    static void epoll(VpollFd.Options opts) throws Exception {
        try (NetStack net = stack(opts); ServerSocket kernel = new ServerSocket();
             org.jvpoll.wait.EpollSet<String> ep = org.jvpoll.wait.EpollSet.open()) {
            kernel.bind(new InetSocketAddress(KERNEL_IP, 7500));
            try (TcpSocket user = net.connect(new InetSocketAddress(KERNEL_IP, 7500))) {
                Socket peer = kernel.accept(); // closed with a reset below
                java.nio.channels.SocketChannel k1 = java.nio.channels.SocketChannel.open(new InetSocketAddress(KERNEL_IP, 7500));
                Socket k2 = kernel.accept();
                ep.add(user.vpollFd(), Events.IN, "user-level");
                k1.configureBlocking(false);
                int k1fd = fdOf(k1);
                ep.add(k1fd, Events.IN, "kernel");
                peer.getOutputStream().write(1);
                k2.getOutputStream().write(2);
                java.util.Set<String> seen = new java.util.TreeSet<>();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (seen.size() < 2 && System.nanoTime() < deadline) {
                    org.jvpoll.wait.ReadyEvents<String> r = ep.await(java.time.Duration.ofMillis(500));
                    for (int i = 0; i < r.count(); i++) {
                        seen.add(r.attachment(i) + ":" + Events.toString(r.events(i) & (Events.IN | Events.ERR | Events.HUP)));
                    }
                }
                System.out.println("epoll: one EpollSet saw " + seen);
                check(seen.equals(new java.util.TreeSet<>(List.of("kernel:IN", "user-level:IN"))), "both sockets readable");
                byte[] b = new byte[1];
                check(user.read(b, 0, 1) == 1 && b[0] == 1, "user-level data");
                check((user.events() & Events.IN) == 0, "IN cleared after the read");
                if (!NetNamespace.onPath("python3")) {
                    System.out.println("SKIP epoll: the other-process part needs python3");
                } else {
                    String py = """
                            import ctypes, os, select, sys
                            libc = ctypes.CDLL(None, use_errno=True)
                            pidfd = os.pidfd_open(int(sys.argv[1]))
                            fd = libc.syscall(438, pidfd, int(sys.argv[2]), 0)   # pidfd_getfd: the same open file
                            if fd < 0:
                                print("pidfd_getfd failed, errno", ctypes.get_errno()); sys.exit(3)
                            p = select.poll(); p.register(fd, select.POLLIN)
                            print("ready", flush=True)
                            ev = p.poll(10000)
                            print("IN", ev and ev[0][1], flush=True)
                            os.read(0, 1)   # wait until Java has read the byte (IN cleared)
                            p.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
                            import time
                            end = time.time() + 10
                            while time.time() < end:   # the emulation raises ERR, then HUP: wait for HUP
                                ev = p.poll(10000)
                                if ev and ev[0][1] & select.POLLHUP:
                                    break
                                time.sleep(0.01)
                            print("HUP", ev and ev[0][1], flush=True)
                            """;
                    Process p = new ProcessBuilder("python3", "-c", py, Long.toString(ProcessHandle.current().pid()),
                            Integer.toString(user.vpollFd().fd())).redirectErrorStream(true).start();
                    java.io.BufferedReader out = new java.io.BufferedReader(
                            new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
                    String ready = out.readLine();
                    check("ready".equals(ready), "python took the fd: " + ready);
                    peer.getOutputStream().write(3);
                    String in = out.readLine();
                    System.out.println("epoll: python3 (pid " + p.pid() + ") polling the same vpoll fd: " + in);
                    check(in != null && in.startsWith("IN ") && (Integer.parseInt(in.substring(3)) & Events.IN) != 0, "POLLIN in python");
                    check(user.read(b, 0, 1) == 1 && b[0] == 3, "user-level data 3");
                    p.getOutputStream().write('x');
                    p.getOutputStream().flush();
                    peer.setSoLinger(true, 0);
                    peer.close(); // RST: ERR|HUP
                    String hup = out.readLine();
                    System.out.println("epoll: python3 after the peer's reset: " + hup);
                    check(hup != null && hup.startsWith("HUP ") && (Integer.parseInt(hup.substring(4)) & Events.HUP) != 0, "POLLHUP in python");
                    check(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "python exit");
                }
                peer.close();
                k1.close();
                k2.close();
            }
            System.out.println("PASS epoll: user-level and kernel sockets in one EpollSet; the vpoll fd polled by another process");
        }
    }

    /** The kernel fd of a JDK socket channel (sun.nio.ch's SelChImpl, read reflectively: test only). */
    static int fdOf(java.nio.channels.SocketChannel ch) throws Exception {
        // the socket's inode from /proc/self/net/tcp (by local port), then the fd linking to it
        String local = Integer.toHexString(((InetSocketAddress) ch.getLocalAddress()).getPort()).toUpperCase();
        String inode = null;
        List<String> lines = new java.util.ArrayList<>(Files.readAllLines(Path.of("/proc/self/net/tcp")));
        lines.addAll(Files.readAllLines(Path.of("/proc/self/net/tcp6"))); // the JDK's sockets are dual-stack
        for (String line : lines) {
            String[] f = line.trim().split("\\s+");
            if (f.length > 9 && f[1].endsWith(":" + ("0000" + local).substring(local.length()))) {
                inode = f[9];
            }
        }
        check(inode != null, "socket inode of " + ch);
        for (var e : fds().entrySet()) {
            if (e.getValue().equals("socket:[" + inode + "]")) {
                return e.getKey();
            }
        }
        throw new AssertionError("no fd for " + ch);
    }

    /** Two stacks in one JVM, each on its own TAP, both listening on port 8000; each answers on its own link. */
    static void multiStack(VpollFd.Options opts) throws Exception {
        try (NetStack a = stack(opts);
             NetStack b = NetStack.open(NetConfig.tap("jvp1").ipv4("10.88.0.2", 24).makeDefault(false).vpollOptions(opts));
             TcpListener la = a.listen(8000); TcpListener lb = b.listen(8000)) {
            sh("ip", "addr", "add", "10.88.0.1/24", "dev", "jvp1");
            sh("ip", "link", "set", "jvp1", "up");
            for (Object[] t : new Object[][] {{la, STACK_IP, "A"}, {lb, "10.88.0.2", "B"}}) {
                TcpListener l = (TcpListener) t[0];
                Thread srv = new Thread(() -> {
                    try (TcpSocket c = l.accept()) {
                        byte[] m = ("stack " + t[2] + " via " + c.stack().interfaceName() + "\n").getBytes(StandardCharsets.US_ASCII);
                        c.write(m, 0, m.length);
                    } catch (IOException e) {
                        e.printStackTrace();
                    }
                });
                srv.start();
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress((String) t[1], 8000), 10_000);
                    s.setSoTimeout(10_000);
                    String got = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
                    System.out.println("multistack: " + t[1] + ":8000 -> " + got);
                    check(got.startsWith("stack " + t[2]), "answer from stack " + t[2]);
                }
                srv.join(10_000);
            }
            // a client on stack B reaches the kernel over B's link, not A's
            try (ServerSocket k = new ServerSocket()) {
                k.bind(new InetSocketAddress("10.88.0.1", 8100));
                try (TcpSocket c = b.connect(new InetSocketAddress("10.88.0.1", 8100)); Socket peer = k.accept()) {
                    System.out.println("multistack: stack B client seen by the kernel as " + peer.getRemoteSocketAddress());
                    check(peer.getInetAddress().getHostAddress().equals("10.88.0.2"), "source address of stack B");
                    check(c.isConnected(), "connected");
                }
            }
            System.out.println("PASS multistack: two stacks in one JVM on two TAPs, same port, each on its own link");
        }
    }

    /** IPv6: a kernel client reaches a dual-stack user-level listener at [fd77::2], and a user-level client a kernel server at [fd77::1]. */
    static void ipv6(VpollFd.Options opts) throws Exception {
        try (NetStack net = NetStack.open(NetConfig.tap(TAP).ipv4(STACK_IP, 24).ipv6("fd77::2").vpollOptions(opts));
             TcpListener l = net.listen(8600)) {
            sh("ip", "addr", "add", KERNEL_IP + "/24", "dev", TAP);
            sh("ip", "-6", "addr", "add", "fd77::1/64", "dev", TAP, "nodad");
            sh("ip", "link", "set", TAP, "up");
            Thread srv = new Thread(() -> {
                for (int i = 0; i < 2; i++) {
                    try (TcpSocket c = l.accept()) {
                        byte[] m = ("hello " + c.remoteAddress().getAddress().getHostAddress() + "\n").getBytes(StandardCharsets.US_ASCII);
                        c.write(m, 0, m.length);
                    } catch (IOException e) {
                        e.printStackTrace();
                    }
                }
            });
            srv.start();
            for (String target : new String[] {STACK_IP, "fd77::2"}) {
                String got = null;
                for (int attempt = 0; attempt < 10 && got == null; attempt++) {
                    try (Socket s = new Socket()) {
                        s.connect(new InetSocketAddress(target, 8600), 3000);
                        s.setSoTimeout(10_000);
                        got = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
                    } catch (IOException e) {
                        System.out.println("ipv6: attempt " + attempt + ": " + e);
                        Thread.sleep(300); // the kernel's neighbour discovery may still be settling
                    }
                }
                System.out.println("ipv6: kernel -> [" + target + "]:8600 answered: " + got);
                if (got == null) {
                    System.out.println("frames " + java.util.Arrays.toString(net.frameCounts()) + "\n"
                            + shQuiet("ip", "-6", "neigh") + shQuiet("ip", "-s", "link", "show", TAP));
                }
                check(got != null && got.startsWith("hello "), "answer over " + target);
            }
            srv.join(10_000);
            try (ServerSocket k = new ServerSocket()) {
                k.bind(new InetSocketAddress("fd77::1", 8601));
                try (TcpSocket c = net.connect(new InetSocketAddress("fd77::1", 8601)); Socket peer = k.accept()) {
                    System.out.println("ipv6: user-level client seen by the kernel as " + peer.getRemoteSocketAddress()
                            + ", local " + c.localAddress());
                    peer.getOutputStream().write("v6".getBytes(StandardCharsets.US_ASCII));
                    byte[] b = new byte[2];
                    int n = c.read(b, 0, 2);
                    check(n == 2 && new String(b, StandardCharsets.US_ASCII).equals("v6"), "data over IPv6");
                }
            }
            System.out.println("PASS ipv6: dual-stack listener answered over IPv6 and IPv4; user-level IPv6 client reached the kernel");
        }
    }

    /** A kernel client uploads 1 MiB to a user-level server (full-size frames into lwIP), checksum compared. */
    static void upload(VpollFd.Options opts) throws Exception {
        byte[] data = body(1 << 20);
        try (NetStack net = stack(opts); TcpListener l = net.listen(7400)) {
            Thread t = new Thread(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(STACK_IP, 7400), 10_000);
                    s.getOutputStream().write(data);
                } catch (IOException e) {
                    e.printStackTrace();
                }
            });
            t.start();
            try (TcpSocket c = l.accept()) {
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                byte[] b = new byte[16384];
                int n;
                while ((n = c.read(b, 0, b.length)) > 0) {
                    got.write(b, 0, n);
                }
                check(sha256(got.toByteArray()).equals(sha256(data)), "checksum");
            }
            System.out.println("PASS upload: 1 MiB from a kernel client read by a user-level server, checksum equal");
        }
    }

    /** A user-level client connects to a kernel server: 256 KiB each way, checksums compared; non-blocking connect seen as OUT. */
    static void client(VpollFd.Options opts) throws Exception {
        byte[] data = body(256 << 10);
        try (NetStack net = stack(opts); ServerSocket kernel = new ServerSocket()) {
            kernel.bind(new InetSocketAddress(KERNEL_IP, 7100));
            Thread srv = new Thread(() -> {
                try (Socket s = kernel.accept()) {
                    s.setSoTimeout(20_000);
                    byte[] got = s.getInputStream().readNBytes(data.length);
                    s.getOutputStream().write(got); // echo
                    s.shutdownOutput();
                    s.getInputStream().read(); // wait for the client's close
                } catch (IOException e) {
                    e.printStackTrace();
                }
            });
            srv.setDaemon(true);
            srv.start();
            try (TcpSocket c = net.openTcp()) {
                c.configureBlocking(false);
                boolean now = c.connect(new InetSocketAddress(KERNEL_IP, 7100));
                int ev = waitEvents(c.vpollFd(), Events.OUT | Events.ERR, 10_000);
                System.out.println("client: connect returned " + now + ", then vpoll fd events " + Events.toString(ev));
                check((ev & Events.OUT) != 0 && (ev & Events.ERR) == 0, "OUT after connect");
                check(c.finishConnect(), "finishConnect");
                c.configureBlocking(true);
                Thread w = new Thread(() -> {
                    try {
                        c.write(data, 0, data.length);
                    } catch (IOException e) {
                        e.printStackTrace();
                    }
                });
                w.start();
                ByteArrayOutputStream back = new ByteArrayOutputStream();
                byte[] b = new byte[16384];
                int n;
                while ((n = c.read(b, 0, b.length)) > 0) {
                    back.write(b, 0, n);
                }
                w.join(10_000);
                int after = c.events();
                System.out.println("client: echoed " + back.size() + " bytes, then end of stream; events " + Events.toString(after));
                check(n == -1, "end of stream");
                check((after & Events.RDHUP) != 0 && (after & Events.IN) != 0, "RDHUP|IN after the server's FIN");
                check(sha256(data).equals(sha256(back.toByteArray())), "checksum of the echo");
            }
            srv.join(10_000);
            System.out.println("PASS client: user-level client to kernel server, 256 KiB each way, checksum equal");
        }
    }

    /** Polls {@code fd}'s mask until it has any of {@code any} (a bounded wait). */
    static int waitEvents(VpollFd fd, int any, long millis) throws Exception {
        long deadline = System.nanoTime() + millis * 1_000_000;
        int ev = fd.events();
        try (org.jvpoll.wait.PollSet ps = new org.jvpoll.wait.PollSet(4)) {
            ps.add(fd.fd(), any | Events.HUP | Events.ERR);
            while ((ev & any) == 0 && System.nanoTime() < deadline) {
                ps.poll(java.time.Duration.ofMillis(100));
                ev = fd.events();
            }
        }
        return ev;
    }

    /** Connecting to a closed port: ERR|HUP on the vpoll fd and a clear exception; blocking too. */
    static void refused(VpollFd.Options opts) throws Exception {
        VpollFd.create(0, opts).close(); // the backend's per-process setup is not a leak
        try (NetStack net = stack(opts)) {
            long fds = fdCount();
            Object fdsAtStart = fds();
            try (TcpSocket c = net.openTcp()) {
                c.configureBlocking(false);
                c.connect(new InetSocketAddress(KERNEL_IP, 9));
                int ev = waitEvents(c.vpollFd(), Events.ERR, 10_000);
                System.out.println("refused: vpoll fd events " + Events.toString(ev));
                check((ev & (Events.ERR | Events.HUP)) == (Events.ERR | Events.HUP), "ERR|HUP");
                try {
                    c.finishConnect();
                    throw new AssertionError("finishConnect succeeded on a closed port");
                } catch (NetException e) {
                    System.out.println("refused: " + e.getMessage());
                    check(e.errno() == 111 && e.lwipError() == -14, "ECONNREFUSED / ERR_RST");
                }
            }
            try {
                net.connect(new InetSocketAddress(KERNEL_IP, 9)).close();
                throw new AssertionError("blocking connect succeeded on a closed port");
            } catch (NetException e) {
                System.out.println("refused (blocking): " + e.getMessage());
                check(e.getMessage().contains("Connection refused") && e.errno() == 111, "clear message");
            }
            try (TcpListener first = net.listen(7700)) {
                try {
                    net.listen(7700).close();
                    throw new AssertionError("a second listener on port 7700 succeeded");
                } catch (NetException e) {
                    System.out.println("refused (port in use): " + e.getMessage());
                    check(e.errno() == 98 && first.isOpen(), "EADDRINUSE, the first listener unharmed");
                }
            }
            check(fdCount() == fds, "no fd leaked: " + fds + " -> " + fds() + " (at start: " + fdsAtStart + ")");
            check(net.sockets().isEmpty(), "no socket left on the stack");
            System.out.println("PASS refused: ERR|HUP, NetException errno 111 (blocking and not), EADDRINUSE for a used port, no fd leaked");
        }
    }

    static long fdCount() throws IOException {
        return fds().size();
    }

    /** The open fds with their targets (File.list opens and closes its directory inside). */
    static java.util.SortedMap<Integer, String> fds() throws IOException {
        java.util.SortedMap<Integer, String> m = new java.util.TreeMap<>();
        String[] names = new java.io.File("/proc/self/fd").list();
        for (String n : names == null ? new String[0] : names) {
            String t;
            try {
                t = Files.readSymbolicLink(Path.of("/proc/self/fd", n)).toString();
            } catch (IOException e) {
                continue; // the directory's own fd, gone by now
            }
            m.put(Integer.parseInt(n), t);
        }
        return m;
    }

    /** A peer reset: the data sent before the RST is read, then the reset is an exception and ERR|HUP. */
    static void reset(VpollFd.Options opts) throws Exception {
        byte[] data = body(30_000);
        try (NetStack net = stack(opts); ServerSocket kernel = new ServerSocket()) {
            kernel.bind(new InetSocketAddress(KERNEL_IP, 7200));
            VpollFd.create(0, opts).close(); // the backend's per-process setup is not a leak
            long fds = fdCount();
            Object fdsAtStart = fds();
            int reg = org.jvpoll.net.lwip.ConnEvents.registered();
            try (TcpSocket c = net.connect(new InetSocketAddress(KERNEL_IP, 7200))) {
                Socket peer = kernel.accept();
                peer.getOutputStream().write(data);
                peer.getOutputStream().flush();
                Thread.sleep(300); // let the data reach lwIP before the RST
                peer.setSoLinger(true, 0);
                peer.close(); // RST (peer is not a resource: closing it is the test)
                int ev = waitEvents(c.vpollFd(), Events.ERR, 10_000);
                System.out.println("reset: vpoll fd events " + Events.toString(ev));
                check((ev & (Events.ERR | Events.HUP)) == (Events.ERR | Events.HUP), "ERR|HUP after the reset");
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                byte[] b = new byte[4096];
                try {
                    int n;
                    while ((n = c.read(b, 0, b.length)) >= 0) {
                        got.write(b, 0, n);
                    }
                    throw new AssertionError("end of stream instead of a reset");
                } catch (NetException e) {
                    System.out.println("reset: read " + got.size() + " bytes, then " + e.getMessage());
                    check(e.errno() == 104, "ECONNRESET");
                }
                check(got.size() == data.length && sha256(got.toByteArray()).equals(sha256(data)), "all data before the reset");
                try {
                    c.write(b, 0, 10);
                    throw new AssertionError("write after reset succeeded");
                } catch (NetException e) {
                    System.out.println("reset: write: " + e.getMessage());
                }
            }
            check(fdCount() == fds, "no fd leaked: " + fds + " -> " + fds() + " (at start: " + fdsAtStart + ")");
            check(org.jvpoll.net.lwip.ConnEvents.registered() == reg, "no netconn left registered");
            System.out.println("PASS reset: data before the RST delivered, then ECONNRESET and ERR|HUP, no fd leaked");
        }
    }

    /** Closing the stack under open sockets: each shows ERR|HUP and throws; closing them leaks nothing. */
    static void stackClose(VpollFd.Options opts) throws Exception {
        VpollFd.create(0, opts).close();
        try (NetStack first = NetStack.open(NetConfig.tap("jvp9").ipv4("10.78.0.2", 24).vpollOptions(opts))) {
            // lwIP's one-time start and the JDK's network setup are not leaks; the TAP of a closed stack goes away
            System.out.println("stackclose: warm-up " + first);
        }
        long fds = fdCount();
        Object fdsAtStart = fds();
        int reg = org.jvpoll.net.lwip.ConnEvents.registered();
        try (Socket toUser = new Socket()) {
            NetStack net = stack(opts);
            ServerSocket k2 = new ServerSocket();
            k2.bind(new InetSocketAddress(KERNEL_IP, 7301));
            TcpListener l = net.listen(7302);
            TcpSocket out = net.connect(new InetSocketAddress(KERNEL_IP, 7301));
            Socket peer = k2.accept();
            toUser.connect(new InetSocketAddress(STACK_IP, 7302), 10_000);
            TcpSocket in = l.accept();
            UdpSocket u = net.openUdp(new InetSocketAddress(7303));
            peer.getOutputStream().write(new byte[10]);
            check((waitEvents(out.vpollFd(), Events.IN, 5000) & Events.IN) != 0, "data pending before the close");
            List<NetSocket> all = List.of(l, out, in, u);
            if (Boolean.getBoolean("debugfds")) {
                System.out.println("before the stack's close: " + fds());
            }
            net.close();
            if (Boolean.getBoolean("debugfds")) {
                System.out.println("after the stack's close: " + fds());
            }
            for (NetSocket s : all) {
                int ev = s.events();
                check((ev & (Events.ERR | Events.HUP)) == (Events.ERR | Events.HUP), s + " shows ERR|HUP: " + Events.toString(ev));
            }
            try {
                out.read(new byte[100], 0, 100);
                throw new AssertionError("read after the stack closed succeeded");
            } catch (NetException e) {
                System.out.println("stackclose: read: " + e.getMessage());
            }
            try {
                net.openTcp();
                throw new AssertionError("openTcp on a closed stack succeeded");
            } catch (NetException e) {
                System.out.println("stackclose: openTcp: " + e.getMessage());
            }
            for (NetSocket s : all) {
                s.close();
                if (Boolean.getBoolean("debugfds")) {
                    System.out.println("after closing " + s + ": " + fds());
                }
            }
            peer.close();
            k2.close();
        }
        check(fdCount() == fds, "no fd leaked: " + fds + " -> " + fds() + " (at start: " + fdsAtStart + ")");
        check(org.jvpoll.net.lwip.ConnEvents.registered() == reg, "no netconn left registered: " + reg + " -> "
                + org.jvpoll.net.lwip.ConnEvents.registered());
        System.out.println("PASS stackclose: 4 open sockets failed with ERR|HUP and a NetException; nothing leaked");
    }

    /** UDP both ways between a kernel DatagramSocket and a user-level UdpSocket; IN on the vpoll fd. */
    static void udp(VpollFd.Options opts) throws Exception {
        try (NetStack net = stack(opts); UdpSocket u = net.openUdp(new InetSocketAddress(5400));
             java.net.DatagramSocket k = new java.net.DatagramSocket(new InetSocketAddress(KERNEL_IP, 5401))) {
            k.setSoTimeout(10_000);
            check((u.events() & Events.OUT) != 0 && (u.events() & Events.IN) == 0, "OUT, no IN at start");
            byte[] msg = "hello lwIP".getBytes(StandardCharsets.US_ASCII);
            // the first datagram may be lost to ARP resolution on either side: retry (bounded)
            int ev = 0;
            for (int i = 0; i < 20 && (ev & Events.IN) == 0; i++) {
                k.send(new java.net.DatagramPacket(msg, msg.length, new InetSocketAddress(STACK_IP, 5400)));
                ev = waitEvents(u.vpollFd(), Events.IN, 500);
            }
            System.out.println("udp: vpoll fd events " + Events.toString(ev));
            check((ev & Events.IN) != 0, "IN after a datagram");
            u.configureBlocking(false);
            ByteBuffer b = ByteBuffer.allocate(100);
            InetSocketAddress from = u.receive(b);
            check(from != null && from.getPort() == 5401, "sender " + from);
            while (u.receive(ByteBuffer.allocate(100)) != null) {
                // drain retries
            }
            check((u.events() & Events.IN) == 0, "IN cleared after receive: " + Events.toString(u.events()));
            b.flip();
            u.send(ByteBuffer.wrap("reply".getBytes(StandardCharsets.US_ASCII)), from);
            java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[100], 100);
            k.receive(p);
            String r = new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII);
            check(r.equals("reply"), "reply " + r);
            System.out.println("PASS udp: kernel -> user-level (IN set, then cleared) and back: " + r);
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

}
