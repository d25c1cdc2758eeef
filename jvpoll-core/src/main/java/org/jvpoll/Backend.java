package org.jvpoll;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.jvpoll.registry.BackendQueries;

/**
 * The mechanisms that can serve a vpoll fd, in the order jvpoll prefers them.
 *
 * <p>Automatic selection takes the first available one; the system property
 * {@code jvpoll.backend} (an {@link #id()}) or {@link VpollFd.Options#backend(Backend)} forces one,
 * and creation then fails with {@link BackendUnavailableException} if it is missing.
 */
public enum Backend {
    /** A patched kernel's {@code eventfd(init, EFD_VPOLL)}: full fidelity, one syscall per change. */
    EVENTFD("eventfd", "patched kernel: eventfd(init, EFD_VPOLL), write/read of a u64"),
    /** The vpoll kernel module's {@code /dev/vpoll} (path: property {@code jvpoll.devvpoll.path}). */
    DEV_VPOLL("dev-vpoll", "vpoll kernel module: open(/dev/vpoll) + ioctl(_IO('^', op), events)"),
    /**
     * User-space emulation over an AF_UNIX socket pair: always available; IN, OUT, RDHUP, HUP, and
     * ERR together with HUP. One system call per change, nothing runs while an fd is idle.
     */
    EMULATION("emulation", "user space: an AF_UNIX socket pair whose state is driven from its peer"),
    /**
     * User-space emulation over a loopback TCP connection: always available; adds PRI (TCP urgent
     * data) and a reversible ERR to what {@link #EMULATION} offers, at the price of a TCP
     * connection per fd (ports, TCP memory, retransmissions while OUT is clear). Chosen
     * automatically only for fds whose initial or {@linkplain VpollFd.Options#expectedEvents
     * expected} events need it.
     */
    EMULATION_TCP("emulation-tcp", "user space: a loopback TCP connection whose socket state is driven from its peer"),
    /**
     * A FUSE file served by this process: exact IN, PRI, OUT, ERR, HUP, NVAL, RDNORM, RDBAND, WRNORM,
     * WRBAND, MSG and RDHUP on a stock kernel. It mounts a file system (once per process, in
     * {@code java.io.tmpdir}, unmounted when the last fd closes and at exit), so it is never chosen
     * automatically: force it with {@code -Djvpoll.backend=fuse} or
     * {@link VpollFd.Options#backend(Backend)}. Needs /dev/fuse and root or {@code fusermount3}.
     */
    FUSE("fuse", "FUSE file served in-process (explicit only): open + poll round trips to a daemon thread");

    /** System property that forces a backend for {@link VpollFd#create(int)}. */
    public static final String PROPERTY = "jvpoll.backend";

    private final String id;
    private final String description;

    Backend(String id, String description) {
        this.id = id;
        this.description = description;
    }

    /** {@return the short name used by {@link #PROPERTY} and the command-line tool} */
    public String id() {
        return id;
    }

    /** {@return how the backend works, in one line} */
    public String description() {
        return description;
    }

    /** {@return whether this machine offers the backend (probed once, then cached)} */
    public boolean isAvailable() {
        return BackendQueries.get().isAvailable(id);
    }

    /** {@return "available", or why not (with the errno the probe saw)} */
    public String availability() {
        return BackendQueries.get().availability(id);
    }

    /** {@return the event bits this backend can set and clear (see the fidelity table)} */
    public int supportedEvents() {
        return BackendQueries.get().supportedEvents(id);
    }

    /**
     * {@return the backends available here, in preference order ({@link #FUSE} last: it is
     *         available wherever FUSE can be mounted, but used only when forced)}
     */
    public static List<Backend> available() {
        List<Backend> list = new ArrayList<>();
        for (Backend b : values()) {
            if (b.isAvailable()) {
                list.add(b);
            }
        }
        return list;
    }

    /**
     * {@return the backend {@link VpollFd#create(int)} uses: the one named by {@link #PROPERTY},
     *         else the first available one, never {@link #FUSE} (which mounts a file system and
     *         is used only when asked for)}
     *
     * @throws IllegalArgumentException if the property names no backend
     */
    public static Backend preferred() {
        String forced = System.getProperty(PROPERTY);
        if (forced != null && !forced.isBlank()) {
            return fromId(forced.trim());
        }
        for (Backend b : values()) {
            if (b != FUSE && b.isAvailable()) {
                return b;
            }
        }
        return EMULATION;
    }

    /**
     * The backend for an fd that must carry {@code events} (its initial and expected ones): the
     * one named by {@link #PROPERTY}, else the first available one (never {@link #FUSE}) that
     * carries them all on their own, else the first available one (whose creation then refuses
     * what it cannot carry).
     */
    static Backend preferredFor(int events) {
        String forced = System.getProperty(PROPERTY);
        if (forced != null && !forced.isBlank()) {
            return fromId(forced.trim());
        }
        Backend first = null;
        for (Backend b : values()) {
            if (b != FUSE && b.isAvailable()) {
                if ((BackendQueries.get().carriedEvents(b.id) & events) == events) {
                    return b;
                }
                if (first == null) {
                    first = b;
                }
            }
        }
        return first != null ? first : EMULATION;
    }

    /**
     * {@return the backend with this {@link #id()} (case-insensitive; {@code _} and {@code -} alike)}
     *
     * @param id the backend's id
     * @throws IllegalArgumentException listing the valid ids
     */
    public static Backend fromId(String id) {
        String norm = id.toLowerCase(Locale.ROOT).replace('_', '-');
        for (Backend b : values()) {
            if (b.id.equals(norm)) {
                return b;
            }
        }
        throw new IllegalArgumentException("backend \"" + id + "\": unknown, expected one of eventfd, dev-vpoll, emulation, emulation-tcp, fuse");
    }
}
