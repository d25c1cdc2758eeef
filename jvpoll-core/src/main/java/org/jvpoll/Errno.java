package org.jvpoll;

/**
 * Every Linux errno value (asm-generic/errno-base.h and errno.h, which all architectures jvpoll
 * runs on share), with its symbolic name and a strerror-like description.
 *
 * <p>This is the one errno table of jvpoll: every layer names errno values through it, and
 * {@link VpollException} messages read their names and descriptions from it.
 */
public final class Errno {
    private Errno() {}

    /** Operation not permitted. */ public static final int EPERM = 1;
    /** No such file or directory. */ public static final int ENOENT = 2;
    /** No such process. */ public static final int ESRCH = 3;
    /** Interrupted system call. */ public static final int EINTR = 4;
    /** Input/output error. */ public static final int EIO = 5;
    /** No such device or address. */ public static final int ENXIO = 6;
    /** Argument list too long. */ public static final int E2BIG = 7;
    /** Exec format error. */ public static final int ENOEXEC = 8;
    /** Bad file descriptor. */ public static final int EBADF = 9;
    /** No child processes. */ public static final int ECHILD = 10;
    /** Resource temporarily unavailable. */ public static final int EAGAIN = 11;
    /** Cannot allocate memory. */ public static final int ENOMEM = 12;
    /** Permission denied. */ public static final int EACCES = 13;
    /** Bad address. */ public static final int EFAULT = 14;
    /** Block device required. */ public static final int ENOTBLK = 15;
    /** Device or resource busy. */ public static final int EBUSY = 16;
    /** File exists (epoll_ctl ADD of a registered fd). */ public static final int EEXIST = 17;
    /** Invalid cross-device link. */ public static final int EXDEV = 18;
    /** No such device. */ public static final int ENODEV = 19;
    /** Not a directory. */ public static final int ENOTDIR = 20;
    /** Is a directory. */ public static final int EISDIR = 21;
    /** Invalid argument. */ public static final int EINVAL = 22;
    /** Too many open files in system. */ public static final int ENFILE = 23;
    /** Too many open files. */ public static final int EMFILE = 24;
    /** Inappropriate ioctl for device. */ public static final int ENOTTY = 25;
    /** Text file busy. */ public static final int ETXTBSY = 26;
    /** File too large. */ public static final int EFBIG = 27;
    /** No space left on device. */ public static final int ENOSPC = 28;
    /** Illegal seek. */ public static final int ESPIPE = 29;
    /** Read-only file system. */ public static final int EROFS = 30;
    /** Too many links. */ public static final int EMLINK = 31;
    /** Broken pipe. */ public static final int EPIPE = 32;
    /** Numerical argument out of domain. */ public static final int EDOM = 33;
    /** Numerical result out of range. */ public static final int ERANGE = 34;
    /** Resource deadlock avoided. */ public static final int EDEADLK = 35;
    /** File name too long. */ public static final int ENAMETOOLONG = 36;
    /** No locks available. */ public static final int ENOLCK = 37;
    /** Function not implemented. */ public static final int ENOSYS = 38;
    /** Directory not empty. */ public static final int ENOTEMPTY = 39;
    /** Too many levels of symbolic links. */ public static final int ELOOP = 40;
    /** No message of desired type. */ public static final int ENOMSG = 42;
    /** Identifier removed. */ public static final int EIDRM = 43;
    /** Channel number out of range. */ public static final int ECHRNG = 44;
    /** Level 2 not synchronized. */ public static final int EL2NSYNC = 45;
    /** Level 3 halted. */ public static final int EL3HLT = 46;
    /** Level 3 reset. */ public static final int EL3RST = 47;
    /** Link number out of range. */ public static final int ELNRNG = 48;
    /** Protocol driver not attached. */ public static final int EUNATCH = 49;
    /** No CSI structure available. */ public static final int ENOCSI = 50;
    /** Level 2 halted. */ public static final int EL2HLT = 51;
    /** Invalid exchange. */ public static final int EBADE = 52;
    /** Invalid request descriptor. */ public static final int EBADR = 53;
    /** Exchange full. */ public static final int EXFULL = 54;
    /** No anode. */ public static final int ENOANO = 55;
    /** Invalid request code. */ public static final int EBADRQC = 56;
    /** Invalid slot. */ public static final int EBADSLT = 57;
    /** Bad font file format. */ public static final int EBFONT = 59;
    /** Device not a stream. */ public static final int ENOSTR = 60;
    /** No data available. */ public static final int ENODATA = 61;
    /** Timer expired. */ public static final int ETIME = 62;
    /** Out of streams resources. */ public static final int ENOSR = 63;
    /** Machine is not on the network. */ public static final int ENONET = 64;
    /** Package not installed. */ public static final int ENOPKG = 65;
    /** Object is remote. */ public static final int EREMOTE = 66;
    /** Link has been severed. */ public static final int ENOLINK = 67;
    /** Advertise error. */ public static final int EADV = 68;
    /** Srmount error. */ public static final int ESRMNT = 69;
    /** Communication error on send. */ public static final int ECOMM = 70;
    /** Protocol error. */ public static final int EPROTO = 71;
    /** Multihop attempted. */ public static final int EMULTIHOP = 72;
    /** RFS specific error. */ public static final int EDOTDOT = 73;
    /** Bad message. */ public static final int EBADMSG = 74;
    /** Value too large for defined data type. */ public static final int EOVERFLOW = 75;
    /** Name not unique on network. */ public static final int ENOTUNIQ = 76;
    /** File descriptor in bad state. */ public static final int EBADFD = 77;
    /** Remote address changed. */ public static final int EREMCHG = 78;
    /** Can not access a needed shared library. */ public static final int ELIBACC = 79;
    /** Accessing a corrupted shared library. */ public static final int ELIBBAD = 80;
    /** .lib section in a.out corrupted. */ public static final int ELIBSCN = 81;
    /** Attempting to link in too many shared libraries. */ public static final int ELIBMAX = 82;
    /** Cannot exec a shared library directly. */ public static final int ELIBEXEC = 83;
    /** Invalid or incomplete multibyte or wide character. */ public static final int EILSEQ = 84;
    /** Interrupted system call should be restarted. */ public static final int ERESTART = 85;
    /** Streams pipe error. */ public static final int ESTRPIPE = 86;
    /** Too many users. */ public static final int EUSERS = 87;
    /** Socket operation on non-socket. */ public static final int ENOTSOCK = 88;
    /** Destination address required. */ public static final int EDESTADDRREQ = 89;
    /** Message too long. */ public static final int EMSGSIZE = 90;
    /** Protocol wrong type for socket. */ public static final int EPROTOTYPE = 91;
    /** Protocol not available (an option this kernel does not know). */ public static final int ENOPROTOOPT = 92;
    /** Protocol not supported. */ public static final int EPROTONOSUPPORT = 93;
    /** Socket type not supported. */ public static final int ESOCKTNOSUPPORT = 94;
    /** Operation not supported. */ public static final int EOPNOTSUPP = 95;
    /** Protocol family not supported. */ public static final int EPFNOSUPPORT = 96;
    /** Address family not supported by protocol. */ public static final int EAFNOSUPPORT = 97;
    /** Address already in use. */ public static final int EADDRINUSE = 98;
    /** Cannot assign requested address. */ public static final int EADDRNOTAVAIL = 99;
    /** Network is down. */ public static final int ENETDOWN = 100;
    /** Network is unreachable. */ public static final int ENETUNREACH = 101;
    /** Network dropped connection on reset. */ public static final int ENETRESET = 102;
    /** Software caused connection abort. */ public static final int ECONNABORTED = 103;
    /** Connection reset by peer. */ public static final int ECONNRESET = 104;
    /** No buffer space available. */ public static final int ENOBUFS = 105;
    /** Transport endpoint is already connected. */ public static final int EISCONN = 106;
    /** Transport endpoint is not connected. */ public static final int ENOTCONN = 107;
    /** Cannot send after transport endpoint shutdown. */ public static final int ESHUTDOWN = 108;
    /** Too many references: cannot splice. */ public static final int ETOOMANYREFS = 109;
    /** Connection timed out. */ public static final int ETIMEDOUT = 110;
    /** Connection refused. */ public static final int ECONNREFUSED = 111;
    /** Host is down. */ public static final int EHOSTDOWN = 112;
    /** No route to host. */ public static final int EHOSTUNREACH = 113;
    /** Operation already in progress. */ public static final int EALREADY = 114;
    /** Operation now in progress. */ public static final int EINPROGRESS = 115;
    /** Stale file handle. */ public static final int ESTALE = 116;
    /** Structure needs cleaning. */ public static final int EUCLEAN = 117;
    /** Not a XENIX named type file. */ public static final int ENOTNAM = 118;
    /** No XENIX semaphores available. */ public static final int ENAVAIL = 119;
    /** Is a named type file. */ public static final int EISNAM = 120;
    /** Remote I/O error. */ public static final int EREMOTEIO = 121;
    /** Disk quota exceeded. */ public static final int EDQUOT = 122;
    /** No medium found. */ public static final int ENOMEDIUM = 123;
    /** Wrong medium type. */ public static final int EMEDIUMTYPE = 124;
    /** Operation canceled. */ public static final int ECANCELED = 125;
    /** Required key not available. */ public static final int ENOKEY = 126;
    /** Key has expired. */ public static final int EKEYEXPIRED = 127;
    /** Key has been revoked. */ public static final int EKEYREVOKED = 128;
    /** Key was rejected by service. */ public static final int EKEYREJECTED = 129;
    /** Owner died. */ public static final int EOWNERDEAD = 130;
    /** State not recoverable. */ public static final int ENOTRECOVERABLE = 131;
    /** Operation not possible due to RF-kill. */ public static final int ERFKILL = 132;
    /** Memory page has hardware error. */ public static final int EHWPOISON = 133;
    /** Alias of {@link #EAGAIN}. */ public static final int EWOULDBLOCK = EAGAIN;
    /** Alias of {@link #EDEADLK}. */ public static final int EDEADLOCK = EDEADLK;
    /** Alias of {@link #EOPNOTSUPP} (glibc's ENOTSUP). */ public static final int ENOTSUP = EOPNOTSUPP;

    /** Indexed by errno; null where Linux defines no value. */
    private static final String[] NAMES = {
            null,
            "EPERM",
            "ENOENT",
            "ESRCH",
            "EINTR",
            "EIO",
            "ENXIO",
            "E2BIG",
            "ENOEXEC",
            "EBADF",
            "ECHILD",
            "EAGAIN",
            "ENOMEM",
            "EACCES",
            "EFAULT",
            "ENOTBLK",
            "EBUSY",
            "EEXIST",
            "EXDEV",
            "ENODEV",
            "ENOTDIR",
            "EISDIR",
            "EINVAL",
            "ENFILE",
            "EMFILE",
            "ENOTTY",
            "ETXTBSY",
            "EFBIG",
            "ENOSPC",
            "ESPIPE",
            "EROFS",
            "EMLINK",
            "EPIPE",
            "EDOM",
            "ERANGE",
            "EDEADLK",
            "ENAMETOOLONG",
            "ENOLCK",
            "ENOSYS",
            "ENOTEMPTY",
            "ELOOP",
            null,
            "ENOMSG",
            "EIDRM",
            "ECHRNG",
            "EL2NSYNC",
            "EL3HLT",
            "EL3RST",
            "ELNRNG",
            "EUNATCH",
            "ENOCSI",
            "EL2HLT",
            "EBADE",
            "EBADR",
            "EXFULL",
            "ENOANO",
            "EBADRQC",
            "EBADSLT",
            null,
            "EBFONT",
            "ENOSTR",
            "ENODATA",
            "ETIME",
            "ENOSR",
            "ENONET",
            "ENOPKG",
            "EREMOTE",
            "ENOLINK",
            "EADV",
            "ESRMNT",
            "ECOMM",
            "EPROTO",
            "EMULTIHOP",
            "EDOTDOT",
            "EBADMSG",
            "EOVERFLOW",
            "ENOTUNIQ",
            "EBADFD",
            "EREMCHG",
            "ELIBACC",
            "ELIBBAD",
            "ELIBSCN",
            "ELIBMAX",
            "ELIBEXEC",
            "EILSEQ",
            "ERESTART",
            "ESTRPIPE",
            "EUSERS",
            "ENOTSOCK",
            "EDESTADDRREQ",
            "EMSGSIZE",
            "EPROTOTYPE",
            "ENOPROTOOPT",
            "EPROTONOSUPPORT",
            "ESOCKTNOSUPPORT",
            "EOPNOTSUPP",
            "EPFNOSUPPORT",
            "EAFNOSUPPORT",
            "EADDRINUSE",
            "EADDRNOTAVAIL",
            "ENETDOWN",
            "ENETUNREACH",
            "ENETRESET",
            "ECONNABORTED",
            "ECONNRESET",
            "ENOBUFS",
            "EISCONN",
            "ENOTCONN",
            "ESHUTDOWN",
            "ETOOMANYREFS",
            "ETIMEDOUT",
            "ECONNREFUSED",
            "EHOSTDOWN",
            "EHOSTUNREACH",
            "EALREADY",
            "EINPROGRESS",
            "ESTALE",
            "EUCLEAN",
            "ENOTNAM",
            "ENAVAIL",
            "EISNAM",
            "EREMOTEIO",
            "EDQUOT",
            "ENOMEDIUM",
            "EMEDIUMTYPE",
            "ECANCELED",
            "ENOKEY",
            "EKEYEXPIRED",
            "EKEYREVOKED",
            "EKEYREJECTED",
            "EOWNERDEAD",
            "ENOTRECOVERABLE",
            "ERFKILL",
            "EHWPOISON"
    };

    private static final String[] DESCRIPTIONS = {
            null,
            "operation not permitted",
            "no such file or directory",
            "no such process",
            "interrupted system call",
            "input/output error",
            "no such device or address",
            "argument list too long",
            "exec format error",
            "bad file descriptor",
            "no child processes",
            "resource temporarily unavailable",
            "cannot allocate memory",
            "permission denied",
            "bad address",
            "block device required",
            "device or resource busy",
            "file exists",
            "invalid cross-device link",
            "no such device",
            "not a directory",
            "is a directory",
            "invalid argument",
            "too many open files in system",
            "too many open files (RLIMIT_NOFILE)",
            "inappropriate ioctl for device",
            "text file busy",
            "file too large",
            "no space left on device",
            "illegal seek",
            "read-only file system",
            "too many links",
            "broken pipe",
            "numerical argument out of domain",
            "numerical result out of range",
            "resource deadlock avoided",
            "file name too long",
            "no locks available",
            "function not implemented",
            "directory not empty",
            "too many levels of symbolic links",
            null,
            "no message of desired type",
            "identifier removed",
            "channel number out of range",
            "level 2 not synchronized",
            "level 3 halted",
            "level 3 reset",
            "link number out of range",
            "protocol driver not attached",
            "no CSI structure available",
            "level 2 halted",
            "invalid exchange",
            "invalid request descriptor",
            "exchange full",
            "no anode",
            "invalid request code",
            "invalid slot",
            null,
            "bad font file format",
            "device not a stream",
            "no data available",
            "timer expired",
            "out of streams resources",
            "machine is not on the network",
            "package not installed",
            "object is remote",
            "link has been severed",
            "advertise error",
            "srmount error",
            "communication error on send",
            "protocol error",
            "multihop attempted",
            "RFS specific error",
            "bad message",
            "value too large for defined data type",
            "name not unique on network",
            "file descriptor in bad state",
            "remote address changed",
            "can not access a needed shared library",
            "accessing a corrupted shared library",
            ".lib section in a.out corrupted",
            "attempting to link in too many shared libraries",
            "cannot exec a shared library directly",
            "invalid or incomplete multibyte or wide character",
            "interrupted system call should be restarted",
            "streams pipe error",
            "too many users",
            "socket operation on non-socket",
            "destination address required",
            "message too long",
            "protocol wrong type for socket",
            "protocol not available",
            "protocol not supported",
            "socket type not supported",
            "operation not supported",
            "protocol family not supported",
            "address family not supported by protocol",
            "address already in use",
            "cannot assign requested address",
            "network is down",
            "network is unreachable",
            "network dropped connection on reset",
            "software caused connection abort",
            "connection reset by peer",
            "no buffer space available",
            "transport endpoint is already connected",
            "transport endpoint is not connected",
            "cannot send after transport endpoint shutdown",
            "too many references: cannot splice",
            "connection timed out",
            "connection refused",
            "host is down",
            "no route to host",
            "operation already in progress",
            "operation now in progress",
            "stale file handle",
            "structure needs cleaning",
            "not a XENIX named type file",
            "no XENIX semaphores available",
            "is a named type file",
            "remote I/O error",
            "disk quota exceeded",
            "no medium found",
            "wrong medium type",
            "operation canceled",
            "required key not available",
            "key has expired",
            "key has been revoked",
            "key was rejected by service",
            "owner died",
            "state not recoverable",
            "operation not possible due to RF-kill",
            "memory page has hardware error"
    };

    /**
     * Names an errno value.
     *
     * @param errno an errno value
     * @return its symbolic name, for example {@code "EINVAL"}, or {@code "errno N"} if unknown
     */
    public static String name(int errno) {
        String name = errno > 0 && errno < NAMES.length ? NAMES[errno] : null;
        return name != null ? name : "errno " + errno;
    }

    /** @return a strerror-like description of {@code errno}, or "see errno(3)" if unknown */
    static String description(int errno) {
        String description = errno > 0 && errno < DESCRIPTIONS.length ? DESCRIPTIONS[errno] : null;
        return description != null ? description : "see errno(3)";
    }
}
