package org.jvpoll.nativeaccess;

import org.jvpoll.Backend;
import org.jvpoll.VpollFd;

/**
 * Child-JVM main, run with {@code --illegal-native-access=deny} and without
 * {@code --enable-native-access}: makes the first jvpoll calls a program would make, with public
 * API only (so it runs with jvpoll on the class path or the module path), and prints one line per
 * call: "CALL name: exception class: message", or "CALL name: ok".
 */
public final class NativeAccessDeniedCheck {
    private NativeAccessDeniedCheck() {}

    @FunctionalInterface
    interface Call {
        void run() throws Exception;
    }

    private static void call(String name, Call c) {
        try {
            c.run();
            System.out.println("CALL " + name + ": ok");
        } catch (Throwable t) {
            System.out.println("CALL " + name + ": " + t.getClass().getName() + ": " + t.getMessage());
        }
    }

    public static void main(String[] args) {
        call("create", () -> VpollFd.create(0).close());
        call("create again", () -> VpollFd.create(0).close());
        call("emulation available", () -> {
            if (!Backend.EMULATION.isAvailable()) {
                throw new IllegalStateException("emulation unavailable: " + Backend.EMULATION.availability());
            }
        });
        call("create emulation", () -> VpollFd.create(0, VpollFd.Options.DEFAULT.backend(Backend.EMULATION)).close());
        System.out.println("DONE");
    }
}
