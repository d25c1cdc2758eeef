package org.jvpoll.backend;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.ClosedChannelException;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.jvpoll.Errno;
import org.jvpoll.Events;
import org.jvpoll.VpollException;
import org.jvpoll.VpollOp;
import org.jvpoll.syscall.EventFd;
import org.jvpoll.syscall.Sockets;
import org.jvpoll.syscall.Uring;

/**
 * Applies a batch of changes to many vpoll fds (the engine behind {@code org.jvpoll.VpollBatch}).
 *
 * <p>Changes are grouped by fd; groups are handled in the fds' creation order ({@link
 * VpollFile#id()}), so two batches running at once take the per-fd locks in one order and cannot
 * deadlock. Each fd is pinned ({@link VpollFile#pin()}) for as long as its changes are in flight:
 * a concurrent close releases the number only after the batch is done with it.
 *
 * <p><b>io_uring path.</b> An emulated fd ({@link SocketPairFile}) whose changes
 only raise, re-signal and clear IN and OUT — the fan-out case — is planned under its lock
 * exactly as ctl plans it, and its system calls (B's one-byte sends, A's recvs, A's SO_SNDBUF
 * setsockopts for OUT) become linked IORING_OP_SEND / IORING_OP_RECV / IORING_OP_URING_CMD SQEs,
 * one chain per fd so they run in order (OUT only where the kernel has io_uring's socket
 * setsockopt, 6.7 and later, and once ctl has queued the filler); the fd's lock is
 * held until their CQEs are in. Every other change (other backends, other events, chains too long
 * for the ring) is applied one call at a time, in place, with identical results. If an operation
 * fails, the change it belongs to gets a {@link VpollException} with the CQE's errno, the fd's
 * recorded state is re-read from the kernel, and the fd's later changes in the batch are applied
 * one by one, as sequential calls would.
 *
 * <p>An eventfd EFD_VPOLL fd ({@link EventFdBackend.File}) created O_NONBLOCK sends each change as
 * an IORING_OP_WRITE of its 8-byte command followed by an IORING_OP_READ of the mask, the fd's
 * SQEs linked into one chain, so each change gets the mask that sequential ctl's write-then-read
 * would have returned. The fd is pinned until its CQEs are in; like ctl it takes no lock (the
 * kernel applies each write atomically). The SQEs carry RWF_NOWAIT: on a blocking eventfd, io_uring
 * would otherwise park a read or write that finds no IN or OUT in the mask on poll readiness and
 * the submission would never complete; with it the operation fails with EAGAIN without effect,
 * and that change and the fd's later ones are applied one call at a time. Blocking eventfds (the
 * default) therefore go one call at a time from the start. dev-vpoll's changes are ioctls, which
 * io_uring cannot issue: they always go one call at a time, and the outcome says so.
 *
 * <p><b>Sequential path.</b> Without io_uring (or with {@code allowUring == false}) every change
 * is one ctl, with the fd pinned.
 */
public final class BatchEngine {
    private BatchEngine() {}

    /** SQEs per ring: 128 changes of one fd at most go through io_uring as one chain. */
    static final int RING_ENTRIES = 256;
    /** Rings (with their scratch arrays) are taken from here and given back; at most one per concurrent apply. */
    private static final ConcurrentLinkedQueue<Run> RINGS = new ConcurrentLinkedQueue<>();
    /** errno of a linked SQE cancelled because an earlier one of its chain failed. */
    static final int ECANCELED = 125;

    /** How a batch was applied. */
    public record Outcome(boolean uring, String detail, int uringChanges, int submissions) {}

    /**
     * Applies changes {@code 0..n-1}; entries with {@code errors[i] != null} on entry are
     * validation failures and are skipped. Fills {@code masks} and {@code errors}.
     *
     * @param allowUring false forces the sequential path
     */
    public static Outcome apply(VpollFile[] files, VpollOp[] ops, int[] events, int n, int[] masks,
            Exception[] errors, boolean allowUring) {
        int[] order = groupOrder(files, errors, n);
        int valid = order.length;
        String why = !allowUring ? "io_uring disabled (jvpoll.batch.uring=false)" : Uring.unavailableReason();
        if (why != null) {
            sequential(files, ops, events, order, 0, valid, masks, errors);
            return new Outcome(false, "sequential: " + why, 0, 0);
        }
        Run run = RINGS.poll();
        if (run == null) {
            try {
                run = new Run(Uring.open(RING_ENTRIES));
            } catch (VpollException e) {
                sequential(files, ops, events, order, 0, valid, masks, errors);
                return new Outcome(false, "sequential: io_uring_setup failed with " + Errno.name(e.errno()), 0, 0);
            }
        }
        run.reset(files, ops, events, masks, errors, n);
        try {
            run.go(order);
            if (run.uringChanges == 0) {
                return new Outcome(false, "sequential: no change of this batch has an io_uring form (" + run.why()
                        + ")", 0, 0);
            }
            if (run.totalSqes == 0) {
                return new Outcome(false, "sequential: the io_uring-capable changes of this batch needed no system"
                        + " call (they changed nothing)", 0, 0);
            }
            return new Outcome(true, "io_uring: " + run.uringChanges + " of " + valid + " changes in "
                    + run.totalSqes + " SQEs, " + run.submissions + " io_uring_enter call(s); "
                    + (valid - run.uringChanges) + " one call each"
                    + (valid == run.uringChanges ? "" : " (" + run.why() + ")"), run.uringChanges, run.submissions);
        } finally {
            run.reset(null, null, null, null, null, 0);
            if (run.broken) {
                run.ring.close(); // io_uring_enter failed: SQEs may be left in the ring
            } else {
                RINGS.offer(run);
            }
        }
    }

    /** @return the indices of the valid changes, grouped by file in creation order, batch order within a file */
    private static int[] groupOrder(VpollFile[] files, Exception[] errors, int n) {
        // (id << 16 | index) sorts by file, then batch order; index < 2^16 (the most changes a batch holds).
        long[] keys = new long[n];
        int m = 0;
        for (int i = 0; i < n; i++) {
            if (errors[i] == null) {
                keys[m++] = files[i].id() << 16 | i;
            }
        }
        Arrays.sort(keys, 0, m);
        int[] out = new int[m];
        for (int i = 0; i < m; i++) {
            out[i] = (int) (keys[i] & 0xffff);
        }
        return out;
    }

    /** One ctl per change of {@code order[from..to)}, each group's fd pinned around its changes. */
    static void sequential(VpollFile[] files, VpollOp[] ops, int[] events, int[] order, int from, int to,
            int[] masks, Exception[] errors) {
        int k = from;
        while (k < to) {
            VpollFile f = files[order[k]];
            int end = k;
            while (end < to && files[order[end]] == f) {
                end++;
            }
            int fd;
            try {
                fd = f.pin();
            } catch (ClosedChannelException e) {
                for (int i = k; i < end; i++) {
                    errors[order[i]] = f.closed("VpollBatch");
                }
                k = end;
                continue;
            }
            try {
                ctlEach(f, fd, ops, events, order, k, end, masks, errors);
            } finally {
                f.unpin();
            }
            k = end;
        }
    }

    private static void ctlEach(VpollFile f, int fd, VpollOp[] ops, int[] events, int[] order, int from, int to,
            int[] masks, Exception[] errors) {
        for (int i = from; i < to; i++) {
            int j = order[i];
            try {
                masks[j] = f.doCtl(fd, ops[j], events[j]);
            } catch (Exception e) {
                errors[j] = e;
            }
        }
    }

    /**
     * Whether IORING_OP_URING_CMD setsockopt works on an AF_UNIX socket here (kernel >= 6.7),
     * asked once: null if it does, otherwise why not. Without it OUT changes go one call each.
     */
    private static final class SetsockoptProbe {
        static final String REASON = probe();

        private static String probe() {
            if (Uring.unavailableReason() != null) {
                return Uring.unavailableReason();
            }
            int[] pair;
            try {
                pair = org.jvpoll.syscall.UnixSockets.socketpair();
            } catch (VpollException e) {
                return "socketpair failed with " + Errno.name(e.errno());
            }
            try (Uring ring = Uring.open(2)) {
                ring.prepareSetsockopt((byte) 0, pair[0], Sockets.SOL_SOCKET, Sockets.SO_SNDBUF,
                        SocketPairFile.sndbufOpen(), 4, 0);
                int[] res = {Integer.MIN_VALUE};
                ring.submitAndWait((userData, r) -> res[0] = r);
                return res[0] == 0 ? null
                        : "io_uring setsockopt (IORING_OP_URING_CMD, kernel >= 6.7) completed with "
                                + (res[0] < 0 ? Errno.name(-res[0]) : String.valueOf(res[0]));
            } catch (VpollException e) {
                return "io_uring for the setsockopt probe failed with " + Errno.name(e.errno());
            } finally {
                org.jvpoll.syscall.Unistd.closeQuietly(pair[0]);
                org.jvpoll.syscall.Unistd.closeQuietly(pair[1]);
            }
        }
    }

    /** One io_uring application: groups are planned, chained and submitted when the ring fills. */
    private static final class Run implements SocketPairFile.SocketOps {
        /** RWF_NOWAIT (linux/fs.h): fail with EAGAIN instead of waiting for readiness. */
        static final int RWF_NOWAIT = 8;
        /** What an SQE does (the first four are {@link SocketPairFile.SocketOps}' kinds). */
        static final byte SEND = 0, RECV = 1, SNDBUF_OPEN = 2, SNDBUF_SHUT = 3, WRITE = 4, READ = 5;
        static final int IN_OUT = Events.IN | Events.OUT;

        final Uring ring;
        private VpollFile[] files;
        private VpollOp[] ops;
        private int[] events;
        private int[] masks;
        private Exception[] errors;
        // SQEs of the current submission: change index, expected result, kind, fd, result
        private final int[] opChange;
        private final int[] opExpect;
        private final byte[] opKind;
        private final int[] opFd;
        private final int[] opRes;
        /** 8 bytes per SQE of the current submission: an eventfd command written, or a mask read. */
        private final MemorySegment words;
        private int sqes;
        int totalSqes;
        boolean broken;
        /** The groups in the current submission: file, pinned fd, first/end in order, first SQE. */
        private final VpollFile[] groupFile;
        private final int[] groupFd;
        private final int[] groupFrom;
        private final int[] groupTo;
        private final int[] groupSqe;
        private int groups;
        /** Per change: the first failure among its operations (errno, or -1 for a short count). */
        private int[] failedRes = new int[64];
        int uringChanges;
        int submissions;
        private int[] order;
        /** Why changes of this batch went one call at a time (null: none did). */
        private String sequentialWhy;

        Run(Uring ring) {
            this.ring = ring;
            int e = ring.entries();
            opChange = new int[e];
            opExpect = new int[e];
            opKind = new byte[e];
            opFd = new int[e];
            opRes = new int[e];
            words = Arena.ofAuto().allocate(8L * e, 8);
            groupFile = new VpollFile[e];
            groupFd = new int[e];
            groupFrom = new int[e];
            groupTo = new int[e];
            groupSqe = new int[e];
        }

        /** Prepares this run (and its ring, reused) for a batch of {@code n} changes. */
        void reset(VpollFile[] files, VpollOp[] ops, int[] events, int[] masks, Exception[] errors, int n) {
            this.files = files;
            this.ops = ops;
            this.events = events;
            this.masks = masks;
            this.errors = errors;
            this.order = null;
            if (failedRes.length < n) {
                failedRes = new int[Math.max(n, 2 * failedRes.length)];
            } else {
                Arrays.fill(failedRes, 0, n, 0);
            }
            uringChanges = 0;
            submissions = 0;
            totalSqes = 0;
            sequentialWhy = null;
        }

        /** @return why some changes went one call at a time */
        String why() {
            return sequentialWhy != null ? sequentialWhy : "none";
        }

        private void oneCallEach(String why) {
            if (sequentialWhy == null) {
                sequentialWhy = why;
            } else if (!sequentialWhy.contains(why)) {
                sequentialWhy += "; " + why;
            }
        }

        void go(int[] order) {
            this.order = order;
            int k = 0;
            try {
                while (k < order.length) {
                    VpollFile f = files[order[k]];
                    int end = k;
                    while (end < order.length && files[order[end]] == f) {
                        end++;
                    }
                    group(f, k, end);
                    k = end;
                }
            } finally {
                flush();
            }
        }

        private void group(VpollFile f, int from, int to) {
            int count = to - from;
            if (3 * count > ring.entries()) {
                oneCallEach("more than " + ring.entries() / 3 + " changes of one fd");
                sequential(files, ops, events, order, from, to, masks, errors);
            } else if (f instanceof SocketPairFile pf) {
                pairGroup(pf, from, to);
            } else if (f instanceof EventFdBackend.File ef && ef.nonBlocking) {
                eventFdGroup(ef, from, to);
            } else {
                oneCallEach(switch (f.backend()) {
                    case DEV_VPOLL -> "dev-vpoll: its changes are ioctls, which io_uring cannot issue";
                    case EVENTFD -> "eventfd fds opened without O_NONBLOCK: io_uring would wait for their readiness";
                    default -> f.backend().id() + ": no io_uring form";
                });
                sequential(files, ops, events, order, from, to, masks, errors);
            }
        }

        private void pairGroup(SocketPairFile pf, int from, int to) {
            int count = to - from;
            int fd;
            try {
                fd = pf.pin();
            } catch (ClosedChannelException e) {
                for (int i = from; i < to; i++) {
                    errors[order[i]] = pf.closed("VpollBatch");
                }
                return;
            }
            boolean handedOver = false;
            pf.lock();
            try {
                String sockoptWhy = SetsockoptProbe.REASON;
                if (!pf.ringable(ops, events, order, from, to, sockoptWhy == null ? IN_OUT : Events.IN)) {
                    oneCallEach("emulation: only changes that raise, re-signal and clear IN"
                            + (sockoptWhy == null ? " and OUT (OUT cleared once by ctl first)" : " (OUT: " + sockoptWhy + ")")
                            + " have an io_uring form");
                    ctlEach(pf, fd, ops, events, order, from, to, masks, errors);
                    return;
                }
                if (ring.free() < 3 * count || groups == groupFile.length) {
                    flush();
                }
                int first = sqes;
                pf.planRing(fd, ops, events, order, from, to, masks, errors, this);
                // Link every SQE of the fd to the next: they run in order, and a failure cancels the rest.
                for (int i = first; i < sqes; i++) {
                    byte link = i + 1 < sqes ? Uring.IOSQE_IO_LINK : 0;
                    switch (opKind[i]) {
                        case SEND, RECV -> ring.prepare(opKind[i] == SEND ? Uring.IORING_OP_SEND : Uring.IORING_OP_RECV,
                                link, opFd[i], SocketPairFile.bytes(), opExpect[i],
                                org.jvpoll.syscall.Sockets.MSG_DONTWAIT, 0, i);
                        default -> ring.prepareSetsockopt(link, opFd[i], Sockets.SOL_SOCKET, Sockets.SO_SNDBUF,
                                opKind[i] == SNDBUF_OPEN ? SocketPairFile.sndbufOpen()
                                        : SocketPairFile.sndbufShut(), 4, i);
                    }
                }
                addGroup(pf, fd, from, to, first);
                handedOver = true; // flush() unlocks and unpins
            } finally {
                if (!handedOver) {
                    pf.unlock();
                    pf.unpin();
                }
            }
        }

        /** Per change a WRITE of the command and a READ of the mask, the fd's SQEs one linked chain. */
        private void eventFdGroup(EventFdBackend.File ef, int from, int to) {
            int count = to - from;
            int fd;
            try {
                fd = ef.pin();
            } catch (ClosedChannelException e) {
                for (int i = from; i < to; i++) {
                    errors[order[i]] = ef.closed("VpollBatch");
                }
                return;
            }
            if (ring.free() < 2 * count || groups == groupFile.length) {
                flush();
            }
            int first = sqes;
            for (int i = from; i < to; i++) {
                int j = order[i];
                words.set(JAVA_LONG, 8L * sqes, EventFd.vpollRequest(ops[j].code(), events[j]));
                ring.prepare(Uring.IORING_OP_WRITE, Uring.IOSQE_IO_LINK, fd, words.asSlice(8L * sqes, 8), 8,
                        RWF_NOWAIT, 0, sqes);
                record(WRITE, fd, 8, j);
                ring.prepare(Uring.IORING_OP_READ, i + 1 < to ? Uring.IOSQE_IO_LINK : 0, fd,
                        words.asSlice(8L * sqes, 8), 8, RWF_NOWAIT, 0, sqes);
                record(READ, fd, 8, j);
            }
            addGroup(ef, fd, from, to, first);
        }

        private void addGroup(VpollFile f, int fd, int from, int to, int firstSqe) {
            groupFile[groups] = f;
            groupFd[groups] = fd;
            groupFrom[groups] = from;
            groupTo[groups] = to;
            groupSqe[groups] = firstSqe;
            groups++;
            uringChanges += to - from;
        }

        private void record(byte kind, int fd, int len, int change) {
            opKind[sqes] = kind;
            opFd[sqes] = fd;
            opExpect[sqes] = len;
            opChange[sqes] = change;
            opRes[sqes] = 0;
            sqes++;
            totalSqes++;
        }

        @Override
        public void op(int kind, int fd, int len, int change) {
            // a setsockopt completes with 0; a send or recv with its byte count
            record((byte) kind, fd, kind == SNDBUF_OPEN || kind == SNDBUF_SHUT ? 0 : len, change);
        }

        /** Submits what is prepared, waits for every CQE, resolves failures, releases the groups. */
        private void flush() {
            if (groups == 0) {
                return;
            }
            VpollException enterFailure = null;
            try {
                if (sqes > 0) {
                    submissions += ring.submitAndWait((userData, res) -> {
                        int i = (int) userData;
                        opRes[i] = res;
                        if (res != opExpect[i]) {
                            int j = opChange[i];
                            if (failedRes[j] == 0) {
                                failedRes[j] = res < 0 ? -res : -1;
                            }
                        }
                    });
                }
            } catch (VpollException e) {
                enterFailure = e;
                broken = true;
            }
            for (int g = 0; g < groups; g++) {
                VpollFile f = groupFile[g];
                try {
                    if (f instanceof SocketPairFile pf) {
                        try {
                            resolve(pf, groupFd[g], groupFrom[g], groupTo[g], enterFailure);
                        } finally {
                            pf.unlock();
                        }
                    } else {
                        resolveEventFd((EventFdBackend.File) f, groupFd[g], groupFrom[g], groupTo[g], groupSqe[g],
                                enterFailure);
                    }
                } finally {
                    f.unpin();
                    groupFile[g] = null;
                }
            }
            groups = 0;
            sqes = 0;
        }

        /**
         * The first change of the group whose operation failed (or was cancelled, or the whole
         * submission failed) gets the error; the fd's state is re-read from the kernel and its
         * later changes run one by one.
         */
        private void resolve(SocketPairFile pf, int fd, int from, int to, VpollException enterFailure) {
            for (int i = from; i < to; i++) {
                int j = order[i];
                int res = failedRes[j];
                if (errors[j] != null) {
                    continue; // refused at planning: no operation of its own
                }
                if (res == 0 && enterFailure == null) {
                    continue;
                }
                Exception error = enterFailure != null ? enterFailure
                        : res == ECANCELED
                                ? new VpollException("io_uring(emulated vpoll fd " + fd + ")", res,
                                        "an earlier linked operation of this fd failed")
                                : new VpollException(res > 0 ? "io_uring send/recv/setsockopt(emulated vpoll fd " + fd + ")"
                                        : "recv(IN bytes)", res > 0 ? res : 0,
                                        res > 0 ? null : "a short count: something else read the vpoll fd");
                errors[j] = error;
                try {
                    pf.resync(fd);
                } catch (VpollException e) {
                    error.addSuppressed(e);
                }
                ctlEach(pf, fd, ops, events, order, i + 1, to, masks, errors);
                return;
            }
        }

        /**
         * Each change's mask is what its READ returned. At the first change whose WRITE or READ did
         * not complete: EAGAIN or EOPNOTSUPP (RWF_NOWAIT refused: the operation had no effect) and
         * a failed submission leave that change to a call of its own; any other errno is the
         * change's error, as the write or read of a sequential ctl would have thrown it. The fd's
         * later changes then run one by one.
         */
        private void resolveEventFd(EventFdBackend.File ef, int fd, int from, int to, int firstSqe,
                VpollException enterFailure) {
            for (int i = from; i < to; i++) {
                int j = order[i];
                int w = firstSqe + 2 * (i - from);
                int wrote = enterFailure != null ? -ECANCELED : opRes[w];
                int read = enterFailure != null ? -ECANCELED : opRes[w + 1];
                if (wrote == 8 && read == 8) {
                    masks[j] = (int) words.get(JAVA_LONG, 8L * (w + 1));
                    continue;
                }
                uringChanges -= to - i;
                if (wrote != 8) {
                    if (!retryable(wrote) && enterFailure == null) {
                        errors[j] = failure("io_uring write(eventfd " + fd + ", " + ops[j] + ")", wrote);
                        i++;
                    }
                } else if (retryable(read) || enterFailure != null) {
                    try {
                        masks[j] = ef.doEvents(fd);
                    } catch (Exception e) {
                        errors[j] = e;
                    }
                    i++;
                } else {
                    errors[j] = failure("io_uring read(eventfd " + fd + ")", read);
                    i++;
                }
                oneCallEach("eventfd: io_uring refused an operation without waiting (EAGAIN/EOPNOTSUPP)");
                ctlEach(ef, fd, ops, events, order, i, to, masks, errors);
                return;
            }
        }

        /** EAGAIN, EOPNOTSUPP (RWF_NOWAIT refused) and ECANCELED (an earlier link did): nothing was done. */
        private static boolean retryable(int res) {
            return res == -Errno.EAGAIN || res == -Errno.EOPNOTSUPP || res == -ECANCELED;
        }

        private static VpollException failure(String call, int res) {
            return res < 0 ? new VpollException(call, -res, null)
                    : new VpollException(call, 0, "a short count of " + res + " bytes, expected 8");
        }
    }
}
