package org.jvpoll.syscall;

/**
 * linux/fuse.h: the /dev/fuse protocol, as far as the vpoll file system speaks it. All integers
 * are native-endian; every struct is padded to 8 bytes. Offsets below are in bytes.
 *
 * <pre>
 * A request, read(2) from /dev/fuse into a buffer of at least FUSE_MIN_READ_BUFFER (8192) bytes:
 * struct fuse_in_header {            // 40
 *     uint32_t len;                  // 0   whole request
 *     uint32_t opcode;               // 4
 *     uint64_t unique;               // 8   echoed in the reply
 *     uint64_t nodeid;               // 16
 *     uint32_t uid, gid, pid;        // 24, 28, 32 (of the caller)
 *     uint16_t total_extlen;         // 36  (7.36+) extension length in 8-byte units
 *     uint16_t padding;              // 38
 * };                                 // the opcode's argument struct follows at 40
 *
 * A reply (or, with unique 0 and error = a notify code, a notification), one write(2):
 * struct fuse_out_header { uint32_t len; int32_t error; uint64_t unique; };   // 16; error is -errno
 *
 * struct fuse_init_in  { uint32_t major, minor, max_readahead, flags;           // 0..15
 *                        uint32_t flags2; uint32_t unused[11]; };               // 16 (7.36+), 64 total
 * struct fuse_init_out { uint32_t major, minor, max_readahead, flags;           // 0..15
 *                        uint16_t max_background, congestion_threshold;        // 16, 18
 *                        uint32_t max_write, time_gran;                        // 20, 24
 *                        uint16_t max_pages, map_alignment;                    // 28, 30
 *                        uint32_t flags2, max_stack_depth;                     // 32, 36
 *                        uint16_t request_timeout; uint16_t unused[11]; };     // 40 (7.43+), 64 total
 * struct fuse_attr { uint64_t ino, size, blocks, atime, mtime, ctime;          // 0..47
 *                    uint32_t atimensec, mtimensec, ctimensec, mode, nlink;    // 48..67
 *                    uint32_t uid, gid, rdev, blksize, flags; };               // 68..87, 88 total
 * struct fuse_attr_out { uint64_t attr_valid; uint32_t attr_valid_nsec, dummy; // 0, 8, 12
 *                        struct fuse_attr attr; };                             // 16, 104 total
 * struct fuse_open_in  { uint32_t flags, open_flags; };                        // 8
 * struct fuse_open_out { uint64_t fh; uint32_t open_flags; int32_t backing_id; }; // 16
 * struct fuse_release_in { uint64_t fh; uint32_t flags, release_flags; uint64_t lock_owner; }; // 24
 * struct fuse_read_in  { uint64_t fh, offset; uint32_t size, read_flags;       // 0, 8, 16, 20
 *                        uint64_t lock_owner; uint32_t flags, padding; };      // 40
 * struct fuse_write_in { uint64_t fh, offset; uint32_t size, write_flags;      // 0, 8, 16, 20
 *                        uint64_t lock_owner; uint32_t flags, padding; };      // 40, data follows
 * struct fuse_write_out { uint32_t size, padding; };                           // 8
 * struct fuse_ioctl_in { uint64_t fh; uint32_t flags, cmd;                     // 0, 8, 12
 *                        uint64_t arg; uint32_t in_size, out_size; };          // 16, 24, 28; 32 total
 * struct fuse_ioctl_out { int32_t result; uint32_t flags, in_iovs, out_iovs; }; // 16
 * struct fuse_poll_in  { uint64_t fh, kh; uint32_t flags, events; };           // 0, 8, 16, 20; 24
 * struct fuse_poll_out { uint32_t revents, padding; };                         // 8
 * struct fuse_notify_poll_wakeup_out { uint64_t kh; };                         // 8
 * struct fuse_statfs_out { uint64_t blocks, bfree, bavail, files, ffree;       // 0..39
 *                          uint32_t bsize, namelen, frsize, padding, spare[6]; }; // 80 total
 * </pre>
 *
 * ioctl on a FUSE regular file arrives as FUSE_IOCTL, "restricted": for {@code _IO(type, nr)}
 * (no direction, no size) nothing is copied, {@code arg} is the integer argument, and
 * {@code result} becomes ioctl's return value. poll arrives as FUSE_POLL; the kernel's reply
 * path keeps only the bits of a 16-bit poll mask (bits 0-10 and 13, see {@link #POLL_VISIBLE}).
 */
public final class Fuse {
    private Fuse() {}

    public static final int KERNEL_VERSION = 7;
    /** The newest protocol minor whose structs this facade describes (7.43: request_timeout). */
    public static final int KERNEL_MINOR = 43;
    public static final int ROOT_ID = 1;
    public static final int MIN_READ_BUFFER = 8192;

    // opcodes
    public static final int LOOKUP = 1;
    public static final int FORGET = 2;
    public static final int GETATTR = 3;
    public static final int SETATTR = 4;
    public static final int OPEN = 14;
    public static final int READ = 15;
    public static final int WRITE = 16;
    public static final int STATFS = 17;
    public static final int RELEASE = 18;
    public static final int FSYNC = 20;
    public static final int FLUSH = 25;
    public static final int INIT = 26;
    public static final int ACCESS = 34;
    public static final int INTERRUPT = 36;
    public static final int DESTROY = 38;
    public static final int IOCTL = 39;
    public static final int POLL = 40;
    public static final int BATCH_FORGET = 42;

    /** Notification code of fuse_notify_poll_wakeup_out (sent as out_header.error with unique 0). */
    public static final int NOTIFY_POLL = 1;

    // INIT flags (flags; bits 32.. go to flags2 shifted down by 32)
    public static final int INIT_EXT = 1 << 30;
    public static final int FLAGS2_REQUEST_TIMEOUT = 1 << (42 - 32);

    // OPEN reply flags
    public static final int FOPEN_DIRECT_IO = 1;
    public static final int FOPEN_NONSEEKABLE = 1 << 2;
    public static final int FOPEN_STREAM = 1 << 4;
    public static final int FOPEN_NOFLUSH = 1 << 5;
    public static final int FOPEN_PARALLEL_DIRECT_WRITES = 1 << 6;

    public static final int POLL_SCHEDULE_NOTIFY = 1;
    public static final int IOCTL_COMPAT = 1;

    /**
     * Event bits that survive FUSE's poll reply: the kernel converts the reply to a 16-bit poll
     * mask and back (demangle_poll), so only IN..MSG (bits 0-10) and RDHUP (bit 13) reach pollers.
     */
    public static final int POLL_VISIBLE = 0x07ff | 0x2000;

    /** _IOR(229, 0, uint32_t): a clone of the /dev/fuse fd with its own processing queue. */
    public static final long DEV_IOC_CLONE = (2L << 30) | (4L << 16) | (229L << 8);

    public static final int IN_HEADER_SIZE = 40;
    public static final int OUT_HEADER_SIZE = 16;
    public static final int INIT_OUT_SIZE = 64;
    public static final int ATTR_OUT_SIZE = 104;
    public static final int OPEN_OUT_SIZE = 16;
    public static final int WRITE_IN_SIZE = 40;
    public static final int WRITE_OUT_SIZE = 8;
    public static final int IOCTL_OUT_SIZE = 16;
    public static final int POLL_OUT_SIZE = 8;
    public static final int NOTIFY_POLL_SIZE = 8;
    public static final int STATFS_OUT_SIZE = 80;

    public static final int S_IFREG = 0100000;
    public static final int S_IFDIR = 0040000;

    /** @return a readable name for an opcode, for logs and errors */
    public static String opcodeName(int opcode) {
        return switch (opcode) {
            case LOOKUP -> "LOOKUP";
            case FORGET -> "FORGET";
            case GETATTR -> "GETATTR";
            case SETATTR -> "SETATTR";
            case OPEN -> "OPEN";
            case READ -> "READ";
            case WRITE -> "WRITE";
            case STATFS -> "STATFS";
            case RELEASE -> "RELEASE";
            case FSYNC -> "FSYNC";
            case FLUSH -> "FLUSH";
            case INIT -> "INIT";
            case ACCESS -> "ACCESS";
            case INTERRUPT -> "INTERRUPT";
            case DESTROY -> "DESTROY";
            case IOCTL -> "IOCTL";
            case POLL -> "POLL";
            case BATCH_FORGET -> "BATCH_FORGET";
            default -> "opcode " + opcode;
        };
    }
}
