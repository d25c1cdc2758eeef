# A hostile local client of a served vpoll file: malformed, truncated and unknown requests.
# Each operation prints "HOSTILE <op> -> ok <result>" or "-> <errno name>", and after each one
# a fresh open + ioctl ADD IN + poll must still work ("the daemon neither died nor wedged").
# argv: path ADD-request [parent-pid parent-fd]
import errno, fcntl, mmap, os, select, sys

path, ADD = sys.argv[1], int(sys.argv[2])
IN = 1

def do(name, f):
    try:
        r = f()
        print("HOSTILE %-34s -> ok %r" % (name, r))
    except OSError as e:
        print("HOSTILE %-34s -> %s" % (name, errno.errorcode.get(e.errno, e.errno)))
    except (ValueError, OverflowError) as e:
        print("HOSTILE %-34s -> refused by python: %s" % (name, e))
    sys.stdout.flush()

def health():
    fd = os.open(path, os.O_RDWR)
    try:
        r = fcntl.ioctl(fd, ADD, IN)
        p = select.poll()
        p.register(fd, 0xffff)
        ev = p.poll(0)
        if r != IN or not ev or ev[0][1] != IN:
            print("UNHEALTHY ioctl %r poll %r" % (r, ev))
            sys.exit(1)
    finally:
        os.close(fd)

def opened(flags, then=None):
    def f():
        fd = os.open(path, flags)
        try:
            return then(fd) if then else "opened"
        finally:
            os.close(fd)
    return f

def many_opens():
    fds = [os.open(path, os.O_RDWR) for _ in range(200)]
    for fd in fds:
        fcntl.ioctl(fd, ADD, IN)
    for fd in fds:
        os.close(fd)
    return len(fds)

st = os.stat(path)
print("MODE %o uid %d gid %d as uid %d" % (st.st_mode, st.st_uid, st.st_gid, os.geteuid()))
try:
    fd = os.open(path, os.O_RDWR)
except OSError as e:
    print("DENIED open O_RDWR -> %s" % errno.errorcode.get(e.errno, e.errno))
    sys.exit(0)
ops = [
    ("read 0 bytes", lambda: os.read(fd, 0)),
    ("read 1 byte", lambda: os.read(fd, 1)),
    ("read 7 bytes", lambda: os.read(fd, 7)),
    ("read 9 bytes", lambda: os.read(fd, 9)),
    ("read 4096 bytes", lambda: len(os.read(fd, 4096))),
    ("pread 8 at offset 4096", lambda: os.pread(fd, 8, 4096)),
    ("write 0 bytes", lambda: os.write(fd, b"")),
    ("write 1 byte", lambda: os.write(fd, b"\x01")),
    ("write 7 bytes", lambda: os.write(fd, b"\x01" * 7)),
    ("write 9 bytes", lambda: os.write(fd, b"\x01" * 9)),
    ("write 16 bytes", lambda: os.write(fd, b"\xff" * 16)),
    ("write 8 bytes, all ones (op 2^32-1)", lambda: os.write(fd, b"\xff" * 8)),
    ("write 8 bytes, op 0", lambda: os.write(fd, b"\x01" + b"\0" * 7)),
    ("write 8 bytes, op 3 (SET) IN", lambda: os.write(fd, (3 << 32 | IN).to_bytes(8, "little"))),
    ("pwrite 8 at offset 12345", lambda: os.pwrite(fd, b"\x01" + b"\0" * 7, 12345)),
    ("lseek to 100", lambda: os.lseek(fd, 100, os.SEEK_SET)),
    ("lseek to end", lambda: os.lseek(fd, 0, os.SEEK_END)),
    ("lseek to -1", lambda: os.lseek(fd, -1, os.SEEK_SET)),
    ("ioctl 0", lambda: fcntl.ioctl(fd, 0, 0)),
    ("ioctl 0xdeadbeef", lambda: fcntl.ioctl(fd, 0xdeadbeef, 0)),
    ("ioctl _IO('^', 99)", lambda: fcntl.ioctl(fd, (ord('^') << 8) | 99, 0)),
    ("ioctl _IO('^', 0) (op 0)", lambda: fcntl.ioctl(fd, (ord('^') << 8), IN)),
    ("ioctl _IO('^', 4) (op 4)", lambda: fcntl.ioctl(fd, (ord('^') << 8) | 4, IN)),
    ("ioctl ADD bits 28-31", lambda: fcntl.ioctl(fd, ADD, -0x10000000)),
    ("ioctl ADD -1", lambda: fcntl.ioctl(fd, ADD, -1)),
    ("ioctl ADD with a buffer argument", lambda: fcntl.ioctl(fd, ADD, b"\xff" * 8)),
    ("ioctl private _IO('^', 0x4a)", lambda: fcntl.ioctl(fd, (ord('^') << 8) | 0x4a, 0)),
    ("ioctl FIONREAD", lambda: fcntl.ioctl(fd, 0x541B, b"\0" * 4)),
    ("ftruncate 0", lambda: os.ftruncate(fd, 0)),
    ("fsync", lambda: os.fsync(fd)),
    ("mmap 8 bytes", lambda: mmap.mmap(fd, 8).close()),
    ("flock LOCK_EX", lambda: fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)),
    ("fchmod 0777", lambda: os.fchmod(fd, 0o777)),
    ("fchown 65534", lambda: os.fchown(fd, 65534, 65534)),
    ("open O_RDONLY, read 8", opened(os.O_RDONLY, lambda f: os.read(f, 8))),
    ("open O_RDONLY, ioctl ADD IN", opened(os.O_RDONLY, lambda f: fcntl.ioctl(f, ADD, IN))),
    ("open O_WRONLY, write 8", opened(os.O_WRONLY, lambda f: os.write(f, b"\x01" + b"\0" * 7))),
    ("open O_WRONLY, read 8", opened(os.O_WRONLY, lambda f: os.read(f, 8))),
    ("open O_RDWR|O_TRUNC|O_APPEND", opened(os.O_RDWR | os.O_TRUNC | os.O_APPEND)),
    ("open O_CREAT|O_EXCL", opened(os.O_RDWR | os.O_CREAT | os.O_EXCL)),
    ("open O_DIRECTORY", opened(os.O_RDONLY | os.O_DIRECTORY)),
    ("open O_NONBLOCK, read 8", opened(os.O_RDWR | os.O_NONBLOCK, lambda f: os.read(f, 8))),
    ("listdir", lambda: os.listdir(path)),
    ("getxattr user.x", lambda: os.getxattr(path, "user.x")),
    ("setxattr user.x", lambda: os.setxattr(path, "user.x", b"1")),
    ("unlink", lambda: os.unlink(path)),
    ("rename", lambda: os.rename(path, path + ".moved")),
    ("truncate by path", lambda: os.truncate(path, 100)),
    ("200 opens with ioctl each", many_opens),
]
if len(sys.argv) > 4:
    other = "/proc/%s/fd/%s" % (sys.argv[3], sys.argv[4])
    ops.append(("reopen another process's fd", lambda: os.close(os.open(other, os.O_RDWR))))
for name, f in ops:
    do(name, f)
    health()
os.close(fd)
st = os.stat(path)
print("MODE %o uid %d gid %d after the client's chmod/chown attempts" % (st.st_mode, st.st_uid, st.st_gid))
print("HEALTHY after %d hostile operations" % len(ops))
