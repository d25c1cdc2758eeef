package org.jvpoll.syscall;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;

import org.jvpoll.Errno;
import org.jvpoll.VpollException;

/**
 * A minimal io_uring written directly over FFM: {@code io_uring_setup(2)} and
 * {@code io_uring_enter(2)} through {@code syscall(2)} (numbers 425 and 426, the same on x86_64
 * and aarch64), the rings mmapped from the ring fd. No liburing. One {@code Uring} is used by one
 * thread at a time (callers pool them); it submits a run of SQEs and waits for all of their CQEs.
 *
 * <pre>
 * struct io_uring_params {                 // 120 bytes
 *     __u32 sq_entries, cq_entries, flags;  // 0, 4, 8
 *     __u32 sq_thread_cpu, sq_thread_idle;  // 12, 16
 *     __u32 features, wq_fd, resv[3];       // 20, 24, 28..39
 *     struct io_sqring_offsets sq_off;      // 40: head, tail, ring_mask, ring_entries, flags,
 *                                           //     dropped, array, resv1 (u32 each), user_addr (u64)
 *     struct io_cqring_offsets cq_off;      // 80: head, tail, ring_mask, ring_entries, overflow,
 *                                           //     cqes, flags, resv1 (u32 each), user_addr (u64)
 * };
 * struct io_uring_sqe {                    // 64 bytes
 *     __u8 opcode; __u8 flags; __u16 ioprio; __s32 fd;   // 0, 1, 2, 4
 *     union { __u64 off; struct { __u32 cmd_op, __pad1; }; };      // 8
 *     union { __u64 addr; struct { __u32 level, optname; }; };     // 16
 *     __u32 len;                                         // 24
 *     __u32 op_flags;   // msg_flags, rw_flags ...        // 28
 *     __u64 user_data;                                   // 32
 *     __u16 buf_index; __u16 personality;                // 40, 42
 *     union { __s32 splice_fd_in; __u32 optlen; };       // 44
 *     union { struct { __u64 addr3, __pad2[1]; }; __u64 optval; }; // 48
 * };
 * struct io_uring_cqe { __u64 user_data; __s32 res; __u32 flags; };  // 16 bytes
 * </pre>
 *
 * <p>The layouts below name C's anonymous unions and structs ({@code off_u}, {@code cmd}, ...),
 * since a Java layout path needs a name at every level; the leaf names are the kernel's
 * (with {@code op_flags} for the union of rw_flags, msg_flags, ...).
 *
 * <p>Memory ordering, as liburing does it: SQEs and the SQ array are written with plain stores,
 * then the SQ tail is published with a release store; the CQ tail is read with an acquire load
 * before the CQEs, and the CQ head is handed back with a release store.
 */
public final class Uring implements AutoCloseable {
    /** x86_64 and aarch64 (asm-generic) share these numbers. */
    static final long SYS_IO_URING_SETUP = 425;
    static final long SYS_IO_URING_ENTER = 426;

    public static final byte IORING_OP_READ = 22;
    public static final byte IORING_OP_WRITE = 23;
    public static final byte IORING_OP_SEND = 26;
    public static final byte IORING_OP_RECV = 27;
    /** A file's own command; on a socket (kernel >= 6.7) {@link #SOCKET_URING_OP_SETSOCKOPT} among them. */
    public static final byte IORING_OP_URING_CMD = 46;
    /** cmd_op of IORING_OP_URING_CMD on a socket: setsockopt(2), completing with its return value. */
    public static final int SOCKET_URING_OP_SETSOCKOPT = 3;
    /** Links an SQE to the next: the next starts only after this one completed successfully. */
    public static final byte IOSQE_IO_LINK = 4;
    static final int IORING_FEAT_SINGLE_MMAP = 1;
    static final int IORING_ENTER_GETEVENTS = 1;
    static final long IORING_OFF_SQ_RING = 0L;
    static final long IORING_OFF_CQ_RING = 0x8000000L;
    static final long IORING_OFF_SQES = 0x10000000L;

    private static final int PROT_READ = 1;
    private static final int PROT_WRITE = 2;
    private static final int MAP_SHARED = 1;
    private static final int MAP_POPULATE = 0x8000;

    public static final StructLayout SQRING_OFFSETS = MemoryLayout.structLayout(
            JAVA_INT.withName("head"), JAVA_INT.withName("tail"), JAVA_INT.withName("ring_mask"),
            JAVA_INT.withName("ring_entries"), JAVA_INT.withName("flags"), JAVA_INT.withName("dropped"),
            JAVA_INT.withName("array"), JAVA_INT.withName("resv1"), JAVA_LONG.withName("user_addr"))
            .withName("io_sqring_offsets");
    public static final StructLayout CQRING_OFFSETS = MemoryLayout.structLayout(
            JAVA_INT.withName("head"), JAVA_INT.withName("tail"), JAVA_INT.withName("ring_mask"),
            JAVA_INT.withName("ring_entries"), JAVA_INT.withName("overflow"), JAVA_INT.withName("cqes"),
            JAVA_INT.withName("flags"), JAVA_INT.withName("resv1"), JAVA_LONG.withName("user_addr"))
            .withName("io_cqring_offsets");
    public static final StructLayout PARAMS = MemoryLayout.structLayout(
            JAVA_INT.withName("sq_entries"), JAVA_INT.withName("cq_entries"), JAVA_INT.withName("flags"),
            JAVA_INT.withName("sq_thread_cpu"), JAVA_INT.withName("sq_thread_idle"), JAVA_INT.withName("features"),
            JAVA_INT.withName("wq_fd"), MemoryLayout.sequenceLayout(3, JAVA_INT).withName("resv"),
            SQRING_OFFSETS.withName("sq_off"), CQRING_OFFSETS.withName("cq_off")).withName("io_uring_params");
    public static final StructLayout SQE = MemoryLayout.structLayout(
            JAVA_BYTE.withName("opcode"), JAVA_BYTE.withName("flags"), JAVA_SHORT.withName("ioprio"),
            JAVA_INT.withName("fd"),
            MemoryLayout.unionLayout(
                    JAVA_LONG.withName("off"),
                    MemoryLayout.structLayout(JAVA_INT.withName("cmd_op"), JAVA_INT.withName("__pad1")).withName("cmd"))
                    .withName("off_u"),
            MemoryLayout.unionLayout(
                    JAVA_LONG.withName("addr"),
                    MemoryLayout.structLayout(JAVA_INT.withName("level"), JAVA_INT.withName("optname"))
                            .withName("sockopt"))
                    .withName("addr_u"),
            JAVA_INT.withName("len"), JAVA_INT.withName("op_flags"), JAVA_LONG.withName("user_data"),
            JAVA_SHORT.withName("buf_index"), JAVA_SHORT.withName("personality"),
            MemoryLayout.unionLayout(JAVA_INT.withName("splice_fd_in"), JAVA_INT.withName("optlen")).withName("fd_in_u"),
            MemoryLayout.unionLayout(
                    MemoryLayout.structLayout(JAVA_LONG.withName("addr3"), JAVA_LONG.withName("__pad2")).withName("addr3_s"),
                    JAVA_LONG.withName("optval"))
                    .withName("addr3_u"))
            .withName("io_uring_sqe");
    public static final StructLayout CQE = MemoryLayout.structLayout(
            JAVA_LONG.withName("user_data"), JAVA_INT.withName("res"), JAVA_INT.withName("flags"))
            .withName("io_uring_cqe");

    // Accessors: (segment, offset of the struct in it) -> field.
    private static final VarHandle P_SQ_ENTRIES = field(PARAMS, "sq_entries");
    private static final VarHandle P_CQ_ENTRIES = field(PARAMS, "cq_entries");
    private static final VarHandle P_FEATURES = field(PARAMS, "features");
    private static final VarHandle SQ_OFF_HEAD = field(PARAMS, "sq_off", "head");
    private static final VarHandle SQ_OFF_TAIL = field(PARAMS, "sq_off", "tail");
    private static final VarHandle SQ_OFF_RING_MASK = field(PARAMS, "sq_off", "ring_mask");
    private static final VarHandle SQ_OFF_ARRAY = field(PARAMS, "sq_off", "array");
    private static final VarHandle CQ_OFF_HEAD = field(PARAMS, "cq_off", "head");
    private static final VarHandle CQ_OFF_TAIL = field(PARAMS, "cq_off", "tail");
    private static final VarHandle CQ_OFF_RING_MASK = field(PARAMS, "cq_off", "ring_mask");
    private static final VarHandle CQ_OFF_CQES = field(PARAMS, "cq_off", "cqes");
    private static final VarHandle SQE_OPCODE = field(SQE, "opcode");
    private static final VarHandle SQE_FLAGS = field(SQE, "flags");
    private static final VarHandle SQE_FD = field(SQE, "fd");
    private static final VarHandle SQE_OFF = field(SQE, "off_u", "off");
    private static final VarHandle SQE_CMD_OP = field(SQE, "off_u", "cmd", "cmd_op");
    private static final VarHandle SQE_ADDR = field(SQE, "addr_u", "addr");
    private static final VarHandle SQE_LEVEL = field(SQE, "addr_u", "sockopt", "level");
    private static final VarHandle SQE_OPTNAME = field(SQE, "addr_u", "sockopt", "optname");
    private static final VarHandle SQE_LEN = field(SQE, "len");
    private static final VarHandle SQE_OP_FLAGS = field(SQE, "op_flags");
    private static final VarHandle SQE_USER_DATA = field(SQE, "user_data");
    private static final VarHandle SQE_OPTLEN = field(SQE, "fd_in_u", "optlen");
    private static final VarHandle SQE_OPTVAL = field(SQE, "addr3_u", "optval");
    private static final VarHandle CQE_USER_DATA = field(CQE, "user_data");
    private static final VarHandle CQE_RES = field(CQE, "res");

    /** The ring's u32 words (head, tail, mask, SQ array entries) at byte offsets the kernel gives. */
    private static final VarHandle INT = JAVA_INT.varHandle();

    private static VarHandle field(MemoryLayout layout, String... path) {
        MemoryLayout.PathElement[] elements = new MemoryLayout.PathElement[path.length];
        for (int i = 0; i < path.length; i++) {
            elements[i] = MemoryLayout.PathElement.groupElement(path[i]);
        }
        return layout.varHandle(elements);
    }

    private static final MethodHandle SETUP = Syscall.linkVariadic("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS), 1);
    private static final MethodHandle ENTER = Syscall.linkVariadic("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG), 1);
    /**
     * mmap's {@code void *} result is linked as a {@code long} so that {@link Syscall#link} folds
     * errno into it: MAP_FAILED is {@code (void *) -1}, and user-space addresses on x86_64 and
     * aarch64 are below 2^56, so a mapping is never negative.
     */
    private static final MethodHandle MMAP = Syscall.link("mmap",
            FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MUNMAP = Syscall.link("munmap",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));

    private final int ringFd;
    private final int entries;
    private final MemorySegment sqRing;
    private final MemorySegment cqRing; // the same mapping as sqRing with IORING_FEAT_SINGLE_MMAP
    private final MemorySegment sqes;
    private final long sqRingSize;
    private final long cqRingSize;
    private final boolean singleMmap;
    private final long sqHead, sqTail, sqArray, cqHead, cqTail, cqes;
    private final int sqMask;
    private final int cqMask;
    /** SQEs filled since the last submit. */
    private int pending;
    private boolean closed;

    private Uring(int ringFd, MemorySegment params) throws VpollException {
        this.ringFd = ringFd;
        this.entries = (int) P_SQ_ENTRIES.get(params, 0L);
        int cqEntries = (int) P_CQ_ENTRIES.get(params, 0L);
        singleMmap = ((int) P_FEATURES.get(params, 0L) & IORING_FEAT_SINGLE_MMAP) != 0;
        sqHead = (int) SQ_OFF_HEAD.get(params, 0L);
        sqTail = (int) SQ_OFF_TAIL.get(params, 0L);
        int sqMaskOff = (int) SQ_OFF_RING_MASK.get(params, 0L);
        sqArray = (int) SQ_OFF_ARRAY.get(params, 0L);
        cqHead = (int) CQ_OFF_HEAD.get(params, 0L);
        cqTail = (int) CQ_OFF_TAIL.get(params, 0L);
        int cqMaskOff = (int) CQ_OFF_RING_MASK.get(params, 0L);
        cqes = (int) CQ_OFF_CQES.get(params, 0L);
        long sqSize = sqArray + entries * JAVA_INT.byteSize();
        long cqSize = cqes + cqEntries * CQE.byteSize();
        if (singleMmap) {
            sqSize = cqSize = Math.max(sqSize, cqSize);
        }
        sqRingSize = sqSize;
        cqRingSize = cqSize;
        MemorySegment sq = null;
        MemorySegment cq = null;
        MemorySegment s = null;
        try {
            sq = mmap(ringFd, sqSize, IORING_OFF_SQ_RING);
            cq = singleMmap ? sq : mmap(ringFd, cqSize, IORING_OFF_CQ_RING);
            s = mmap(ringFd, entries * SQE.byteSize(), IORING_OFF_SQES);
        } catch (VpollException e) {
            if (cq != null && cq != sq) {
                munmap(cq, cqSize);
            }
            if (sq != null) {
                munmap(sq, sqSize);
            }
            throw e;
        }
        sqRing = sq;
        cqRing = cq;
        sqes = s;
        this.sqMask = (int) INT.get(sqRing, (long) sqMaskOff);
        this.cqMask = (int) INT.get(cqRing, (long) cqMaskOff);
    }

    /**
     * Sets up a ring of at least {@code entries} SQEs (a power of two, at most 4096).
     *
     * @throws VpollException with ENOSYS (no io_uring), EPERM (kernel.io_uring_disabled, seccomp,
     *                        not in io_uring_group), ENOMEM, ...; nothing is left open
     */
    public static Uring open(int entries) throws VpollException {
        if (entries < 1 || entries > 4096 || Integer.bitCount(entries) != 1) {
            throw new IllegalArgumentException("entries " + entries + ": expected a power of two in 1..4096");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = arena.allocate(PARAMS);
            long fd;
            try {
                fd = (long) SETUP.invokeExact(SYS_IO_URING_SETUP, entries, params);
            } catch (Throwable t) {
                throw Syscall.unexpected(t);
            }
            Syscall.check(fd, "io_uring_setup", entries);
            try {
                return new Uring((int) fd, params);
            } catch (VpollException | RuntimeException e) {
                Unistd.closeQuietly((int) fd);
                throw e;
            }
        }
    }

    /**
     * Whether io_uring can be used here, asked once per process: null if it can, otherwise why not
     * (the {@code kernel.io_uring_disabled} sysctl, or the errno of a probing io_uring_setup).
     */
    public static String unavailableReason() {
        return Probe.REASON;
    }

    private static final class Probe {
        static final String REASON = probe();

        private static String probe() {
            Path sysctl = Path.of("/proc/sys/kernel/io_uring_disabled");
            try {
                if (Files.isReadable(sysctl)) {
                    String v = Files.readString(sysctl).trim();
                    if (v.equals("2")) {
                        return "kernel.io_uring_disabled=2: io_uring is disabled for every process";
                    }
                }
            } catch (IOException e) {
                // unreadable: let io_uring_setup answer
            }
            try {
                open(2).close();
                return null;
            } catch (VpollException e) {
                return "io_uring_setup failed with " + Errno.name(e.errno()) + switch (e.errno()) {
                    case Errno.ENOSYS -> " (kernel without io_uring, or a seccomp filter)";
                    case Errno.EPERM -> " (kernel.io_uring_disabled=1 and not in io_uring_group, or a seccomp filter)";
                    default -> "";
                };
            }
        }
    }

    /** @return the number of SQEs the ring holds */
    public int entries() {
        return entries;
    }

    /** @return how many more SQEs fit before the next {@link #submitAndWait} */
    public int free() {
        return entries - pending;
    }

    /**
     * Fills the next SQE. {@code addr}/{@code len}/{@code opFlags} are the operation's buffer,
     * length and flags (msg_flags for SEND/RECV, rw_flags for READ/WRITE).
     *
     * @throws IllegalStateException if the ring is full (check {@link #free()})
     */
    public void prepare(byte opcode, byte flags, int fd, MemorySegment buf, int len, int opFlags, long offset,
            long userData) {
        if (pending >= entries) {
            throw new IllegalStateException("io_uring submission queue full (" + entries + " entries)");
        }
        long at = nextSqe();
        SQE_OPCODE.set(sqes, at, opcode);
        SQE_FLAGS.set(sqes, at, flags);
        SQE_FD.set(sqes, at, fd);
        SQE_OFF.set(sqes, at, offset);
        SQE_ADDR.set(sqes, at, buf.address());
        SQE_LEN.set(sqes, at, len);
        SQE_OP_FLAGS.set(sqes, at, opFlags);
        SQE_USER_DATA.set(sqes, at, userData);
        pending++;
    }

    /**
     * Fills the next SQE with {@code setsockopt(fd, level, optname, optval, optlen)} as an
     * IORING_OP_URING_CMD (SOCKET_URING_OP_SETSOCKOPT, kernel >= 6.7; older kernels complete it
     * with EOPNOTSUPP or EINVAL): the SQE's cmd_op, level, optname, optlen and optval.
     *
     * @throws IllegalStateException if the ring is full (check {@link #free()})
     */
    public void prepareSetsockopt(byte flags, int fd, int level, int optname, MemorySegment optval, int optlen,
            long userData) {
        if (pending >= entries) {
            throw new IllegalStateException("io_uring submission queue full (" + entries + " entries)");
        }
        long at = nextSqe();
        SQE_OPCODE.set(sqes, at, IORING_OP_URING_CMD);
        SQE_FLAGS.set(sqes, at, flags);
        SQE_FD.set(sqes, at, fd);
        SQE_CMD_OP.set(sqes, at, SOCKET_URING_OP_SETSOCKOPT);
        SQE_LEVEL.set(sqes, at, level);
        SQE_OPTNAME.set(sqes, at, optname);
        SQE_USER_DATA.set(sqes, at, userData);
        SQE_OPTLEN.set(sqes, at, optlen);
        SQE_OPTVAL.set(sqes, at, optval.address());
        pending++;
    }

    /**
     * Zeroes the next free SQE and points the SQ array's slot at it; the caller fills it and
     * counts it in {@link #pending}.
     *
     * @return the SQE's byte offset in {@link #sqes}
     */
    private long nextSqe() {
        int tail = (int) INT.getAcquire(sqRing, sqTail) + pending;
        int index = tail & sqMask;
        long at = index * SQE.byteSize();
        sqes.asSlice(at, SQE.byteSize()).fill((byte) 0);
        INT.set(sqRing, sqArray + index * JAVA_INT.byteSize(), index);
        return at;
    }

    /** Receives one completion. */
    @FunctionalInterface
    public interface Completion {
        void complete(long userData, int res);
    }

    /**
     * Publishes the prepared SQEs, submits them with one {@code io_uring_enter} that waits for all
     * their completions, and hands every CQE to {@code sink}.
     * Every operation must be non-blocking (SEND/RECV with MSG_DONTWAIT, READ/WRITE with
     * RWF_NOWAIT): io_uring would otherwise wait for readiness, and so would this call.
     *
     * @return the number of io_uring_enter calls made (1 unless interrupted or partially submitted)
     * @throws VpollException if io_uring_enter fails (the SQEs not consumed are dropped)
     */
    public int submitAndWait(Completion sink) throws VpollException {
        int n = pending;
        if (n == 0) {
            return 0;
        }
        int tail = (int) INT.getAcquire(sqRing, sqTail);
        INT.setRelease(sqRing, sqTail, tail + n);
        pending = 0;
        int calls = 0;
        int toSubmit = n;
        int reaped = 0;
        while (reaped < n) {
            long rc;
            try {
                rc = (long) ENTER.invokeExact(SYS_IO_URING_ENTER, ringFd, toSubmit, n - reaped,
                        IORING_ENTER_GETEVENTS, MemorySegment.NULL, 0L);
            } catch (Throwable t) {
                throw Syscall.unexpected(t);
            }
            calls++;
            if (rc < 0) {
                // Not a waiting call of the convention: EINTR (a signal during the wait) and EAGAIN
                // (the kernel short of memory for requests) are retried here, after taking the
                // completions that did arrive.
                reaped += reap(sink);
                if (rc == Syscall.INTERRUPTED || rc == Syscall.WOULD_BLOCK) {
                    continue;
                }
                if (toSubmit > 0) {
                    throw Syscall.failure("io_uring_enter(" + toSubmit + " SQEs)", rc);
                }
                throw Syscall.failure("io_uring_enter(wait for " + (n - reaped) + " CQEs)", rc);
            }
            toSubmit -= (int) Math.min(rc, toSubmit);
            reaped += reap(sink);
        }
        return calls;
    }

    private int reap(Completion sink) {
        int head = (int) INT.getAcquire(cqRing, cqHead);
        int tail = (int) INT.getAcquire(cqRing, cqTail);
        int count = 0;
        while (head != tail) {
            long at = cqes + (head & cqMask) * CQE.byteSize();
            long userData = (long) CQE_USER_DATA.get(cqRing, at);
            int res = (int) CQE_RES.get(cqRing, at);
            head++;
            count++;
            sink.complete(userData, res);
        }
        INT.setRelease(cqRing, cqHead, head);
        return count;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        munmap(sqes, entries * SQE.byteSize());
        if (cqRing != sqRing) {
            munmap(cqRing, cqRingSize);
        }
        munmap(sqRing, sqRingSize);
        Unistd.closeQuietly(ringFd);
    }

    private static MemorySegment mmap(int fd, long size, long offset) throws VpollException {
        long address;
        try {
            address = (long) MMAP.invokeExact(MemorySegment.NULL, size, PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_POPULATE, fd, offset);
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
        Syscall.check(address, "mmap(io_uring ring, " + size + " bytes, offset " + Syscall.hex(offset) + ")");
        return Syscall.wrap(MemorySegment.ofAddress(address), size);
    }

    private static void munmap(MemorySegment m, long size) {
        try {
            long rc = (long) MUNMAP.invokeExact(m, size);
            assert rc == 0 : Syscall.failure("munmap(io_uring ring, " + size + " bytes)", rc).getMessage();
        } catch (Throwable t) {
            throw Syscall.unexpected(t);
        }
    }
}
