package org.jvpoll.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process that serves a jvpoll mount, named in its mount source as
 * {@code jvpoll-PID-STARTTIME}. The start time (field 22 of /proc/PID/stat, in clock ticks since
 * boot) tells a live owner from an unrelated process that reused the pid.
 */
record Owner(long pid, long startTime) {
    static final String PREFIX = "jvpoll-";

    /** @return this process */
    static Owner self() {
        long pid = ProcessHandle.current().pid();
        Long start = startTimeOf(pid);
        return new Owner(pid, start == null ? 0 : start);
    }

    /** @return the owner a mount source or mount-point file name names, or null if none */
    static Owner parse(String name) {
        int at = name.indexOf(PREFIX);
        if (at < 0) {
            return null;
        }
        String[] parts = name.substring(at + PREFIX.length()).split("-");
        if (parts.length != 2) {
            return null;
        }
        try {
            return new Owner(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** @return {@code jvpoll-PID-STARTTIME} */
    String tag() {
        return PREFIX + pid + "-" + startTime;
    }

    /** @return whether this exact process (same pid and start time) still runs */
    boolean isAlive() {
        Long start = startTimeOf(pid);
        return start != null && start == startTime;
    }

    /** @return field 22 of /proc/PID/stat, or null if there is no such process */
    static Long startTimeOf(long pid) {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        } catch (IOException e) {
            return null;
        }
        // the command name (field 2) is in parentheses and may contain spaces: count after ")"
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        // f[0] is field 3 (state), so field 22 is f[19]
        try {
            return f.length > 19 ? Long.parseLong(f[19]) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
