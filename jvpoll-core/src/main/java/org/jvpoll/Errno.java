package org.jvpoll;

/** The Linux errno values jvpoll reports, with their symbolic names. */
public final class Errno {
    private Errno() {}

    /** Operation not permitted. */ public static final int EPERM = 1;
    /** No such file or directory. */ public static final int ENOENT = 2;
    /** Interrupted system call. */ public static final int EINTR = 4;
    /** No such device or address. */ public static final int ENXIO = 6;
    /** Bad file descriptor. */ public static final int EBADF = 9;
    /** Resource temporarily unavailable. */ public static final int EAGAIN = 11;
    /** Cannot allocate memory. */ public static final int ENOMEM = 12;
    /** Permission denied. */ public static final int EACCES = 13;
    /** File exists (epoll_ctl ADD of a registered fd). */ public static final int EEXIST = 17;
    /** No such device. */ public static final int ENODEV = 19;
    /** Invalid argument. */ public static final int EINVAL = 22;
    /** Too many open files in system. */ public static final int ENFILE = 23;
    /** Too many open files. */ public static final int EMFILE = 24;
    /** Inappropriate ioctl for device. */ public static final int ENOTTY = 25;
    /** Broken pipe. */ public static final int EPIPE = 32;
    /** Function not implemented. */ public static final int ENOSYS = 38;
    /** Protocol not available (an option this kernel does not know). */ public static final int ENOPROTOOPT = 92;
    /** Operation not supported. */ public static final int EOPNOTSUPP = 95;
    /** Transport endpoint is not connected. */ public static final int ENOTCONN = 107;
    /** Connection refused. */ public static final int ECONNREFUSED = 111;

    /**
     * Names an errno value.
     *
     * @param errno an errno value
     * @return its symbolic name, for example {@code "EINVAL"}, or {@code "errno N"} if unknown
     */
    public static String name(int errno) {
        return switch (errno) {
            case EPERM -> "EPERM";
            case ENOENT -> "ENOENT";
            case EINTR -> "EINTR";
            case ENXIO -> "ENXIO";
            case EBADF -> "EBADF";
            case EAGAIN -> "EAGAIN";
            case ENOMEM -> "ENOMEM";
            case EACCES -> "EACCES";
            case EEXIST -> "EEXIST";
            case ENODEV -> "ENODEV";
            case EINVAL -> "EINVAL";
            case ENFILE -> "ENFILE";
            case EMFILE -> "EMFILE";
            case ENOTTY -> "ENOTTY";
            case EPIPE -> "EPIPE";
            case ENOSYS -> "ENOSYS";
            case ENOPROTOOPT -> "ENOPROTOOPT";
            case EOPNOTSUPP -> "EOPNOTSUPP";
            case ENOTCONN -> "ENOTCONN";
            case ECONNREFUSED -> "ECONNREFUSED";
            default -> "errno " + errno;
        };
    }

    static String description(int errno) {
        return switch (errno) {
            case EPERM -> "operation not permitted";
            case ENOENT -> "no such file or directory";
            case EINTR -> "interrupted system call";
            case ENXIO -> "no such device or address";
            case EBADF -> "bad file descriptor";
            case EAGAIN -> "resource temporarily unavailable";
            case ENOMEM -> "cannot allocate memory";
            case EACCES -> "permission denied";
            case EEXIST -> "file exists";
            case ENODEV -> "no such device";
            case EINVAL -> "invalid argument";
            case ENFILE -> "too many open files in system";
            case EMFILE -> "too many open files (RLIMIT_NOFILE)";
            case ENOTTY -> "inappropriate ioctl for device";
            case EPIPE -> "broken pipe";
            case ENOSYS -> "function not implemented";
            case ENOPROTOOPT -> "protocol not available";
            case EOPNOTSUPP -> "operation not supported";
            case ENOTCONN -> "transport endpoint is not connected";
            case ECONNREFUSED -> "connection refused";
            default -> "see errno(3)";
        };
    }
}
