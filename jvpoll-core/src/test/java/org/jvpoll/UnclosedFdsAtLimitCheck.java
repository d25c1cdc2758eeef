package org.jvpoll;

import org.jvpoll.testing.OpenDescriptors;
import org.jvpoll.testing.NativeProcess;

/**
 * Child-JVM main: with a low RLIMIT_NOFILE, drops emulated vpoll fds until creation fails with
 * EMFILE, then runs GCs until creation succeeds again (the Cleaner closed the dropped ones).
 * Prints "OK ..." (exit 0) or "FAIL ..." (exit 1).
 */
public final class UnclosedFdsAtLimitCheck {
    private UnclosedFdsAtLimitCheck() {}

    public static void main(String[] args) throws Exception {
        VpollFd.Options options = VpollFd.Options.DEFAULT.backend(Backend.EMULATION);
        // Load what the EMFILE and reclaim paths use while descriptors are plenty: loading a class
        // opens the jar.
        VpollFd.create(0, options).close();
        System.out.println("warm-up: " + Errno.name(Errno.EMFILE) + " " + FdReclaimer.reclaimed()
                + new VpollException("warm-up", Errno.EMFILE, null).getMessage());
        VpollFd.create(0, options); // dropped: the first reclaim loads the logging classes early
        for (int i = 0; i < 20 && FdReclaimer.reclaimed() == 0; i++) {
            System.gc();
            Thread.sleep(50);
        }
        NativeProcess.setNofileSoft(OpenDescriptors.countNow() + 200L);
        int dropped = 0;
        VpollException limit = null;
        while (limit == null && dropped < 10_000) {
            try {
                VpollFd.create(Events.IN, options);
                dropped++;
            } catch (VpollException e) {
                limit = e;
            }
        }
        if (limit == null || limit.errno() != Errno.EMFILE) {
            System.out.println("FAIL expected EMFILE after dropping fds, got " + limit + " after " + dropped);
            System.exit(1);
        }
        System.out.println("EMFILE after " + dropped + " dropped fds: " + limit.getMessage());
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(50);
            try (VpollFd again = VpollFd.create(Events.IN, options)) {
                System.out.println("OK created fd " + again.fd() + " after the dropped fds were reclaimed ("
                        + FdReclaimer.reclaimed() + ")");
                System.exit(0);
            } catch (VpollException e) {
                if (e.errno() != Errno.EMFILE) {
                    throw e;
                }
            }
        }
        System.out.println("FAIL still EMFILE 60 s after GCs began; reclaimed " + FdReclaimer.reclaimed());
        System.exit(1);
    }
}
