package org.jvpoll.backend;

import java.nio.channels.ClosedChannelException;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.jvpoll.Errno;
import org.jvpoll.VpollException;
import org.jvpoll.VpollOp;
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
 * only raise, re-signal and clear IN — the fan-out case — is planned under its lock exactly as
 * ctl plans it, and its system calls (B's one-byte sends, A's recvs) become linked
 * IORING_OP_SEND / IORING_OP_RECV SQEs, one chain per fd so they run in order; the fd's lock is
 * held until their CQEs are in. Every other change (other backends, other events, chains too long
 * for the ring) is applied one call at a time, in place, with identical results. If an operation
 * fails, the change it belongs to gets a {@link VpollException} with the CQE's errno, the fd's
 * recorded state is re-read from the kernel, and the fd's later changes in the batch are applied
 * one by one, as sequential calls would.
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
                return new Outcome(false, "sequential: no change of this batch has an io_uring form (only "
                        + "socket-pair emulation fds raising and clearing IN do)", 0, 0);
            }
            if (run.totalSqes == 0) {
                return new Outcome(false, "sequential: the io_uring-capable changes of this batch needed no system"
                        + " call (they changed nothing)", 0, 0);
            }
            return new Outcome(true, "io_uring: " + run.uringChanges + " of " + valid + " changes in "
                    + run.totalSqes + " SQEs, " + run.submissions + " io_uring_enter call(s); "
                    + (valid - run.uringChanges) + " one call each", run.uringChanges, run.submissions);
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

    /** One io_uring application: groups are planned, chained and submitted when the ring fills. */
    private static final class Run implements SocketPairFile.SocketOps {
        final Uring ring;
        private VpollFile[] files;
        private VpollOp[] ops;
        private int[] events;
        private int[] masks;
        private Exception[] errors;
        // SQEs of the current submission: change index, expected result, what
        private final int[] opChange;
        private final int[] opExpect;
        private final boolean[] opSend;
        private int sqes;
        int totalSqes;
        boolean broken;
        /** The groups in the current submission: file, pinned fd, first/end in order. */
        private final SocketPairFile[] groupFile;
        private final int[] groupFd;
        private final int[] groupFrom;
        private final int[] groupTo;
        private int groups;
        /** Per change: the first failure among its operations (errno, or -1 for a short count). */
        private int[] failedRes = new int[64];
        int uringChanges;
        int submissions;
        private int[] order;
        private final int[] opFd;

        Run(Uring ring) {
            this.ring = ring;
            int e = ring.entries();
            opChange = new int[e];
            opExpect = new int[e];
            opSend = new boolean[e];
            opFd = new int[e];
            groupFile = new SocketPairFile[e];
            groupFd = new int[e];
            groupFrom = new int[e];
            groupTo = new int[e];
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
            if (!(f instanceof SocketPairFile pf) || 2 * count > ring.entries()) {
                sequential(files, ops, events, order, from, to, masks, errors);
                return;
            }
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
                if (!pf.inOnly(ops, events, order, from, to)) {
                    ctlEach(pf, fd, ops, events, order, from, to, masks, errors);
                    return;
                }
                if (ring.free() < 2 * count || groups == groupFile.length) {
                    flush();
                }
                int first = sqes;
                pf.planInOnly(fd, ops, events, order, from, to, masks, errors, this);
                // Link every SQE of the fd to the next: they run in order, and a failure cancels the rest.
                for (int i = first; i < sqes; i++) {
                    ring.prepare(opSend[i] ? Uring.IORING_OP_SEND : Uring.IORING_OP_RECV,
                            i + 1 < sqes ? Uring.IOSQE_IO_LINK : 0, opFd[i], SocketPairFile.bytes(),
                            opExpect[i], org.jvpoll.syscall.Sockets.MSG_DONTWAIT, 0, i);
                }
                groupFile[groups] = pf;
                groupFd[groups] = fd;
                groupFrom[groups] = from;
                groupTo[groups] = to;
                groups++;
                uringChanges += count;
                handedOver = true; // flush() unlocks and unpins
            } finally {
                if (!handedOver) {
                    pf.unlock();
                    pf.unpin();
                }
            }
        }

        @Override
        public void op(boolean send, int fd, int len, int change) {
            opSend[sqes] = send;
            opFd[sqes] = fd;
            opExpect[sqes] = len;
            opChange[sqes] = change;
            sqes++;
            totalSqes++;
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
                SocketPairFile pf = groupFile[g];
                try {
                    resolve(pf, groupFd[g], groupFrom[g], groupTo[g], enterFailure);
                } finally {
                    pf.unlock();
                    pf.unpin();
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
                                : new VpollException(res > 0 ? "io_uring send/recv(emulated vpoll fd " + fd + ")"
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
    }
}
