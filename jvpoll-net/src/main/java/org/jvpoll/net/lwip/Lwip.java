package org.jvpoll.net.lwip;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Debian's lwIP 2.1.3 ({@code liblwip.so.0}, package liblwip0): loading, the tcpip thread, the
 * core lock, and the netif and pbuf functions. The library is built with {@code NO_SYS 0} and
 * {@code LWIP_TCPIP_CORE_LOCKING 1} (its {@code /usr/include/lwip/lwipopts.h}): the raw API and
 * netif functions may be called from any thread that holds the core lock
 * ({@code sys_lock_tcpip_core}, a plain, non-recursive pthread mutex in the unix port); netconn
 * calls take that lock themselves.
 *
 * <pre>
 * void    tcpip_init(tcpip_init_done_fn initfunc, void *arg);   starts the one tcpip thread
 * void    sys_lock_tcpip_core(void);  void sys_unlock_tcpip_core(void);
 * struct netif *netif_add(struct netif *netif, const ip4_addr_t *ipaddr, const ip4_addr_t *netmask,
 *                         const ip4_addr_t *gw, void *state, netif_init_fn init, netif_input_fn input);
 * void    netif_remove(struct netif *), netif_set_up, netif_set_down, netif_set_link_up,
 *         netif_set_link_down, netif_set_default(struct netif *)
 * void    netif_create_ip6_linklocal_address(struct netif *, u8_t from_mac_48bit);
 * err_t   netif_add_ip6_address(struct netif *, const ip6_addr_t *, s8_t *chosen_idx);
 * void    netif_ip6_addr_set_state(struct netif *, s8_t idx, u8_t state);   IP6_ADDR_PREFERRED 0x30
 * err_t   tcpip_input(struct pbuf *p, struct netif *inp);      queues p for the tcpip thread
 * struct pbuf *pbuf_alloc(pbuf_layer l, u16_t len, pbuf_type t);   PBUF_RAW 0, PBUF_RAM 0x280, PBUF_POOL 0x182
 * err_t   pbuf_take(struct pbuf *, const void *src, u16_t len);
 * u8_t    pbuf_free(struct pbuf *);
 * u16_t   pbuf_copy_partial(const struct pbuf *, void *dst, u16_t len, u16_t offset);
 * err_t   etharp_output(struct netif *, struct pbuf *, const ip4_addr_t *);   netif->output
 * err_t   ethip6_output(struct netif *, struct pbuf *, const ip6_addr_t *);   netif->output_ip6
 *
 * struct pbuf (24 bytes): next@0 (ptr), payload@8 (ptr), tot_len@16 (u16), len@18 (u16), ...
 * </pre>
 *
 * err_t is a signed byte; {@link #ERR_OK} and the others below, with lwIP's own errno mapping
 * ({@code err_to_errno}) in {@link #errno(int)}.
 */
@SuppressWarnings("restricted") // reinterpret of lwIP-owned structs, sized as documented above
public final class Lwip {
    private Lwip() {}

    public static final int ERR_OK = 0, ERR_MEM = -1, ERR_BUF = -2, ERR_TIMEOUT = -3, ERR_RTE = -4,
            ERR_INPROGRESS = -5, ERR_VAL = -6, ERR_WOULDBLOCK = -7, ERR_USE = -8, ERR_ALREADY = -9,
            ERR_ISCONN = -10, ERR_CONN = -11, ERR_IF = -12, ERR_ABRT = -13, ERR_RST = -14,
            ERR_CLSD = -15, ERR_ARG = -16;

    public static final int PBUF_RAW = 0;
    public static final int PBUF_POOL = 0x182;
    /**
     * Received frames go into PBUF_RAM pbufs (one malloc of the exact size). PBUF_POOL pbufs of
     * this build overrun their allocation on full-size frames (malloc reports a corrupted top
     * chunk after a few hundred 1514-byte frames; found by NetStackTest's large receive).
     */
    public static final int PBUF_RAM = 0x280;
    public static final int PBUF_TOT_LEN = 16;
    public static final int IP6_ADDR_PREFERRED = 0x30;

    private static final String[] NAMES = {"ERR_OK", "ERR_MEM", "ERR_BUF", "ERR_TIMEOUT", "ERR_RTE",
        "ERR_INPROGRESS", "ERR_VAL", "ERR_WOULDBLOCK", "ERR_USE", "ERR_ALREADY", "ERR_ISCONN", "ERR_CONN",
        "ERR_IF", "ERR_ABRT", "ERR_RST", "ERR_CLSD", "ERR_ARG"};
    private static final String[] TEXT = {"Ok", "Out of memory", "Buffer error", "Timeout",
        "Routing problem", "Operation in progress", "Illegal value", "Operation would block",
        "Address in use", "Already connecting", "Already connected", "Not connected",
        "Low-level netif error", "Connection aborted", "Connection reset", "Connection closed",
        "Illegal argument"};
    /** lwIP's err_to_errno table, as Linux errno numbers. */
    private static final int[] ERRNO = {0, 12, 105, 11, 113, 115, 22, 11, 98, 114, 106, 107, 5, 103, 104, 107, 5};

    /** @return lwIP's name of {@code err}, e.g. "ERR_RST" */
    public static String name(int err) {
        return err <= 0 && err >= -16 ? NAMES[-err] : "err_t " + err;
    }

    /** @return lwIP's text for {@code err} (as lwip_strerr) */
    public static String text(int err) {
        return err <= 0 && err >= -16 ? TEXT[-err] : "unknown lwIP error";
    }

    /** @return the errno lwIP's socket layer reports for {@code err} */
    public static int errno(int err) {
        return err <= 0 && err >= -16 ? ERRNO[-err] : 5;
    }

    static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIB;
    private static final Throwable LOAD_FAILURE;

    static {
        SymbolLookup lib = null;
        Throwable failure = null;
        try {
            lib = libraryLookup();
        } catch (RuntimeException e) {
            failure = e;
        }
        LIB = lib;
        LOAD_FAILURE = failure;
    }

    @SuppressWarnings("restricted")
    private static SymbolLookup libraryLookup() {
        String path = System.getProperty("jvpoll.net.liblwip", "liblwip.so.0");
        return SymbolLookup.libraryLookup(path, Arena.global());
    }

    /** @return why liblwip could not be loaded, or null if it was */
    public static String unavailableReason() {
        return LOAD_FAILURE == null ? null
                : "lwIP is not installed: liblwip.so.0 (Debian package liblwip0) could not be loaded ("
                        + LOAD_FAILURE.getMessage() + "); apt-get install liblwip0";
    }

    static MemorySegment symbol(String name) {
        if (LIB == null) {
            throw new IllegalStateException(unavailableReason());
        }
        return LIB.find(name).orElseThrow(() -> new UnsatisfiedLinkError("liblwip has no symbol " + name));
    }

    @SuppressWarnings("restricted")
    static MethodHandle fn(String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(symbol(name), d);
    }

    static RuntimeException unexpected(Throwable t) {
        if (t instanceof RuntimeException re) {
            return re;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    private static final class H {
        static final MethodHandle TCPIP_INIT = fn("tcpip_init", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
        static final MethodHandle LOCK = fn("sys_lock_tcpip_core", FunctionDescriptor.ofVoid());
        static final MethodHandle UNLOCK = fn("sys_unlock_tcpip_core", FunctionDescriptor.ofVoid());
        static final MethodHandle NETIF_ADD = fn("netif_add", FunctionDescriptor.of(ADDRESS,
                ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        static final MethodHandle NETIF_REMOVE = fn("netif_remove", FunctionDescriptor.ofVoid(ADDRESS));
        static final MethodHandle NETIF_SET_UP = fn("netif_set_up", FunctionDescriptor.ofVoid(ADDRESS));
        static final MethodHandle NETIF_SET_DOWN = fn("netif_set_down", FunctionDescriptor.ofVoid(ADDRESS));
        static final MethodHandle NETIF_LINK_UP = fn("netif_set_link_up", FunctionDescriptor.ofVoid(ADDRESS));
        static final MethodHandle NETIF_LINK_DOWN = fn("netif_set_link_down", FunctionDescriptor.ofVoid(ADDRESS));
        static final MethodHandle NETIF_SET_DEFAULT = fn("netif_set_default", FunctionDescriptor.ofVoid(ADDRESS));
        static final MethodHandle IP6_LINKLOCAL = fn("netif_create_ip6_linklocal_address",
                FunctionDescriptor.ofVoid(ADDRESS, JAVA_BYTE));
        static final MethodHandle IP6_ADD = fn("netif_add_ip6_address",
                FunctionDescriptor.of(JAVA_BYTE, ADDRESS, ADDRESS, ADDRESS));
        static final MethodHandle IP6_STATE = fn("netif_ip6_addr_set_state",
                FunctionDescriptor.ofVoid(ADDRESS, JAVA_BYTE, JAVA_BYTE));
        static final MethodHandle TCPIP_INPUT = fn("tcpip_input", FunctionDescriptor.of(JAVA_BYTE, ADDRESS, ADDRESS));
        static final MethodHandle PBUF_ALLOC = fn("pbuf_alloc", FunctionDescriptor.of(ADDRESS, JAVA_INT, JAVA_SHORT, JAVA_INT));
        static final MethodHandle PBUF_TAKE = fn("pbuf_take", FunctionDescriptor.of(JAVA_BYTE, ADDRESS, ADDRESS, JAVA_SHORT));
        static final MethodHandle PBUF_FREE = fn("pbuf_free", FunctionDescriptor.of(JAVA_BYTE, ADDRESS));
        static final MethodHandle PBUF_COPY = fn("pbuf_copy_partial",
                FunctionDescriptor.of(JAVA_SHORT, ADDRESS, ADDRESS, JAVA_SHORT, JAVA_SHORT));
    }

    private static volatile boolean started;

    /**
     * Starts lwIP once per process: {@code tcpip_init(NULL, NULL)} runs {@code lwip_init()} in
     * this thread and starts the tcpip thread.
     */
    public static synchronized void start() {
        if (started) {
            return;
        }
        String why = unavailableReason();
        if (why != null) {
            throw new IllegalStateException(why);
        }
        try {
            H.TCPIP_INIT.invokeExact(MemorySegment.NULL, MemorySegment.NULL);
        } catch (Throwable t) {
            throw unexpected(t);
        }
        started = true;
    }

    /** Takes lwIP's core lock; pair with {@link #unlockCore()} in a finally block. */
    public static void lockCore() {
        try {
            H.LOCK.invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void unlockCore() {
        try {
            H.UNLOCK.invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** netif_add; caller holds the core lock. @return the netif, or NULL if init failed */
    public static MemorySegment netifAdd(MemorySegment netif, MemorySegment ip, MemorySegment mask, MemorySegment gw,
                                         MemorySegment init) {
        try {
            return (MemorySegment) H.NETIF_ADD.invokeExact(netif, ip, mask, gw, MemorySegment.NULL, init,
                    symbol("tcpip_input"));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static void call1(MethodHandle h, MemorySegment netif) {
        try {
            h.invokeExact(netif);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** Caller holds the core lock for these netif calls. */
    public static void netifRemove(MemorySegment n) { call1(H.NETIF_REMOVE, n); }
    public static void netifSetUp(MemorySegment n) { call1(H.NETIF_SET_UP, n); }
    public static void netifSetDown(MemorySegment n) { call1(H.NETIF_SET_DOWN, n); }
    public static void netifSetLinkUp(MemorySegment n) { call1(H.NETIF_LINK_UP, n); }
    public static void netifSetLinkDown(MemorySegment n) { call1(H.NETIF_LINK_DOWN, n); }
    public static void netifSetDefault(MemorySegment n) { call1(H.NETIF_SET_DEFAULT, n); }

    public static void netifIp6LinkLocal(MemorySegment n) {
        try {
            H.IP6_LINKLOCAL.invokeExact(n, (byte) 1);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** @return the address index, or a negative err_t */
    public static int netifAddIp6(MemorySegment n, MemorySegment ip6, MemorySegment idxOut) {
        try {
            byte err = (byte) H.IP6_ADD.invokeExact(n, ip6, idxOut);
            return err != 0 ? err : idxOut.get(JAVA_BYTE, 0);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void netifIp6State(MemorySegment n, int idx, int state) {
        try {
            H.IP6_STATE.invokeExact(n, (byte) idx, (byte) state);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** @return the symbol's address (etharp_output, ethip6_output) */
    public static MemorySegment address(String name) {
        return symbol(name);
    }

    /** Queues an Ethernet frame for the tcpip thread. @return an err_t; on error the caller frees p */
    public static int tcpipInput(MemorySegment p, MemorySegment netif) {
        try {
            return (byte) H.TCPIP_INPUT.invokeExact(p, netif);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** @return a PBUF_RAM pbuf (contiguous) holding {@code len} bytes, or NULL */
    public static MemorySegment pbufAllocRam(int len) {
        try {
            return (MemorySegment) H.PBUF_ALLOC.invokeExact(PBUF_RAW, (short) len, PBUF_RAM);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static int pbufTake(MemorySegment p, MemorySegment src, int len) {
        try {
            return (byte) H.PBUF_TAKE.invokeExact(p, src, (short) len);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    public static void pbufFree(MemorySegment p) {
        try {
            byte ignored = (byte) H.PBUF_FREE.invokeExact(p);
            assert ignored >= 0;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** @return the number of bytes copied */
    public static int pbufCopy(MemorySegment p, MemorySegment dst, int len, int offset) {
        try {
            return Short.toUnsignedInt((short) H.PBUF_COPY.invokeExact(p, dst, (short) len, (short) offset));
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** @return p->tot_len */
    public static int pbufTotLen(MemorySegment p) {
        return Short.toUnsignedInt(p.reinterpret(24).get(JAVA_SHORT, PBUF_TOT_LEN));
    }
}
