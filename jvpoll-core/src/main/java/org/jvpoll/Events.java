package org.jvpoll;

import java.util.Locale;

/**
 * Event bits, with the numeric values of Linux's {@code <sys/epoll.h>} (and poll.h), and readable
 * names for masks: {@code Events.toString(IN | PRI)} is {@code "IN|PRI"}.
 */
public final class Events {
    private Events() {}

    /** Readable. */ public static final int IN = 0x001;
    /** Urgent / priority data. */ public static final int PRI = 0x002;
    /** Writable. */ public static final int OUT = 0x004;
    /** Error condition. */ public static final int ERR = 0x008;
    /** Hang up. */ public static final int HUP = 0x010;
    /** Invalid request (poll reports it for a bad fd; a vpoll fd can carry it as an event). */
    public static final int NVAL = 0x020;
    /** Normal data readable. */ public static final int RDNORM = 0x040;
    /** Priority band data readable. */ public static final int RDBAND = 0x080;
    /** Normal data writable. */ public static final int WRNORM = 0x100;
    /** Priority data writable. */ public static final int WRBAND = 0x200;
    /** Message (unused by Linux itself). */ public static final int MSG = 0x400;
    /** Peer closed its writing half. */ public static final int RDHUP = 0x2000;

    /**
     * Every bit a vpoll fd can hold ({@code EPOLLALLMASK} of the kernel patch): bits 28..31 are
     * epoll_ctl input flags (EPOLLEXCLUSIVE, WAKEUP, ONESHOT, ET), never events.
     */
    public static final int ALL = 0x0fffffff;

    private static final int[] BITS = {IN, PRI, OUT, ERR, HUP, NVAL, RDNORM, RDBAND, WRNORM, WRBAND, MSG, RDHUP};
    private static final String[] NAMES = {"IN", "PRI", "OUT", "ERR", "HUP", "NVAL", "RDNORM", "RDBAND",
            "WRNORM", "WRBAND", "MSG", "RDHUP"};

    /** {@return the named bits, in ascending order} */
    public static int[] namedBits() {
        return BITS.clone();
    }

    /**
     * {@return the name of one bit, for example {@code "RDHUP"}, or its hex value if unnamed}
     *
     * @param bit one event bit
     */
    public static String name(int bit) {
        for (int i = 0; i < BITS.length; i++) {
            if (BITS[i] == bit) {
                return NAMES[i];
            }
        }
        return "0x" + Integer.toHexString(bit);
    }

    /**
     * {@return the mask as names joined by {@code |} in ascending bit order, unnamed bits in hex,
     *         {@code "0"} for the empty mask}
     *
     * @param mask an event mask
     */
    public static String toString(int mask) {
        if (mask == 0) {
            return "0";
        }
        StringBuilder sb = new StringBuilder();
        for (int bit = 0; bit < 32; bit++) {
            int b = 1 << bit;
            if ((mask & b) != 0) {
                if (!sb.isEmpty()) {
                    sb.append('|');
                }
                sb.append(name(b));
            }
        }
        return sb.toString();
    }

    /**
     * Parses a mask written as names and numbers joined by {@code |}: {@code "IN|PRI"},
     * {@code "EPOLLIN | POLLOUT"}, {@code "0x2011"}, {@code "0"}. Names are case-insensitive and
     * may carry an {@code EPOLL} or {@code POLL} prefix.
     *
     * @param text names joined by {@code |}, as {@link org.jvpoll.Events#toString(int)} writes them
     * @return the mask
     * @throws IllegalArgumentException naming the token that is neither an event name nor a number
     */
    public static int parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("event mask: empty text");
        }
        int mask = 0;
        for (String raw : text.split("\\|")) {
            String token = raw.trim();
            String upper = token.toUpperCase(Locale.ROOT);
            if (upper.startsWith("EPOLL")) {
                upper = upper.substring(5);
            } else if (upper.startsWith("POLL")) {
                upper = upper.substring(4);
            }
            int bit = -1;
            for (int i = 0; i < NAMES.length; i++) {
                if (NAMES[i].equals(upper)) {
                    bit = BITS[i];
                }
            }
            if (bit < 0) {
                try {
                    bit = upper.startsWith("0X") ? Integer.parseUnsignedInt(upper.substring(2), 16)
                            : Integer.parseUnsignedInt(upper);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("event mask \"" + text + "\": \"" + token
                            + "\" is neither an event name (IN, PRI, OUT, ERR, HUP, NVAL, RDNORM, RDBAND, "
                            + "WRNORM, WRBAND, MSG, RDHUP) nor a number", e);
                }
            }
            mask |= bit;
        }
        return mask;
    }

    /**
     * Checks that {@code events} holds only vpoll event bits.
     *
     * @param argument the argument's name, used in the error message
     * @param events the events (poll bits, see {@link org.jvpoll.Events})
     * @return {@code events}
     * @throws IllegalArgumentException naming the bits outside {@link #ALL}
     */
    public static int requireValid(String argument, int events) {
        int bad = events & ~ALL;
        if (bad != 0) {
            throw new IllegalArgumentException(argument + " 0x" + Integer.toHexString(events)
                    + ": bits 0x" + Integer.toHexString(bad)
                    + " are outside the vpoll event mask 0x0fffffff (bits 28-31 are epoll_ctl flags, not events)");
        }
        return events;
    }
}
