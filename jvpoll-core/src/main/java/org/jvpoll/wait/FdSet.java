package org.jvpoll.wait;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.jvpoll.syscall.Select;

/**
 * A native {@code fd_set}: the bitmap select(2) reads and overwrites. Holds descriptors 0 ..
 * {@link #FD_SETSIZE}-1 only; larger numbers are refused (the C macros would write past the
 * struct) — use {@link PollSet} or {@link EpollSet} for them.
 *
 * <p>Not synchronized: use from one thread.
 */
public final class FdSet {
    /** The number of descriptors an fd_set can hold: 0 .. 1023. */
    public static final int FD_SETSIZE = Select.FD_SETSIZE;

    private final MemorySegment bits;

    /** An empty set. */
    public FdSet() {
        bits = Arena.ofAuto().allocate(Select.FD_SET_SIZE, 8);
    }

    /**
     * FD_SET.
     * @param fd the file descriptor
     * @throws IllegalArgumentException if {@code fd} is negative or not below {@link #FD_SETSIZE}
     */
    public void set(int fd) {
        Select.set(bits, check(fd));
    }

    /**
     * FD_CLR.
     *
     * @param fd the file descriptor
     * @throws IllegalArgumentException as {@link #set}
     */
    public void clear(int fd) {
        Select.clear(bits, check(fd));
    }

    /**
     * FD_ISSET.
     *
     * @param fd the file descriptor
     * @return whether {@code fd} is in the set
     * @throws IllegalArgumentException as {@link #set}
     */
    public boolean isSet(int fd) {
        return Select.isSet(bits, check(fd));
    }

    /** FD_ZERO. */
    public void zero() {
        bits.fill((byte) 0);
    }

    /** {@return how many descriptors are in the set} */
    public int count() {
        int n = 0;
        for (long offset = 0; offset < Select.FD_SET_SIZE; offset += 8) {
            n += Long.bitCount(bits.get(java.lang.foreign.ValueLayout.JAVA_LONG, offset));
        }
        return n;
    }

    /** {@return the highest descriptor in the set, or -1 if it is empty} */
    public int highest() {
        for (int fd = FD_SETSIZE - 1; fd >= 0; fd--) {
            if (Select.isSet(bits, fd)) {
                return fd;
            }
        }
        return -1;
    }

    /**
     * Makes this set a copy of {@code other}.
     *
     * @param other the set to copy
     */
    public void copyFrom(FdSet other) {
        MemorySegment.copy(other.bits, 0, bits, 0, Select.FD_SET_SIZE);
    }

    /** The native struct, for select(2). */
    MemorySegment segment() {
        return bits;
    }

    /** {@return {@code fd} if an fd_set can hold it} */
    static int check(int fd) {
        if (fd < 0) {
            throw new IllegalArgumentException("fd must not be negative: " + fd);
        }
        if (fd >= FD_SETSIZE) {
            throw new IllegalArgumentException("fd " + fd + " is not below FD_SETSIZE (" + FD_SETSIZE
                    + "): select(2) cannot watch it; use PollSet or EpollSet");
        }
        return fd;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("[");
        for (int fd = 0; fd < FD_SETSIZE; fd++) {
            if (Select.isSet(bits, fd)) {
                sb.append(sb.length() > 1 ? ", " : "").append(fd);
            }
        }
        return sb.append(']').toString();
    }
}
