package org.jvpoll;

/** The three ways to change a vpoll fd's events, with libvpoll's numeric codes. */
public enum VpollOp {
    /** Adds events to the pending set ({@code VPOLL_CTL_ADDEVENTS = 1}). */
    ADD(1),
    /** Removes events from the pending set ({@code VPOLL_CTL_DELEVENTS = 2}). */
    DELETE(2),
    /** Replaces the pending set ({@code VPOLL_CTL_SETEVENTS = 3}, the kernel's MODEVENTS). */
    SET(3);

    private final int code;

    VpollOp(int code) {
        this.code = code;
    }

    /** {@return libvpoll's numeric code} */
    public int code() {
        return code;
    }

    /**
     * {@return the operation for a libvpoll code}
     *
     * @param code the errno value
     * @throws IllegalArgumentException if the code is not 1, 2 or 3
     */
    public static VpollOp of(int code) {
        return switch (code) {
            case 1 -> ADD;
            case 2 -> DELETE;
            case 3 -> SET;
            default -> throw new IllegalArgumentException("op " + code
                    + ": unknown vpoll operation, expected 1 (VPOLL_CTL_ADDEVENTS), 2 (VPOLL_CTL_DELEVENTS)"
                    + " or 3 (VPOLL_CTL_SETEVENTS)");
        };
    }

    /**
     * {@return the mask after applying this operation with {@code events} to {@code current}}
     *
     * @param current the mask before the change
     * @param events the events (poll bits, see {@link org.jvpoll.Events})
     */
    public int apply(int current, int events) {
        return switch (this) {
            case ADD -> current | events;
            case DELETE -> current & ~events;
            case SET -> events;
        };
    }
}
