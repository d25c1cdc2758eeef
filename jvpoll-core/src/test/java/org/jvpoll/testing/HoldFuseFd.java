package org.jvpoll.testing;

import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.jvpoll.VpollFd;
import org.jvpoll.fuse.ProcessMount;

/** Child-JVM main: opens a FUSE vpoll fd, prints its mount path, and waits to be killed. */
public final class HoldFuseFd {
    private HoldFuseFd() {}

    public static void main(String[] args) throws Exception {
        VpollFd vfd = VpollFd.create(Events.IN, VpollFd.Options.DEFAULT.backend(Backend.FUSE));
        System.out.println("MOUNTED " + ProcessMount.current().path() + " fd " + vfd.fd());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
