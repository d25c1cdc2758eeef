package org.jvpoll;

import java.io.IOException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * libvpoll's C interface, for code ported from C: {@code int} descriptors, libvpoll's numeric
 * operation codes and Linux's numeric event values.
 *
 * <pre>{@code
 * int fd = Vpoll.create(0, Vpoll.FD_CLOEXEC);
 * Vpoll.ctl(fd, Vpoll.VPOLL_CTL_ADDEVENTS, Vpoll.EPOLLIN);
 * Vpoll.close(fd);
 * }</pre>
 *
 * <p>Where C returns -1 and sets errno, these methods throw: {@link IllegalArgumentException} for
 * a bad op, flag or event bit, {@link VpollException} with {@code errno() == EBADF} for an fd this
 * class did not create or already closed, {@link UnsupportedEventsException} for events the
 * backend cannot produce. New code should prefer {@link VpollFd}.
 */
public final class Vpoll {
    private Vpoll() {}

    /** Adds events. */ public static final int VPOLL_CTL_ADDEVENTS = 1;
    /** Deletes events. */ public static final int VPOLL_CTL_DELEVENTS = 2;
    /** Sets the whole event mask. */ public static final int VPOLL_CTL_SETEVENTS = 3;

    /** libvpoll's close-on-exec flag (fcntl.h FD_CLOEXEC). */ public static final int FD_CLOEXEC = 1;
    /** open(2)'s close-on-exec flag, accepted as a synonym of {@link #FD_CLOEXEC}. */
    public static final int O_CLOEXEC = 0x80000;
    /** Non-blocking open file description. */ public static final int O_NONBLOCK = 0x800;

    /** See {@link Events#IN}. */ public static final int EPOLLIN = Events.IN;
    /** See {@link Events#PRI}. */ public static final int EPOLLPRI = Events.PRI;
    /** See {@link Events#OUT}. */ public static final int EPOLLOUT = Events.OUT;
    /** See {@link Events#ERR}. */ public static final int EPOLLERR = Events.ERR;
    /** See {@link Events#HUP}. */ public static final int EPOLLHUP = Events.HUP;
    /** See {@link Events#NVAL}. */ public static final int EPOLLNVAL = Events.NVAL;
    /** See {@link Events#RDNORM}. */ public static final int EPOLLRDNORM = Events.RDNORM;
    /** See {@link Events#RDBAND}. */ public static final int EPOLLRDBAND = Events.RDBAND;
    /** See {@link Events#WRNORM}. */ public static final int EPOLLWRNORM = Events.WRNORM;
    /** See {@link Events#WRBAND}. */ public static final int EPOLLWRBAND = Events.WRBAND;
    /** See {@link Events#MSG}. */ public static final int EPOLLMSG = Events.MSG;
    /** See {@link Events#RDHUP}. */ public static final int EPOLLRDHUP = Events.RDHUP;

    /** I/O error: what a change gets in {@link #ctlBatch} for an exception with no errno of its own. */
    private static final int KNOWN_FLAGS = FD_CLOEXEC | O_CLOEXEC | O_NONBLOCK;
    private static final ConcurrentHashMap<Integer, VpollFd> OPEN = new ConcurrentHashMap<>();

    /**
     * {@code vpoll_create(init_events, flags)}.
     *
     * @param initEvents events pending from the start
     * @param flags      {@link #FD_CLOEXEC} (or {@link #O_CLOEXEC}) and/or {@link #O_NONBLOCK};
     *                   as in libvpoll, close-on-exec only if asked
     * @return the new descriptor
     * @throws IllegalArgumentException naming unknown flag bits or invalid event bits
     * @throws IOException if the backend refuses or a system call fails, as {@link VpollFd#create(int, VpollFd.Options)}
     */
    public static int create(int initEvents, int flags) throws IOException {
        int unknown = flags & ~KNOWN_FLAGS;
        if (unknown != 0 || flags < 0) {
            throw new IllegalArgumentException("flags 0x" + Integer.toHexString(flags) + ": unknown bits 0x"
                    + Integer.toHexString(unknown | (flags < 0 ? Integer.MIN_VALUE : 0))
                    + " (allowed: FD_CLOEXEC 0x1, O_CLOEXEC 0x80000, O_NONBLOCK 0x800)");
        }
        VpollFd vfd = VpollFd.create(initEvents, VpollFd.Options.DEFAULT
                .closeOnExec((flags & (FD_CLOEXEC | O_CLOEXEC)) != 0)
                .nonBlocking((flags & O_NONBLOCK) != 0));
        OPEN.put(vfd.fd(), vfd);
        return vfd.fd();
    }

    /**
     * {@code vpoll_ctl(fd, op, events)}.
     *
     * @param fd the file descriptor
     * @param op the operation
     * @param events the events (poll bits, see {@link org.jvpoll.Events})
     * @return the new event mask (libvpoll returns 0; the kernel module returns the mask)
     * @throws IOException as {@link VpollFd#ctl(VpollOp, int)}, or if {@code fd} is not a vpoll fd of this process
     */
    public static int ctl(int fd, int op, int events) throws IOException {
        VpollOp vop = VpollOp.of(op);
        return lookup(fd, "vpoll_ctl").ctl(vop, events);
    }

    /**
     * Many {@code vpoll_ctl} calls in one go, for ported code (see {@link VpollBatch}, which this
     * uses): change {@code i} is {@code vpoll_ctl(fds[i], ops[i], events[i])}, and
     * {@code results[i]} receives its new mask, or {@code -errno} where {@link #ctl} would have
     * thrown: {@code -EBADF} for an fd not from {@link #create} (or closed), {@code -EINVAL} for a
     * bad op or event bits, {@code -EOPNOTSUPP} for events the backend cannot produce (nothing
     * changed), the system call's errno otherwise.
     *
     * @param fds the descriptors
     * @param ops the operations (VPOLL_CTL_ADDEVENTS, ...)
     * @param events the events (poll bits, see {@link org.jvpoll.Events})
     * @param results the per-change results
     * @param count how many changes (the first {@code count} entries of each array)
     * @return the number of failed changes (0: all applied)
     * @throws IllegalArgumentException if {@code count} is negative, above
     *         {@link VpollBatch#MAX_CAPACITY}, or longer than an array
     * @throws NullPointerException if an array is null
     */
    public static int ctlBatch(int count, int[] fds, int[] ops, int[] events, int[] results) {
        if (count < 0 || count > VpollBatch.MAX_CAPACITY || count > fds.length || count > ops.length
                || count > events.length || count > results.length) {
            throw new IllegalArgumentException("count " + count + ": expected 0.." + VpollBatch.MAX_CAPACITY
                    + " and at most the arrays' lengths (fds " + fds.length + ", ops " + ops.length + ", events "
                    + events.length + ", results " + results.length + ")");
        }
        if (count == 0) {
            return 0;
        }
        VpollBatch batch = VpollBatch.create(count);
        int[] early = new int[count];
        for (int i = 0; i < count; i++) {
            VpollFd vfd = OPEN.get(fds[i]);
            VpollOp op = switch (ops[i]) {
                case VPOLL_CTL_ADDEVENTS -> VpollOp.ADD;
                case VPOLL_CTL_DELEVENTS -> VpollOp.DELETE;
                case VPOLL_CTL_SETEVENTS -> VpollOp.SET;
                default -> null;
            };
            early[i] = vfd == null ? -Errno.EBADF : op == null ? -Errno.EINVAL : 0;
            batch.add(vfd, op, events[i]);
        }
        BatchResult r = batch.apply();
        int failed = 0;
        for (int i = 0; i < count; i++) {
            Exception e = r.error(i);
            if (e == null) {
                results[i] = r.mask(i);
                continue;
            }
            failed++;
            results[i] = early[i] != 0 ? early[i]
                    : e instanceof VpollException ve && ve.errno() != 0 ? -ve.errno()
                    : e instanceof java.nio.channels.ClosedChannelException ? -Errno.EBADF
                    : e instanceof UnsupportedEventsException ? -Errno.EOPNOTSUPP
                    : e instanceof IllegalArgumentException || e instanceof NullPointerException ? -Errno.EINVAL
                    : -Errno.EIO;
        }
        return failed;
    }

    /**
     * {@code vpoll_close(fd)}.
     *
     * @param fd the file descriptor
     * @throws IOException if {@code fd} is not a vpoll fd of this process, or close(2) fails
     */
    public static void close(int fd) throws IOException {
        VpollFd vfd = OPEN.remove(fd);
        if (vfd == null) {
            throw notOurs(fd, "vpoll_close");
        }
        vfd.close();
    }

    /**
     * {@return the object behind a descriptor from {@link #create}, to mix both styles}
     *
     * @param fd the file descriptor
     * @throws VpollException with EBADF if {@code fd} is not an open descriptor from {@link #create}
     */
    public static VpollFd lookup(int fd) throws VpollException {
        return lookup(fd, "vpoll_lookup");
    }

    private static VpollFd lookup(int fd, String call) throws VpollException {
        VpollFd vfd = OPEN.get(fd);
        if (vfd == null) {
            throw notOurs(fd, call);
        }
        return vfd;
    }

    private static VpollException notOurs(int fd, String call) {
        return new VpollException(call + "(" + fd + ")", Errno.EBADF,
                "not an open descriptor created by Vpoll.create");
    }
}
