package org.jvpoll.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.jvpoll.Backend;
import org.jvpoll.Errno;
import org.jvpoll.Events;
import org.jvpoll.VpollException;
import org.jvpoll.VpollFd;
import org.jvpoll.syscall.Unistd;

/**
 * Child-JVM main: lowers its own soft RLIMIT_NOFILE, leaves exactly 0, 1 and 2 descriptor numbers
 * free and creates a vpoll fd of the backend named in args[0]. Prints one "CASE" line per case,
 * then "OK" (exit 0) or "FAIL ..." (exit 1). A creation that does not fit must fail with EMFILE
 * and leave the descriptor table as it was.
 */
public final class NofileExhaustionCheck {
    private NofileExhaustionCheck() {}

    public static void main(String[] args) throws Exception {
        Backend backend = Backend.fromId(args[0]);
        VpollFd.Options options = VpollFd.Options.DEFAULT.backend(backend);
        // Warm up: listener / FUSE mount, classes of the success and failure paths.
        VpollFd hold = VpollFd.create(Events.IN, options);
        try {
            org.jvpoll.Vpoll.close(-7);
        } catch (VpollException expected) {
            // loads the exception classes before descriptors run out
        }
        VpollFd.create(0, options).close();
        TreeSet<Integer> baseline = openFds();
        NativeProcess.setNofileSoft(baseline.last() + 64L);
        int needed = -1;
        for (int free = 0; free <= 3; free++) {
            TreeSet<Integer> before = openFds();
            List<Integer> fillers = fill();
            for (int i = 0; i < free; i++) {
                Unistd.close(fillers.remove(fillers.size() - 1));
            }
            String result;
            VpollFd created = null;
            VpollException error = null;
            try {
                created = VpollFd.create(Events.OUT, options);
                result = "created fd " + created.fd();
            } catch (VpollException e) {
                error = e;
                result = "failed: " + e.getMessage();
            }
            for (int f : fillers) {
                Unistd.close(f);
            }
            TreeSet<Integer> after = openFds();
            if (created != null) {
                after.remove(created.fd());
                created.close();
                if (needed < 0) {
                    needed = free;
                }
            } else if (error.errno() != Errno.EMFILE) {
                fail("free=" + free + ": expected EMFILE, got " + error);
            } else if ((backend == Backend.EMULATION || backend == Backend.EMULATION_TCP)
                    && !error.getMessage().contains("2 descriptors per vpoll fd")) {
                fail("free=" + free + ": the EMFILE message should name the emulation's cost: " + error.getMessage());
            }
            TreeSet<Integer> extra = new TreeSet<>(after);
            extra.removeAll(before);
            System.out.println("CASE backend=" + backend.id() + " free-slots=" + free + " " + result
                    + " left-behind=" + extra);
            if (created == null && !extra.isEmpty()) {
                fail("free=" + free + ": a failed create left descriptors " + extra);
            }
        }
        hold.close();
        System.out.println("OK backend=" + backend.id() + " needs " + needed + " free descriptor(s) per vpoll fd");
    }

    /** Opens /dev/null until EMFILE. @return the descriptors opened */
    static List<Integer> fill() throws VpollException {
        List<Integer> fds = new ArrayList<>();
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.MemorySegment path = arena.allocateFrom("/dev/null");
            for (;;) {
                try {
                    fds.add(Unistd.open(path, Unistd.O_RDONLY | Unistd.O_CLOEXEC, "open(/dev/null)"));
                } catch (VpollException e) {
                    if (e.errno() != Errno.EMFILE) {
                        throw e;
                    }
                    return fds;
                }
            }
        }
    }

    static TreeSet<Integer> openFds() throws IOException {
        TreeSet<Integer> s = new TreeSet<>();
        try (Stream<Path> list = Files.list(Path.of("/proc/self/fd"))) {
            list.forEach(p -> s.add(Integer.parseInt(p.getFileName().toString())));
        }
        return s; // includes the listing's own descriptor, which is closed again
    }

    private static void fail(String what) {
        System.out.println("FAIL " + what);
        System.exit(1);
    }
}
