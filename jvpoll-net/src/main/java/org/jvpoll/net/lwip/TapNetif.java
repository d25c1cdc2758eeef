package org.jvpoll.net.lwip;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;


import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * An lwIP netif attached to a Linux TAP interface: jvpoll-net's own link layer (Debian's
 * {@code tapif_init} names its interface from {@code PRECONFIGURED_TAPIF} or {@code tap0}, runs
 * {@code ifconfig} through {@code system()} when not preconfigured, and cannot be stopped, so
 * jvpoll-net does not use it).
 *
 * <p>Frames in: a Java platform thread polls the non-blocking TAP fd, copies each frame into a
 * PBUF_RAM pbuf and queues it with {@code tcpip_input} for the tcpip thread. Frames out: lwIP calls
 * {@code netif->linkoutput} (always under the core lock, so one at a time) — an FFM upcall that
 * copies the pbuf chain into one buffer and {@code write}s it to the TAP fd.
 *
 * <pre>
 * struct netif (400 bytes on this build, align 8; jvpoll allocates 1024, aligned 64):
 *   netif_input_fn   input       @280    set by netif_add (tcpip_input)
 *   netif_output_fn  output      @288    etharp_output
 *   netif_linkoutput_fn linkoutput @296  err_t (*)(struct netif *, struct pbuf *)   upcall
 *   netif_output_ip6_fn output_ip6 @304  ethip6_output
 *   u16_t mtu @336, mtu6 @338; u8_t hwaddr[6] @340; u8_t hwaddr_len @346; u8_t flags @347;
 *   char name[2] @348; u8_t num @350     (interface index = num + 1)
 * flags: NETIF_FLAG_BROADCAST 0x02 | ETHARP 0x08 | ETHERNET 0x10 | IGMP 0x20 | MLD6 0x40
 * netif_init_fn: err_t (*)(struct netif *)   upcall, fills the fields above
 * err_t tcpip_callback(tcpip_callback_fn fn, void *ctx);   used as a barrier at close
 * </pre>
 * These offsets are checked against the installed headers by NetifLayoutTest (gcc probe).
 */
@SuppressWarnings("restricted") // reinterpret of lwIP-owned structs, sized as documented above
public final class TapNetif implements AutoCloseable {
    public static final long NETIF_ALLOC = 1024;
    public static final long OFF_OUTPUT = 288, OFF_LINKOUTPUT = 296, OFF_OUTPUT_IP6 = 304, OFF_MTU = 336,
            OFF_MTU6 = 338, OFF_HWADDR = 340, OFF_HWADDR_LEN = 346, OFF_FLAGS = 347, OFF_NAME = 348, OFF_NUM = 350;
    public static final int NETIF_FLAGS = 0x02 | 0x08 | 0x10 | 0x20 | 0x40;
    public static final int MTU = 1500;
    private static final int FRAME_MAX = 65536;

    private static final Map<Long, TapNetif> BY_NETIF = new ConcurrentHashMap<>();
    private static final Map<Long, CountDownLatch> BARRIERS = new ConcurrentHashMap<>();
    private static final AtomicLong BARRIER_IDS = new AtomicLong(1);
    private static final Object ADD_LOCK = new Object();
    private static TapNetif initializing; // guarded by ADD_LOCK
    private static MemorySegment initStub, linkoutputStub, barrierStub;
    private static MethodHandle tcpipCallback;

    private final String name;
    private final int fd;
    private final byte[] mac;
    private final MemorySegment netif;
    private final MemorySegment outBuf;
    private final Thread reader;
    private volatile boolean closed;
    private int ifIndex;
    public final AtomicLong framesIn = new AtomicLong(), framesOut = new AtomicLong(),
            dropsIn = new AtomicLong(), dropsOut = new AtomicLong();

    @SuppressWarnings("restricted")
    private static synchronized void stubs() {
        if (initStub != null) {
            return;
        }
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            initStub = Lwip.LINKER.upcallStub(
                    l.findStatic(TapNetif.class, "initUpcall", MethodType.methodType(byte.class, MemorySegment.class)),
                    FunctionDescriptor.of(JAVA_BYTE, ADDRESS), Arena.global());
            linkoutputStub = Lwip.LINKER.upcallStub(
                    l.findStatic(TapNetif.class, "linkoutputUpcall",
                            MethodType.methodType(byte.class, MemorySegment.class, MemorySegment.class)),
                    FunctionDescriptor.of(JAVA_BYTE, ADDRESS, ADDRESS), Arena.global());
            barrierStub = Lwip.LINKER.upcallStub(
                    l.findStatic(TapNetif.class, "barrierUpcall", MethodType.methodType(void.class, MemorySegment.class)),
                    FunctionDescriptor.ofVoid(ADDRESS), Arena.global());
            tcpipCallback = Lwip.fn("tcpip_callback", FunctionDescriptor.of(JAVA_BYTE, ADDRESS, ADDRESS));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private TapNetif(String name, int fd, byte[] mac) {
        this.name = name;
        this.fd = fd;
        this.mac = mac.clone();
        this.netif = Arena.global().allocate(NETIF_ALLOC, 64); // freed never: see close()
        this.outBuf = Arena.global().allocate(FRAME_MAX, 16);
        this.reader = new Thread(this::readLoop, "jvpoll-net-tap-" + name);
        this.reader.setDaemon(true);
    }

    /**
     * Opens (creating if needed, which needs CAP_NET_ADMIN) the TAP interface {@code ifname} and
     * adds it to lwIP as a netif with the given addresses; it is up when this returns.
     *
     * @param ip4 the IPv4 address, or null for none; @param ip6 the IPv6 address, or null
     */
    public static TapNetif open(String ifname, byte[] mac, Inet4Address ip4, int prefix, Inet4Address gw,
                                Inet6Address ip6, boolean makeDefault) throws IOException {
        Lwip.start();
        stubs();
        int fd = Libc.open("/dev/net/tun", Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        String actual;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ifr = a.allocate(Libc.IFREQ_SIZE);
            byte[] n = ifname.getBytes(StandardCharsets.US_ASCII);
            if (n.length >= Libc.IFNAMSIZ) {
                throw new IllegalArgumentException("interface name longer than 15 bytes: " + ifname);
            }
            MemorySegment.copy(n, 0, ifr, JAVA_BYTE, 0, n.length);
            ifr.set(JAVA_SHORT, 16, (short) (Libc.IFF_TAP | Libc.IFF_NO_PI));
            Libc.ioctl(fd, Libc.TUNSETIFF, ifr, "ioctl(TUNSETIFF, " + ifname + ")");
            actual = ifr.getString(0);
        } catch (IOException | RuntimeException e) {
            Libc.close(fd, "/dev/net/tun");
            throw e;
        }
        TapNetif t = new TapNetif(actual, fd, mac);
        try {
            t.attach(ip4, prefix, gw, ip6, makeDefault);
        } catch (IOException | RuntimeException e) {
            Libc.close(fd, "/dev/net/tun");
            throw e;
        }
        t.reader.start();
        return t;
    }

    private void attach(Inet4Address ip4, int prefix, Inet4Address gw, Inet6Address ip6, boolean makeDefault)
            throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ip = a.allocate(4), mask = a.allocate(4), g = a.allocate(4), idx = a.allocate(1);
            if (ip4 != null) {
                MemorySegment.copy(ip4.getAddress(), 0, ip, JAVA_BYTE, 0, 4);
                int m = prefix == 0 ? 0 : -1 << (32 - prefix);
                mask.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 0, m);
                if (gw != null) {
                    MemorySegment.copy(gw.getAddress(), 0, g, JAVA_BYTE, 0, 4);
                }
            }
            MemorySegment ip6seg = a.allocate(IpAddr.SIZE);
            synchronized (ADD_LOCK) {
                Lwip.lockCore();
                try {
                    initializing = this;
                    MemorySegment r = Lwip.netifAdd(netif, ip, mask, g, initStub);
                    initializing = null;
                    if (r.address() == 0) {
                        throw new IOException("lwIP netif_add failed for " + name);
                    }
                    BY_NETIF.put(netif.address(), this);
                    ifIndex = Byte.toUnsignedInt(netif.get(JAVA_BYTE, OFF_NUM)) + 1;
                    Lwip.netifIp6LinkLocal(netif);
                    Lwip.netifIp6State(netif, 0, Lwip.IP6_ADDR_PREFERRED);
                    if (ip6 != null) {
                        IpAddr.write(ip6seg, ip6, IpAddr.TYPE_V6);
                        int i = Lwip.netifAddIp6(netif, ip6seg, idx);
                        if (i < 0) {
                            Lwip.netifRemove(netif);
                            BY_NETIF.remove(netif.address());
                            throw new IOException("lwIP netif_add_ip6_address(" + ip6.getHostAddress() + ") failed: "
                                    + Lwip.name(i));
                        }
                        // DAD is skipped: the address is ours on a link we own (docs/net.md)
                        Lwip.netifIp6State(netif, i, Lwip.IP6_ADDR_PREFERRED);
                    }
                    Lwip.netifSetUp(netif);
                    Lwip.netifSetLinkUp(netif);
                    if (makeDefault) {
                        Lwip.netifSetDefault(netif);
                    }
                } finally {
                    initializing = null;
                    Lwip.unlockCore();
                }
            }
        }
    }

    private static byte initUpcall(MemorySegment n) {
        try {
            TapNetif t = initializing;
            if (t == null) {
                return (byte) Lwip.ERR_IF;
            }
            MemorySegment s = n.reinterpret(NETIF_ALLOC);
            s.set(ADDRESS, OFF_OUTPUT, Lwip.address("etharp_output"));
            s.set(ADDRESS, OFF_OUTPUT_IP6, Lwip.address("ethip6_output"));
            s.set(ADDRESS, OFF_LINKOUTPUT, linkoutputStub);
            s.set(ValueLayout.JAVA_SHORT_UNALIGNED, OFF_MTU, (short) MTU);
            s.set(ValueLayout.JAVA_SHORT_UNALIGNED, OFF_MTU6, (short) MTU);
            MemorySegment.copy(t.mac, 0, s, JAVA_BYTE, OFF_HWADDR, 6);
            s.set(JAVA_BYTE, OFF_HWADDR_LEN, (byte) 6);
            s.set(JAVA_BYTE, OFF_FLAGS, (byte) NETIF_FLAGS);
            s.set(JAVA_BYTE, OFF_NAME, (byte) 't');
            s.set(JAVA_BYTE, OFF_NAME + 1, (byte) 'p');
            return 0;
        } catch (Throwable e) {
            return (byte) Lwip.ERR_IF;
        }
    }

    /** Runs under the core lock: one frame out to the TAP fd; a full TAP queue drops it (TCP resends). */
    private static byte linkoutputUpcall(MemorySegment n, MemorySegment p) {
        try {
            TapNetif t = BY_NETIF.get(n.address());
            if (t == null || t.closed) {
                return (byte) Lwip.ERR_IF;
            }
            int len = Lwip.pbufTotLen(p);
            if (len > FRAME_MAX) {
                t.dropsOut.incrementAndGet();
                return (byte) Lwip.ERR_BUF;
            }
            int copied = Lwip.pbufCopy(p, t.outBuf, len, 0);
            long w = Libc.write(t.fd, t.outBuf, copied);
            if (w != copied) {
                t.dropsOut.incrementAndGet();
                return (byte) Lwip.ERR_IF;
            }
            t.framesOut.incrementAndGet();
            return 0;
        } catch (Throwable e) {
            return (byte) Lwip.ERR_IF;
        }
    }

    private static void barrierUpcall(MemorySegment ctx) {
        try {
            CountDownLatch l = BARRIERS.remove(ctx.address());
            if (l != null) {
                l.countDown();
            }
        } catch (Throwable ignored) {
            // nothing may escape an upcall
        }
    }

    private void readLoop() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pfd = a.allocate(8);
            MemorySegment buf = a.allocate(FRAME_MAX, 16);
            pfd.set(ValueLayout.JAVA_INT, 0, fd);
            pfd.set(JAVA_SHORT, 4, Libc.POLLIN);
            while (!closed) {
                int r = Libc.poll(pfd, 100);
                if (r < 0 && r != -Libc.EINTR) {
                    System.err.println("jvpoll-net: poll on TAP " + name + " failed, errno " + -r + "; reader stops");
                    return;
                }
                while (!closed) {
                    long n = Libc.read(fd, buf, FRAME_MAX);
                    if (n == -Libc.EAGAIN || n == -Libc.EINTR) {
                        break;
                    }
                    if (n < 0) {
                        System.err.println("jvpoll-net: read on TAP " + name + " failed, errno " + -n + "; reader stops");
                        return;
                    }
                    if (n == 0 || n > 0xffff) {
                        dropsIn.incrementAndGet();
                        continue;
                    }
                    MemorySegment p = Lwip.pbufAllocRam((int) n);
                    if (p.address() == 0) {
                        dropsIn.incrementAndGet();
                        continue;
                    }
                    Lwip.pbufTake(p, buf, (int) n);
                    if (Lwip.tcpipInput(p, netif) != Lwip.ERR_OK) {
                        Lwip.pbufFree(p);
                        dropsIn.incrementAndGet();
                    } else {
                        framesIn.incrementAndGet();
                    }
                }
            }
        }
    }

    /** @return the kernel's name of the TAP interface */
    public String name() {
        return name;
    }

    /** @return lwIP's interface index (netif->num + 1), for netconn_bind_if */
    public int ifIndex() {
        return ifIndex;
    }

    /**
     * Removes the netif and closes the TAP fd: the reader stops first, then the netif is removed
     * under the core lock, then a tcpip_callback barrier waits until the tcpip thread has handled
     * every frame queued before. The netif memory (1 KiB) is never freed: a frame still queued
     * would otherwise touch freed memory if the barrier timed out; linkoutput on a closed netif
     * writes nothing.
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            reader.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Lwip.lockCore();
        try {
            Lwip.netifSetLinkDown(netif);
            Lwip.netifSetDown(netif);
            Lwip.netifRemove(netif);
        } finally {
            Lwip.unlockCore();
        }
        barrier();
        Libc.close(fd, "TAP " + name);
    }

    /** Waits (up to 5 s) until the tcpip thread has run everything queued before this call. */
    public static void barrier() throws IOException {
        long id = BARRIER_IDS.getAndIncrement();
        CountDownLatch l = new CountDownLatch(1);
        BARRIERS.put(id, l);
        try {
            int err = (byte) tcpipCallback.invokeExact(barrierStub, MemorySegment.ofAddress(id));
            if (err != Lwip.ERR_OK) {
                BARRIERS.remove(id);
                throw new IOException("lwIP tcpip_callback failed: " + Lwip.name(err));
            }
            if (!l.await(5, TimeUnit.SECONDS)) {
                BARRIERS.remove(id);
                throw new IOException("lwIP's tcpip thread did not answer within 5 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for lwIP's tcpip thread", e);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw Lwip.unexpected(t);
        }
    }

    @Override
    public String toString() {
        return "TAP " + name + " (lwIP if " + ifIndex + ")";
    }

}
