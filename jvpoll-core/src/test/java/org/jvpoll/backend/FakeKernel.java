package org.jvpoll.backend;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.jvpoll.Errno;
import org.jvpoll.VpollException;
import org.jvpoll.syscall.EventFd;
import org.jvpoll.syscall.Ioctl;

/**
 * A recording model of the kernel side of both vpoll facilities, for encoding-level tests on a
 * machine that has neither.
 *
 * <p>Semantics follow the reference sources:
 * <ul>
 * <li>Patched eventfd ({@code eventfd(init, EFD_VPOLL)}): the initial count is {@code init & 0x0fffffff};
 *     a write of u64 takes {@code events = u64 & 0x0fffffff} and dispatches on
 *     {@code u64 & ~0x0fffffff}: {@code 1<<32} ORs, {@code 2<<32} clears, {@code 3<<32} replaces,
 *     anything else is EINVAL (so bits 28..31 or a bad op both fail); a read returns the count.
 *     Short reads and writes (EINVAL in the kernel) cannot be expressed through {@link KernelIo},
 *     which always transfers exactly 8 bytes.</li>
 * <li>The module ({@code /dev/vpoll}): every open is a fresh instance with mask 0;
 *     {@code ioctl(fd, _IO('^', op), arg)} takes {@code events = arg & 0x0fffffff}, applies
 *     ADD/DEL/SET and returns the new mask; any other request is EINVAL. The module has no
 *     read or write, so those are EINVAL, as the VFS answers for a file without them.</li>
 * </ul>
 * Everything else follows Linux: ioctl on an eventfd is ENOTTY, any call on an fd that is not
 * open is EBADF. Only what the model covers is accepted: an eventfd without EFD_VPOLL, or with
 * flag bits beyond EFD_VPOLL|EFD_CLOEXEC|EFD_NONBLOCK, is EINVAL.
 *
 * <p>Every call, successful or not, is appended to {@link #calls()} with its arguments and outcome,
 * so tests can assert the exact bytes and request numbers a backend produced.
 */
final class FakeKernel implements KernelIo {

    /** What kind of open file a descriptor refers to. */
    enum Kind {
        /** {@code eventfd(init, EFD_VPOLL)} on the patched kernel. */
        EVENTFD_VPOLL,
        /** An open of the vpoll module's device. */
        DEV_VPOLL,
        /** An open of a device node that is not the vpoll module (every ioctl is ENOTTY). */
        OTHER_DEVICE
    }

    /**
     * One recorded call. Fields a call does not use are 0 or null.
     *
     * @param name    "eventfd", "write", "read", "open", "ioctl" or "close"
     * @param fd      the descriptor operated on; for eventfd/open the descriptor returned (or -1)
     * @param request the ioctl request number
     * @param value   eventfd's initval, the u64 written, or the ioctl argument
     * @param flags   eventfd's or open's flags
     * @param path    open's path
     * @param result  the call's result: the fd, the u64 read, the ioctl's return, 8 for a write
     * @param errno   0 on success, otherwise the errno the call failed with
     */
    record Call(String name, int fd, long request, long value, int flags, String path, long result, int errno) {
        boolean failed() {
            return errno != 0;
        }

        @Override
        public String toString() {
            String args = switch (name) {
                case "eventfd" -> "0x" + Long.toHexString(value) + ", 0x" + Integer.toHexString(flags);
                case "open" -> path + ", 0x" + Integer.toHexString(flags);
                case "write" -> fd + ", 0x" + String.format("%016x", value);
                case "ioctl" -> fd + ", 0x" + Long.toHexString(request) + ", 0x" + Long.toHexString(value);
                default -> Integer.toString(fd);
            };
            return name + "(" + args + ") = " + (errno != 0 ? Errno.name(errno) : "0x" + Long.toHexString(result));
        }
    }

    /** The bits a vpoll instance can hold; the rest of a request is an operation or ignored. */
    static final long EVENT_MASK = 0x0fffffffL;
    private static final int KNOWN_EVENTFD_FLAGS = EventFd.EFD_VPOLL | EventFd.EFD_CLOEXEC | EventFd.EFD_NONBLOCK;

    private static final class Instance {
        final Kind kind;
        final int flags;
        long mask;

        Instance(Kind kind, int flags, long mask) {
            this.kind = kind;
            this.flags = flags;
            this.mask = mask;
        }
    }

    private final Map<Integer, Instance> open = new LinkedHashMap<>();
    private final List<Call> calls = new ArrayList<>();
    /** Failures to inject, by call name, consumed in order (e.g. the ioctl right after an open). */
    private final Map<String, Deque<Integer>> injected = new LinkedHashMap<>();

    private boolean efdVpollSupported = true;
    private String devicePath = DevVpollBackend.DEFAULT_PATH;
    private Kind deviceKind = Kind.DEV_VPOLL;
    /** Numbers are handed out increasing and never reused, so a stale fd can never alias a new one. */
    private int nextFd = 10;

    // ---- configuration ---------------------------------------------------------------------

    /** Models a stock kernel: eventfd with EFD_VPOLL fails with EINVAL. */
    synchronized FakeKernel withoutEfdVpoll() {
        efdVpollSupported = false;
        return this;
    }

    /** Models an unloaded module: opening any path fails with ENOENT. */
    synchronized FakeKernel withoutDevice() {
        devicePath = null;
        return this;
    }

    /** The path at which the vpoll device exists (default {@code /dev/vpoll}). */
    synchronized FakeKernel withDeviceAt(String path) {
        devicePath = path;
        deviceKind = Kind.DEV_VPOLL;
        return this;
    }

    /** Puts a device at {@code path} that opens fine but is not vpoll: every ioctl is ENOTTY. */
    synchronized FakeKernel withForeignDeviceAt(String path) {
        devicePath = path;
        deviceKind = Kind.OTHER_DEVICE;
        return this;
    }

    /** Makes the next call named {@code name} fail with {@code errno} (after its argument checks). */
    synchronized FakeKernel failNext(String name, int errno) {
        injected.computeIfAbsent(name, n -> new ArrayDeque<>()).add(errno);
        return this;
    }

    // ---- inspection ------------------------------------------------------------------------

    /** @return every call so far, oldest first */
    synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    /** @return the calls named {@code name}, oldest first */
    synchronized List<Call> calls(String name) {
        return calls.stream().filter(c -> c.name().equals(name)).toList();
    }

    /** @return the names of all calls, oldest first, e.g. {@code [eventfd, write, read, close]} */
    synchronized List<String> callNames() {
        return calls.stream().map(Call::name).toList();
    }

    synchronized void clearCalls() {
        calls.clear();
    }

    /** @return the descriptors currently open, ascending */
    synchronized Set<Integer> openFds() {
        return new TreeSet<>(open.keySet());
    }

    /** @return the kernel-side mask of an open descriptor */
    synchronized long mask(int fd) {
        return instance(fd).mask;
    }

    synchronized Kind kind(int fd) {
        return instance(fd).kind;
    }

    /** @return the flags the descriptor was created or opened with */
    synchronized int flags(int fd) {
        return instance(fd).flags;
    }

    private Instance instance(int fd) {
        Instance in = open.get(fd);
        if (in == null) {
            throw new AssertionError("fd " + fd + " is not open in the fake kernel; open: " + open.keySet());
        }
        return in;
    }

    // ---- KernelIo --------------------------------------------------------------------------

    @Override
    public synchronized int eventfd(int initval, int flags) throws VpollException {
        String call = "eventfd(0x" + Integer.toHexString(initval) + ", 0x" + Integer.toHexString(flags) + ")";
        long init = initval & 0xffffffffL; // unsigned int initval
        int errno = 0;
        if ((flags & EventFd.EFD_VPOLL) == 0 || (flags & ~KNOWN_EVENTFD_FLAGS) != 0 || !efdVpollSupported) {
            // A stock kernel rejects the unknown EFD_VPOLL bit; the model covers only vpoll eventfds.
            errno = Errno.EINVAL;
        }
        errno = injectedOr("eventfd", errno);
        if (errno != 0) {
            calls.add(new Call("eventfd", -1, 0, init, flags, null, -1, errno));
            throw new VpollException(call, errno, null);
        }
        int fd = nextFd++;
        open.put(fd, new Instance(Kind.EVENTFD_VPOLL, flags, init & EVENT_MASK));
        calls.add(new Call("eventfd", fd, 0, init, flags, null, fd, 0));
        return fd;
    }

    @Override
    public synchronized void writeU64(int fd, long value, String what) throws VpollException {
        Instance in = open.get(fd);
        int errno;
        if (in == null) {
            errno = Errno.EBADF;
        } else if (in.kind != Kind.EVENTFD_VPOLL) {
            errno = Errno.EINVAL; // the module's file has no write
        } else {
            long events = value & EVENT_MASK;
            long op = value & ~EVENT_MASK;
            errno = 0;
            if (op == 1L << 32) {
                in.mask |= events;
            } else if (op == 2L << 32) {
                in.mask &= ~events;
            } else if (op == 3L << 32) {
                in.mask = events;
            } else {
                errno = Errno.EINVAL;
            }
        }
        errno = injectedOr("write", errno);
        calls.add(new Call("write", fd, 0, value, 0, null, errno == 0 ? 8 : -1, errno));
        if (errno != 0) {
            throw new VpollException(what, errno, null);
        }
    }

    @Override
    public synchronized long readU64(int fd, String what) throws VpollException {
        Instance in = open.get(fd);
        int errno = in == null ? Errno.EBADF : in.kind != Kind.EVENTFD_VPOLL ? Errno.EINVAL : 0;
        errno = injectedOr("read", errno);
        long result = errno == 0 ? in.mask : -1;
        calls.add(new Call("read", fd, 0, 0, 0, null, result, errno));
        if (errno != 0) {
            throw new VpollException(what, errno, null);
        }
        return result;
    }

    @Override
    public synchronized int open(String path, int flags) throws VpollException {
        int errno = path.equals(devicePath) ? 0 : Errno.ENOENT;
        errno = injectedOr("open", errno);
        if (errno != 0) {
            calls.add(new Call("open", -1, 0, 0, flags, path, -1, errno));
            throw new VpollException("open(" + path + ")", errno, null);
        }
        int fd = nextFd++;
        open.put(fd, new Instance(deviceKind, flags, 0));
        calls.add(new Call("open", fd, 0, 0, flags, path, fd, 0));
        return fd;
    }

    @Override
    public synchronized int ioctl(int fd, long request, long arg, String what) throws VpollException {
        Instance in = open.get(fd);
        int errno = 0;
        long result = -1;
        if (in == null) {
            errno = Errno.EBADF;
        } else if (in.kind != Kind.DEV_VPOLL) {
            errno = Errno.ENOTTY; // eventfd and foreign devices have no such ioctl
        } else {
            long events = arg & EVENT_MASK;
            if (request == Ioctl.io('^', 1)) {
                in.mask |= events;
            } else if (request == Ioctl.io('^', 2)) {
                in.mask &= ~events;
            } else if (request == Ioctl.io('^', 3)) {
                in.mask = events;
            } else {
                errno = Errno.EINVAL;
            }
        }
        errno = injectedOr("ioctl", errno);
        if (errno == 0) {
            result = in.mask;
        }
        calls.add(new Call("ioctl", fd, request, arg, 0, null, result, errno));
        if (errno != 0) {
            throw new VpollException(what, errno, null);
        }
        return (int) result;
    }

    @Override
    public synchronized void close(int fd) throws VpollException {
        int errno = open.containsKey(fd) ? 0 : Errno.EBADF;
        errno = injectedOr("close", errno);
        // Like Linux, an injected failure still releases the descriptor: close never leaves it open.
        open.remove(fd);
        calls.add(new Call("close", fd, 0, 0, 0, null, errno == 0 ? 0 : -1, errno));
        if (errno != 0) {
            throw new VpollException("close(" + fd + ")", errno, null);
        }
    }

    /** A real error wins; otherwise the next injected failure for {@code name}, if any. */
    private int injectedOr(String name, int errno) {
        if (errno != 0) {
            return errno;
        }
        Deque<Integer> queue = injected.get(name);
        Integer next = queue == null ? null : queue.poll();
        return next == null ? 0 : next;
    }
}
