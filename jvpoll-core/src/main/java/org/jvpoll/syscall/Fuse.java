package org.jvpoll.syscall;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.Map;

/**
 * linux/fuse.h: the /dev/fuse protocol, as far as the vpoll file system speaks it. Each struct is
 * one {@link StructLayout} below, named as in the header, with a {@link VarHandle} per field
 * (coordinates: the segment and a base offset); {@code FuseStructsTest} compiles a C program
 * against {@code <linux/fuse.h>} and checks every size and offset. All integers are native-endian.
 *
 * <p>A request is one read(2) of at least {@link #MIN_READ_BUFFER} bytes: a {@link InHeader}, then
 * the opcode's argument struct. A reply is one write(2): an {@link OutHeader} (error = -errno)
 * and the result struct; a notification has unique 0 and the notify code as error.
 *
 * <p>ioctl on a FUSE regular file arrives as FUSE_IOCTL, "restricted": for {@code _IO(type, nr)}
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

    private static ValueLayout u16(String name) {
        return ValueLayout.JAVA_SHORT.withName(name);
    }

    private static ValueLayout u32(String name) {
        return ValueLayout.JAVA_INT.withName(name);
    }

    private static ValueLayout u64(String name) {
        return ValueLayout.JAVA_LONG.withName(name);
    }

    private static MemoryLayout pad(long bytes) {
        return MemoryLayout.paddingLayout(bytes);
    }

    private static StructLayout struct(String name, MemoryLayout... fields) {
        return MemoryLayout.structLayout(fields).withName(name);
    }

    private static VarHandle field(StructLayout struct, String name) {
        return struct.varHandle(groupElement(name));
    }

    /** struct fuse_in_header: before every request's argument struct. */
    public static final class InHeader {
        private InHeader() {}

        public static final StructLayout LAYOUT = struct("fuse_in_header", u32("len"), u32("opcode"), u64("unique"),
                u64("nodeid"), u32("uid"), u32("gid"), u32("pid"), u16("total_extlen"), pad(2));
        public static final VarHandle LEN = field(LAYOUT, "len");
        public static final VarHandle OPCODE = field(LAYOUT, "opcode");
        public static final VarHandle UNIQUE = field(LAYOUT, "unique");
        public static final VarHandle NODEID = field(LAYOUT, "nodeid");
    }

    /** struct fuse_out_header: before every reply and notification. */
    public static final class OutHeader {
        private OutHeader() {}

        public static final StructLayout LAYOUT = struct("fuse_out_header", u32("len"), u32("error"), u64("unique"));
        public static final VarHandle LEN = field(LAYOUT, "len");
        public static final VarHandle ERROR = field(LAYOUT, "error");
        public static final VarHandle UNIQUE = field(LAYOUT, "unique");
    }

    /** struct fuse_init_in (flags2 from 7.36). */
    public static final class InitIn {
        private InitIn() {}

        public static final StructLayout LAYOUT = struct("fuse_init_in", u32("major"), u32("minor"),
                u32("max_readahead"), u32("flags"), u32("flags2"), pad(44));
        public static final VarHandle MAJOR = field(LAYOUT, "major");
        public static final VarHandle MINOR = field(LAYOUT, "minor");
        public static final VarHandle FLAGS = field(LAYOUT, "flags");
        public static final VarHandle FLAGS2 = field(LAYOUT, "flags2");
    }

    /** struct fuse_init_out (max_stack_depth from 7.40, request_timeout from 7.43). */
    public static final class InitOut {
        private InitOut() {}

        public static final StructLayout LAYOUT = struct("fuse_init_out", u32("major"), u32("minor"),
                u32("max_readahead"), u32("flags"), u16("max_background"), u16("congestion_threshold"),
                u32("max_write"), u32("time_gran"), u16("max_pages"), u16("map_alignment"), u32("flags2"),
                u32("max_stack_depth"), u16("request_timeout"), pad(22));
        public static final VarHandle MAJOR = field(LAYOUT, "major");
        public static final VarHandle MINOR = field(LAYOUT, "minor");
        public static final VarHandle MAX_READAHEAD = field(LAYOUT, "max_readahead");
        public static final VarHandle FLAGS = field(LAYOUT, "flags");
        public static final VarHandle MAX_BACKGROUND = field(LAYOUT, "max_background");
        public static final VarHandle CONGESTION_THRESHOLD = field(LAYOUT, "congestion_threshold");
        public static final VarHandle MAX_WRITE = field(LAYOUT, "max_write");
        public static final VarHandle TIME_GRAN = field(LAYOUT, "time_gran");
        public static final VarHandle FLAGS2 = field(LAYOUT, "flags2");
        public static final VarHandle REQUEST_TIMEOUT = field(LAYOUT, "request_timeout");
    }

    /** struct fuse_attr. */
    public static final class Attr {
        private Attr() {}

        public static final StructLayout LAYOUT = struct("fuse_attr", u64("ino"), u64("size"), u64("blocks"),
                u64("atime"), u64("mtime"), u64("ctime"), u32("atimensec"), u32("mtimensec"), u32("ctimensec"),
                u32("mode"), u32("nlink"), u32("uid"), u32("gid"), u32("rdev"), u32("blksize"), u32("flags"));
        public static final VarHandle INO = field(LAYOUT, "ino");
        public static final VarHandle ATIME = field(LAYOUT, "atime");
        public static final VarHandle MTIME = field(LAYOUT, "mtime");
        public static final VarHandle CTIME = field(LAYOUT, "ctime");
        public static final VarHandle MODE = field(LAYOUT, "mode");
        public static final VarHandle NLINK = field(LAYOUT, "nlink");
        public static final VarHandle UID = field(LAYOUT, "uid");
        public static final VarHandle GID = field(LAYOUT, "gid");
        public static final VarHandle BLKSIZE = field(LAYOUT, "blksize");
    }

    /** struct fuse_attr_out: the reply to GETATTR and SETATTR. */
    public static final class AttrOut {
        private AttrOut() {}

        public static final StructLayout LAYOUT = struct("fuse_attr_out", u64("attr_valid"), u32("attr_valid_nsec"),
                u32("dummy"), Attr.LAYOUT.withName("attr"));
        public static final VarHandle ATTR_VALID = field(LAYOUT, "attr_valid");
        public static final long ATTR = LAYOUT.byteOffset(groupElement("attr"));
    }

    /** struct fuse_open_out (backing_id from 7.40; padding before). */
    public static final class OpenOut {
        private OpenOut() {}

        public static final StructLayout LAYOUT = struct("fuse_open_out", u64("fh"), u32("open_flags"),
                u32("backing_id"));
        public static final VarHandle FH = field(LAYOUT, "fh");
        public static final VarHandle OPEN_FLAGS = field(LAYOUT, "open_flags");
        public static final VarHandle BACKING_ID = field(LAYOUT, "backing_id");
    }

    /** struct fuse_release_in. */
    public static final class ReleaseIn {
        private ReleaseIn() {}

        public static final StructLayout LAYOUT = struct("fuse_release_in", u64("fh"), u32("flags"),
                u32("release_flags"), u64("lock_owner"));
        public static final VarHandle FH = field(LAYOUT, "fh");
    }

    /** struct fuse_read_in. */
    public static final class ReadIn {
        private ReadIn() {}

        public static final StructLayout LAYOUT = struct("fuse_read_in", u64("fh"), u64("offset"), u32("size"),
                u32("read_flags"), u64("lock_owner"), u32("flags"), pad(4));
        public static final VarHandle FH = field(LAYOUT, "fh");
        public static final VarHandle SIZE = field(LAYOUT, "size");
    }

    /** struct fuse_write_in; the data follows it. */
    public static final class WriteIn {
        private WriteIn() {}

        public static final StructLayout LAYOUT = struct("fuse_write_in", u64("fh"), u64("offset"), u32("size"),
                u32("write_flags"), u64("lock_owner"), u32("flags"), pad(4));
        public static final VarHandle FH = field(LAYOUT, "fh");
        public static final VarHandle SIZE = field(LAYOUT, "size");
    }

    /** struct fuse_write_out. */
    public static final class WriteOut {
        private WriteOut() {}

        public static final StructLayout LAYOUT = struct("fuse_write_out", u32("size"), pad(4));
        public static final VarHandle SIZE = field(LAYOUT, "size");
    }

    /** struct fuse_ioctl_in. */
    public static final class IoctlIn {
        private IoctlIn() {}

        public static final StructLayout LAYOUT = struct("fuse_ioctl_in", u64("fh"), u32("flags"), u32("cmd"),
                u64("arg"), u32("in_size"), u32("out_size"));
        public static final VarHandle FH = field(LAYOUT, "fh");
        public static final VarHandle CMD = field(LAYOUT, "cmd");
        public static final VarHandle ARG = field(LAYOUT, "arg");
    }

    /** struct fuse_ioctl_out. */
    public static final class IoctlOut {
        private IoctlOut() {}

        public static final StructLayout LAYOUT = struct("fuse_ioctl_out", u32("result"), u32("flags"),
                u32("in_iovs"), u32("out_iovs"));
        public static final VarHandle RESULT = field(LAYOUT, "result");
    }

    /** struct fuse_poll_in. */
    public static final class PollIn {
        private PollIn() {}

        public static final StructLayout LAYOUT = struct("fuse_poll_in", u64("fh"), u64("kh"), u32("flags"),
                u32("events"));
        public static final VarHandle FH = field(LAYOUT, "fh");
        public static final VarHandle KH = field(LAYOUT, "kh");
        public static final VarHandle FLAGS = field(LAYOUT, "flags");
    }

    /** struct fuse_poll_out. */
    public static final class PollOut {
        private PollOut() {}

        public static final StructLayout LAYOUT = struct("fuse_poll_out", u32("revents"), pad(4));
        public static final VarHandle REVENTS = field(LAYOUT, "revents");
    }

    /** struct fuse_notify_poll_wakeup_out: the payload of FUSE_NOTIFY_POLL. */
    public static final class NotifyPollWakeupOut {
        private NotifyPollWakeupOut() {}

        public static final StructLayout LAYOUT = struct("fuse_notify_poll_wakeup_out", u64("kh"));
        public static final VarHandle KH = field(LAYOUT, "kh");
    }

    /** struct fuse_kstatfs. */
    public static final class Kstatfs {
        private Kstatfs() {}

        public static final StructLayout LAYOUT = struct("fuse_kstatfs", u64("blocks"), u64("bfree"), u64("bavail"),
                u64("files"), u64("ffree"), u32("bsize"), u32("namelen"), u32("frsize"), pad(4),
                MemoryLayout.sequenceLayout(6, ValueLayout.JAVA_INT).withName("spare"));
        public static final VarHandle BSIZE = field(LAYOUT, "bsize");
        public static final VarHandle NAMELEN = field(LAYOUT, "namelen");
        public static final VarHandle FRSIZE = field(LAYOUT, "frsize");
    }

    /** struct fuse_statfs_out. */
    public static final class StatfsOut {
        private StatfsOut() {}

        public static final StructLayout LAYOUT = struct("fuse_statfs_out", Kstatfs.LAYOUT.withName("st"));
        public static final long ST = LAYOUT.byteOffset(groupElement("st"));
    }

    /** @return every struct above, each named as in linux/fuse.h */
    public static List<StructLayout> structs() {
        return List.of(InHeader.LAYOUT, OutHeader.LAYOUT, InitIn.LAYOUT, InitOut.LAYOUT, Attr.LAYOUT, AttrOut.LAYOUT,
                OpenOut.LAYOUT, ReleaseIn.LAYOUT, ReadIn.LAYOUT, WriteIn.LAYOUT, WriteOut.LAYOUT, IoctlIn.LAYOUT,
                IoctlOut.LAYOUT, PollIn.LAYOUT, PollOut.LAYOUT, NotifyPollWakeupOut.LAYOUT, Kstatfs.LAYOUT,
                StatfsOut.LAYOUT);
    }

    /** Fields newer than FUSE 7.38 ("struct.field" to the minor that named them; padding before). */
    public static final Map<String, Integer> FIELD_SINCE_MINOR = Map.of(
            "fuse_init_out.max_stack_depth", 40,
            "fuse_init_out.request_timeout", 43,
            "fuse_open_out.backing_id", 40);

    public static final int IN_HEADER_SIZE = (int) InHeader.LAYOUT.byteSize();
    public static final int OUT_HEADER_SIZE = (int) OutHeader.LAYOUT.byteSize();
    public static final int INIT_OUT_SIZE = (int) InitOut.LAYOUT.byteSize();
    public static final int ATTR_OUT_SIZE = (int) AttrOut.LAYOUT.byteSize();
    public static final int OPEN_OUT_SIZE = (int) OpenOut.LAYOUT.byteSize();
    public static final int WRITE_IN_SIZE = (int) WriteIn.LAYOUT.byteSize();
    public static final int WRITE_OUT_SIZE = (int) WriteOut.LAYOUT.byteSize();
    public static final int IOCTL_OUT_SIZE = (int) IoctlOut.LAYOUT.byteSize();
    public static final int POLL_OUT_SIZE = (int) PollOut.LAYOUT.byteSize();
    public static final int NOTIFY_POLL_SIZE = (int) NotifyPollWakeupOut.LAYOUT.byteSize();
    public static final int STATFS_OUT_SIZE = (int) StatfsOut.LAYOUT.byteSize();

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
