package org.jvpoll;

/**
 * What {@link VpollBatch#apply()} did: per change (in the order they were added) the new mask or
 * the exception the same {@link VpollFd#ctl} call would have thrown, and the path taken.
 */
public final class BatchResult {
    /** How a batch reached the kernel. */
    public enum Path {
        /** At least one change went through one io_uring submission (see {@link #uringChanges()}). */
        URING,
        /** One system call (or more) per change, as {@link VpollFd#ctl} makes them. */
        SEQUENTIAL
    }

    private final int[] masks;
    private final Exception[] errors;
    private final Path path;
    private final String detail;
    private final int uringChanges;

    BatchResult(int[] masks, Exception[] errors, Path path, String detail, int uringChanges) {
        this.masks = masks;
        this.errors = errors;
        this.path = path;
        this.detail = detail;
        this.uringChanges = uringChanges;
    }

    /** {@return the number of changes} */
    public int size() {
        return masks.length;
    }

    /**
     * {@return change {@code i}'s new mask, as {@link VpollFd#ctl} returns it}
     *
     * @param i the index, from 0 to the count less one
     * @throws IllegalStateException if change {@code i} failed (its exception is the cause)
     * @throws IndexOutOfBoundsException if {@code i} is not in 0..size()-1
     */
    public int mask(int i) {
        Exception e = errors[i];
        if (e != null) {
            throw new IllegalStateException("change " + i + " failed: " + e, e);
        }
        return masks[i];
    }

    /**
     * {@return the exception change {@code i} would have thrown from {@link VpollFd#ctl}, or null
     *         if it succeeded}
     *
     * @param i the index, from 0 to the count less one
     * @throws IndexOutOfBoundsException if {@code i} is not in 0..size()-1
     */
    public Exception error(int i) {
        return errors[i];
    }

    /**
     * {@return whether change {@code i} succeeded}
     *
     * @param i the index, from 0 to the count less one
     */
    public boolean succeeded(int i) {
        return errors[i] == null;
    }

    /** {@return the number of changes that failed} */
    public int failures() {
        int n = 0;
        for (Exception e : errors) {
            if (e != null) {
                n++;
            }
        }
        return n;
    }

    /** {@return the path taken} */
    public Path path() {
        return path;
    }

    /**
     * {@return why this path: for {@link Path#SEQUENTIAL} the reason io_uring was not used (disabled
     *         by {@code jvpoll.batch.uring=false}, io_uring_setup's errno, no change with an
     *         io_uring form); for {@link Path#URING} the count of changes, SQEs and submissions}
     */
    public String pathDetail() {
        return detail;
    }

    /** {@return how many changes went through io_uring (0 on the sequential path)} */
    public int uringChanges() {
        return uringChanges;
    }

    @Override
    public String toString() {
        return "BatchResult[" + size() + " changes, " + failures() + " failed, " + detail + "]";
    }
}
