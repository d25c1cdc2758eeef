package org.jvpoll.net;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.jvpoll.net.lwip.ConnEvents;
import org.jvpoll.net.lwip.Lwip;
import org.jvpoll.net.lwip.TapNetif;

/**
 * A user-level TCP/IP stack (lwIP, Debian's liblwip0, called through FFM) attached to a Linux
 * TAP interface, whose sockets are vpoll fds.
 *
 * <pre>{@code
 * try (NetStack net = NetStack.open(NetConfig.tap("vp0").ipv4("10.0.0.2", 24));
 *      TcpListener server = net.listen(8080)) {
 *     TcpSocket client = server.accept();           // blocking; or poll server.vpollFd() for IN
 *     ...
 * }
 * }</pre>
 *
 * <p>The kernel side of the TAP is the peer network: give it an address in the same subnet and
 * bring it up ({@code ip addr add 10.0.0.1/24 dev vp0; ip link set vp0 up}). Opening a TAP
 * interface needs CAP_NET_ADMIN (or an existing TAP owned by the user).
 *
 * <p>Several stacks may be open in one JVM: lwIP has one core per process (one tcpip thread, one
 * port space), so each stack is an lwIP network interface with its own addresses, and its sockets
 * are bound to that interface ({@code netconn_bind_if}). Closing a stack fails its open sockets
 * (ERR|HUP; their operations throw {@link NetException}); each socket's vpoll fd stays open until
 * the socket is closed.
 */
public final class NetStack implements AutoCloseable {
    private final NetConfig config;
    private final TapNetif tap;
    private final Set<NetSocket> sockets = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private NetStack(NetConfig config, TapNetif tap) {
        this.config = config;
        this.tap = tap;
    }

    /**
     * Starts lwIP if needed and attaches a new stack to the TAP interface of {@code config}.
     *
     * @throws IOException if lwIP is not installed (the message says which package), the TAP
     *         cannot be opened (errno attached: EPERM without CAP_NET_ADMIN), or lwIP refuses the
     *         addresses
     */
    public static NetStack open(NetConfig config) throws IOException {
        Objects.requireNonNull(config, "config");
        String why = Lwip.unavailableReason();
        if (why != null) {
            throw new IOException(why);
        }
        ConnEvents.init();
        TapNetif t = TapNetif.open(config.tapName(), config.mac(), config.ipv4(), config.prefix(), config.gateway(),
                config.ipv6(), config.isDefault());
        return new NetStack(config, t);
    }

    /** @return null if lwIP (liblwip0) can be loaded here, else the reason */
    public static String unavailableReason() {
        return Lwip.unavailableReason();
    }

    /** @return the configuration */
    public NetConfig config() {
        return config;
    }

    /** @return the TAP interface's name */
    public String interfaceName() {
        return tap.name();
    }

    /** @return the IPv4 address, or null */
    public Inet4Address ipv4() {
        return config.ipv4();
    }

    /** @return the IPv6 address, or null */
    public Inet6Address ipv6() {
        return config.ipv6();
    }

    int ifIndex() {
        return tap.ifIndex();
    }

    /** @return frames received from / sent to the TAP, and frames dropped each way, since open */
    public long[] frameCounts() {
        return new long[] {tap.framesIn.get(), tap.framesOut.get(), tap.dropsIn.get(), tap.dropsOut.get()};
    }

    /** Listens on {@code port} at every address of this stack, backlog 16. */
    public TcpListener listen(int port) throws IOException {
        return listen(new InetSocketAddress(port), 16);
    }

    /**
     * Listens on {@code local} (a wildcard address: every address of this stack; port 0: any).
     * With an IPv6 address configured, a wildcard listener accepts IPv4 and IPv6 (and takes the
     * port in lwIP's one port space, shared by all stacks); without, it binds the stack's IPv4
     * address, so every stack can listen on the same port.
     */
    public TcpListener listen(InetSocketAddress local, int backlog) throws IOException {
        ensureOpen();
        TcpListener l = new TcpListener(this);
        return register(l, () -> l.listen(local, backlog));
    }

    /** @return a new, unconnected TCP socket (blocking; see {@link TcpSocket#connect}) */
    public TcpSocket openTcp() throws IOException {
        ensureOpen();
        TcpSocket s = new TcpSocket(this);
        return register(s, () -> { });
    }

    /** @return a blocking TCP socket connected to {@code remote} */
    public TcpSocket connect(InetSocketAddress remote) throws IOException {
        TcpSocket s = openTcp();
        try {
            s.connect(remote);
            return s;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** @return a UDP socket bound to {@code local} (null or port 0: any port) */
    public UdpSocket openUdp(InetSocketAddress local) throws IOException {
        ensureOpen();
        UdpSocket u = new UdpSocket(this, local);
        return register(u, () -> { });
    }

    private interface Setup {
        void run() throws IOException;
    }

    private <S extends NetSocket> S register(S s, Setup setup) throws IOException {
        sockets.add(s);
        try {
            setup.run();
            if (closed) {
                throw new NetException("open socket", 0, 0, "the stack is closed");
            }
            return s;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    TcpSocket adopt(long accepted) throws IOException {
        TcpSocket s = new TcpSocket(this, accepted);
        sockets.add(s);
        if (closed) {
            s.abortByStack("the stack was closed");
        }
        return s;
    }

    void forget(NetSocket s) {
        sockets.remove(s);
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new NetException("open socket on " + config.tapName(), 0, 0, "the stack is closed");
        }
    }

    /** @return whether the stack is open */
    public boolean isOpen() {
        return !closed;
    }

    /** @return the sockets of this stack not yet closed */
    public List<NetSocket> sockets() {
        return new ArrayList<>(sockets);
    }

    /**
     * Closes the stack: every open socket fails (its vpoll fd shows ERR|HUP, its operations throw
     * {@link NetException} "the stack was closed"), its netconn is freed, the interface is removed
     * from lwIP and the TAP fd is closed. The sockets' vpoll fds stay open until each socket is closed.
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        for (NetSocket s : new ArrayList<>(sockets)) {
            s.abortByStack("the stack on " + config.tapName() + " was closed");
        }
        tap.close();
    }

    @Override
    public String toString() {
        return "NetStack[" + tap + (config.ipv4() != null ? ", " + config.ipv4().getHostAddress() + "/" + config.prefix() : "")
                + (config.ipv6() != null ? ", " + config.ipv6().getHostAddress() : "") + (closed ? ", closed" : "") + "]";
    }
}
