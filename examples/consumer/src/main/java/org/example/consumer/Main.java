package org.example.consumer;

import java.io.IOException;
import java.time.Duration;

import org.jvpoll.Events;
import org.jvpoll.VpollFd;
import org.jvpoll.wait.PollSet;

/**
 * Sets IN on a vpoll fd and sees it with poll(2) through jvpoll's PollSet, then clears it and sees
 * nothing: the smallest program that proves the installed library works. Exit status 0 if so.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws IOException {
        String where = Main.class.getModule().isNamed() ? "module path" : "class path";
        try (VpollFd vfd = VpollFd.create(0); PollSet set = new PollSet(1)) {
            int index = set.add(vfd, Events.IN);
            vfd.add(Events.IN);
            int ready = set.poll(Duration.ofSeconds(5));
            int seen = set.revents(index);
            vfd.delete(Events.IN);
            int after = set.poll(Duration.ZERO);
            System.out.println("consumer (" + where + ", backend " + vfd.backend().id() + "): poll saw "
                    + Events.toString(seen) + ", then " + after + " ready fds after delete");
            if (ready != 1 || (seen & Events.IN) == 0 || after != 0) {
                System.out.println("consumer: FAIL");
                System.exit(1);
            }
        }
        System.out.println("consumer: OK");
    }
}
