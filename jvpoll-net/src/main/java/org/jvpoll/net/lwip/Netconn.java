package org.jvpoll.net.lwip;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * lwIP's netconn API (thread-safe: each call runs its core part under the core lock).
 *
 * <pre>
 * struct netconn *netconn_new_with_proto_and_callback(enum netconn_type t, u8_t proto, netconn_callback cb);
 *     NETCONN_TCP 0x10, NETCONN_TCP_IPV6 0x18, NETCONN_UDP 0x20, NETCONN_UDP_IPV6 0x28
 * typedef void (*netconn_callback)(struct netconn *, enum netconn_evt, u16_t len);
 *     NETCONN_EVT_RCVPLUS 0, RCVMINUS 1, SENDPLUS 2, SENDMINUS 3, ERROR 4
 * err_t netconn_delete(struct netconn *);                 close (FIN) and free
 * err_t netconn_bind(struct netconn *, const ip_addr_t *, u16_t port);   port in host order
 * err_t netconn_bind_if(struct netconn *, u8_t if_idx);   if_idx = netif->num + 1
 * err_t netconn_connect(struct netconn *, const ip_addr_t *, u16_t port);
 * err_t netconn_listen_with_backlog(struct netconn *, u8_t backlog);
 * err_t netconn_accept(struct netconn *, struct netconn **new_conn);
 * err_t netconn_recv_tcp_pbuf_flags(struct netconn *, struct pbuf **, u8_t apiflags);
 * err_t netconn_recv_udp_raw_netbuf_flags(struct netconn *, struct netbuf **, u8_t apiflags);
 * err_t netconn_write_partly(struct netconn *, const void *, size_t, u8_t apiflags, size_t *written);
 *     NETCONN_COPY 1, NETCONN_MORE 2, NETCONN_DONTBLOCK 4
 * err_t netconn_send(struct netconn *, struct netbuf *);
 * err_t netconn_sendto(struct netconn *, struct netbuf *, const ip_addr_t *, u16_t port);
 * err_t netconn_shutdown(struct netconn *, u8_t shut_rx, u8_t shut_tx);
 * err_t netconn_getaddr(struct netconn *, ip_addr_t *, u16_t *port, u8_t local);
 * err_t netconn_err(struct netconn *);                    returns and clears pending_err
 * struct netbuf *netbuf_new(void);  void netbuf_delete(struct netbuf *);
 * void *netbuf_alloc(struct netbuf *, u16_t size);
 *
 * struct netconn (88 bytes on this build; only these fields are used):
 *   int socket @48     "only used for socket layer": lwIP sets -1 at allocation and never reads it
 *                      without LWIP_SOCKET users; jvpoll-net keeps its own id there (see ConnEvents)
 *   u8_t flags @70     NETCONN_FLAG_NON_BLOCKING 0x02 (netconn_set_nonblocking is a plain RMW of it)
 * struct netbuf (48 bytes): struct pbuf *p @0; struct pbuf *ptr @8; ip_addr_t addr @16; u16_t port @40
 * </pre>
 *
 * Every netconn jvpoll-net makes is non-blocking (the flag is set under the core lock right after
 * creation or accept), so no netconn call ever waits inside lwIP; blocking sockets wait in Java
 * for the events the callback delivered (see docs/net.md).
 */
@SuppressWarnings("restricted") // reinterpret of lwIP-owned structs, sized as documented above
public final class Netconn {
    private Netconn() {}

    public static final int TCP = 0x10, TCP_IPV6 = 0x18, UDP = 0x20, UDP_IPV6 = 0x28;
    public static final int EVT_RCVPLUS = 0, EVT_RCVMINUS = 1, EVT_SENDPLUS = 2, EVT_SENDMINUS = 3, EVT_ERROR = 4;
    public static final int COPY = 1, DONTBLOCK = 4;
    public static final long FLAGS_OFFSET = 70;
    public static final long SOCKET_OFFSET = 48;
    public static final int FLAG_NON_BLOCKING = 0x02;
    public static final long NETCONN_SIZE = 88;
    public static final long NETBUF_P = 0, NETBUF_ADDR = 16, NETBUF_PORT = 40, NETBUF_SIZE = 48;

    /** Receives netconn events: must not throw and must not call lwIP. */
    public interface Listener {
        void event(long conn, int evt, int len);
    }

    private static volatile Listener listener;
    private static MemorySegment callbackStub;

    private static final class H {
        static final MethodHandle NEW = Lwip.fn("netconn_new_with_proto_and_callback",
                FunctionDescriptor.of(ADDRESS, JAVA_INT, JAVA_BYTE, ADDRESS));
        static final MethodHandle DELETE = Lwip.fn("netconn_delete", FunctionDescriptor.of(JAVA_BYTE, ADDRESS));
        static final MethodHandle BIND = Lwip.fn("netconn_bind", FunctionDescriptor.of(JAVA_BYTE, ADDRESS, ADDRESS, JAVA_SHORT));
        static final MethodHandle BIND_IF = Lwip.fn("netconn_bind_if", FunctionDescriptor.of(JAVA_BYTE, ADDRESS, JAVA_BYTE));
        static final MethodHandle CONNECT = Lwip.fn("netconn_connect", FunctionDescriptor.of(JAVA_BYTE, ADDRESS, ADDRESS, JAVA_SHORT));
        static final MethodHandle LISTEN = Lwip.fn("netconn_listen_with_backlog", FunctionDescriptor.of(JAVA_BYTE, ADDRESS, JAVA_BYTE));
        static final MethodHandle ACCEPT = Lwip.fn("netconn_accept", FunctionDescriptor.of(JAVA_BYTE, ADDRESS, ADDRESS));
        static final MethodHandle RECV_TCP = Lwip.fn("netconn_recv_tcp_pbuf_flags",
                FunctionDescriptor.of(JAVA_BYTE, ADDRESS, ADDRESS, JAVA_BYTE));
        static final MethodHandle RECV_UDP = Lwip.fn("netconn_recv_udp_raw_netbuf_flags",
                FunctionDescriptor.of(JAVA_BYTE, ADDRESS, ADDRESS, JAVA_BYTE));
        static final MethodHandle WRITE = Lwip.fn("netconn_write_partly",
                FunctionDescriptor.of(JAVA_BYTE, ADDRESS, ADDRESS, JAVA_LONG, JAVA_BYTE, ADDRESS));
        static final MethodHandle SEND = Lwip.fn("netconn_send", FunctionDescriptor.of(JAVA_BYTE, ADDRESS, ADDRESS));
        static final MethodHandle SENDTO = Lwip.fn("netconn_sendto",
                FunctionDescriptor.of(JAVA_BYTE, ADDRESS, ADDRESS, ADDRESS, JAVA_SHORT));
        static final MethodHandle SHUTDOWN = Lwip.fn("netconn_shutdown", FunctionDescriptor.of(JAVA_BYTE, ADDRESS, JAVA_BYTE, JAVA_BYTE));
        static final MethodHandle GETADDR = Lwip.fn("netconn_getaddr",
                FunctionDescriptor.of(JAVA_BYTE, ADDRESS, ADDRESS, ADDRESS, JAVA_BYTE));
        static final MethodHandle ERR = Lwip.fn("netconn_err", FunctionDescriptor.of(JAVA_BYTE, ADDRESS));
        static final MethodHandle NETBUF_NEW = Lwip.fn("netbuf_new", FunctionDescriptor.of(ADDRESS));
        static final MethodHandle NETBUF_DELETE = Lwip.fn("netbuf_delete", FunctionDescriptor.ofVoid(ADDRESS));
        static final MethodHandle NETBUF_ALLOC = Lwip.fn("netbuf_alloc", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_SHORT));
    }

    /**
     * Installs the one process-wide callback (an FFM upcall stub, never freed). The stub catches
     * every Throwable: an exception escaping an upcall would end the JVM.
     */
    @SuppressWarnings("restricted")
    public static synchronized void install(Listener l) {
        listener = l;
        if (callbackStub == null) {
            try {
                MethodHandle target = MethodHandles.lookup().findStatic(Netconn.class, "upcall",
                        MethodType.methodType(void.class, MemorySegment.class, int.class, short.class));
                callbackStub = Lwip.LINKER.upcallStub(target,
                        FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_SHORT), Arena.global());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static void upcall(MemorySegment conn, int evt, short len) {
        try {
            Listener l = listener;
            if (l != null) {
                l.event(conn.address(), evt, Short.toUnsignedInt(len));
            }
        } catch (Throwable t) {
            try {
                System.err.println("jvpoll-net: netconn callback failed (event dropped): " + t);
            } catch (Throwable ignored) {
                // nothing may escape an upcall
            }
        }
    }

    /** @return a new netconn with the installed callback, or NULL (out of memory) */
    public static long create(int type) {
        try {
            return ((MemorySegment) H.NEW.invokeExact(type, (byte) 0, callbackStub)).address();
        } catch (Throwable t) {
            throw Lwip.unexpected(t);
        }
    }

    /** Sets NETCONN_FLAG_NON_BLOCKING; the caller holds the core lock (the macro is a plain RMW of flags). */
    public static void setNonBlockingLocked(long conn) {
        MemorySegment c = MemorySegment.ofAddress(conn).reinterpret(NETCONN_SIZE);
        c.set(JAVA_BYTE, FLAGS_OFFSET, (byte) (c.get(JAVA_BYTE, FLAGS_OFFSET) | FLAG_NON_BLOCKING));
    }

    /** @return conn->socket (jvpoll-net's id; -1 as lwIP made it). Callers hold the core lock or are the callback. */
    public static int socketField(long conn) {
        return MemorySegment.ofAddress(conn).reinterpret(NETCONN_SIZE).get(JAVA_INT, SOCKET_OFFSET);
    }

    /** Sets conn->socket; the caller holds the core lock or is the callback. */
    public static void setSocketField(long conn, int value) {
        MemorySegment.ofAddress(conn).reinterpret(NETCONN_SIZE).set(JAVA_INT, SOCKET_OFFSET, value);
    }

    private static MemorySegment p(long a) {
        return MemorySegment.ofAddress(a);
    }

    public static int delete(long conn) {
        try {
            return (byte) H.DELETE.invokeExact(p(conn));
        } catch (Throwable t) {
            throw Lwip.unexpected(t);
        }
    }

    public static int bind(long conn, MemorySegment addr, int port) {
        try {
            return (byte) H.BIND.invokeExact(p(conn), addr, (short) port);
        } catch (Throwable t) {
            throw Lwip.unexpected(t);
        }
    }

    public static int bindIf(long conn, int ifIdx) {
        try {
            return (byte) H.BIND_IF.invokeExact(p(conn), (byte) ifIdx);
        } catch (Throwable t) {
            throw Lwip.unexpected(t);
        }
    }

    public static int connect(long conn, MemorySegment addr, int port) {
        try {
            return (byte) H.CONNECT.invokeExact(p(conn), addr, (short) port);
        } catch (Throwable t) {
            throw Lwip.unexpected(t);
        }
    }

    public static int listen(long conn, int backlog) {
        try {
            return (byte) H.LISTEN.invokeExact(p(conn), (byte) Math.min(255, Math.max(1, backlog)));
        } catch (Throwable t) {
            throw Lwip.unexpected(t);
        }
    }

    /** @param out 8 bytes, receives the new netconn */
    public static int accept(long conn, MemorySegment out) {
        try {
            return (byte) H.ACCEPT.invokeExact(p(conn), out);
        } catch (Throwable t) {
            throw Lwip.unexpected(t);
        }
    }

    /** @param out 8 bytes, receives the pbuf (NULL at end of stream, with ERR_CLSD) */
    public static int recvTcp(long conn, MemorySegment out) {
        try {
            return (byte) H.RECV_TCP.invokeExact(p(conn), out, (byte) DONTBLOCK);
        } catch (Throwable t) {
            throw Lwip.unexpected(t);
        }
    }

    /** @param out 8 bytes, receives the netbuf */
    public static int recvUdp(long conn, MemorySegment out) {
        try {
            return (byte) H.RECV_UDP.invokeExact(p(conn), out, (byte) DONTBLOCK);
        } catch (Throwable t) {
            throw Lwip.unexpected(t);
        }
    }

    /** @param written 8 bytes (size_t), receives the count queued */
    public static int write(long conn, MemorySegment data, long size, MemorySegment written) {
        try {
            return (byte) H.WRITE.invokeExact(p(conn), data, size, (byte) (COPY | DONTBLOCK), written);
        } catch (Throwable t) {
            throw Lwip.unexpected(t);
        }
    }

    public static int send(long conn, MemorySegment netbuf) {
        try {
            return (byte) H.SEND.invokeExact(p(conn), netbuf);
        } catch (Throwable t) {
            throw Lwip.unexpected(t);
        }
    }

    public static int sendTo(long conn, MemorySegment netbuf, MemorySegment addr, int port) {
        try {
            return (byte) H.SENDTO.invokeExact(p(conn), netbuf, addr, (short) port);
        } catch (Throwable t) {
            throw Lwip.unexpected(t);
        }
    }

    public static int shutdown(long conn, boolean rx, boolean tx) {
        try {
            return (byte) H.SHUTDOWN.invokeExact(p(conn), (byte) (rx ? 1 : 0), (byte) (tx ? 1 : 0));
        } catch (Throwable t) {
            throw Lwip.unexpected(t);
        }
    }

    /** @param addr 24 bytes; @param port 2 bytes */
    public static int getAddr(long conn, MemorySegment addr, MemorySegment port, boolean local) {
        try {
            return (byte) H.GETADDR.invokeExact(p(conn), addr, port, (byte) (local ? 1 : 0));
        } catch (Throwable t) {
            throw Lwip.unexpected(t);
        }
    }

    /** @return and clears the netconn's pending error */
    public static int err(long conn) {
        try {
            return (byte) H.ERR.invokeExact(p(conn));
        } catch (Throwable t) {
            throw Lwip.unexpected(t);
        }
    }

    public static MemorySegment netbufNew() {
        try {
            return ((MemorySegment) H.NETBUF_NEW.invokeExact()).reinterpret(NETBUF_SIZE);
        } catch (Throwable t) {
            throw Lwip.unexpected(t);
        }
    }

    public static void netbufDelete(MemorySegment buf) {
        try {
            H.NETBUF_DELETE.invokeExact(buf);
        } catch (Throwable t) {
            throw Lwip.unexpected(t);
        }
    }

    /** @return the payload of a new {@code size}-byte pbuf in {@code buf}, or NULL */
    public static MemorySegment netbufAlloc(MemorySegment buf, int size) {
        try {
            return ((MemorySegment) H.NETBUF_ALLOC.invokeExact(buf, (short) size)).reinterpret(size);
        } catch (Throwable t) {
            throw Lwip.unexpected(t);
        }
    }
}
