package org.jvpoll.fuse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The mounts of this process's mount namespace, from /proc/self/mountinfo. */
final class MountTable {
    private MountTable() {}

    /**
     * One line of mountinfo: {@code id parent major:minor root mountpoint options [tags] - fstype source super}.
     *
     * @param mountPoint the mount point, unescaped
     * @param fsType     for example {@code fuse.jvpoll}
     * @param source     the mount source ("fsname"), unescaped
     */
    record Entry(Path mountPoint, String fsType, String source) {}

    static List<Entry> read() throws IOException {
        return parse(Files.readAllLines(Path.of("/proc/self/mountinfo")));
    }

    static List<Entry> parse(List<String> lines) {
        List<Entry> entries = new ArrayList<>();
        for (String line : lines) {
            String[] f = line.split(" ");
            int dash = -1;
            for (int i = 6; i < f.length; i++) {
                if (f[i].equals("-")) {
                    dash = i;
                    break;
                }
            }
            if (f.length < 5 || dash < 0 || dash + 2 >= f.length) {
                continue; // not a mountinfo line
            }
            entries.add(new Entry(Path.of(unescape(f[4])), f[dash + 1], unescape(f[dash + 2])));
        }
        return entries;
    }

    /** mountinfo writes space, tab, newline and backslash as octal escapes (\040 ...). */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && isOctal(s, i + 1) && isOctal(s, i + 2) && isOctal(s, i + 3)) {
                sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static boolean isOctal(String s, int i) {
        return i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '7';
    }
}
