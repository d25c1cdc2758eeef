package org.jvpoll.reliability;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.jvpoll.VpollFd;

/**
 * What idle emulated fds cost the host: run as its own JVM (by {@link IdleEmulationTest}, in a
 * network namespace of its own where it can make one, so the TCP counters are its alone).
 *
 * <p>{@code IdleCheck FDS BASELINE_S IDLE_S BACKEND...}: measures a baseline with no fds, then for
 * each backend creates FDS fds spread over every state the backend can hold (OUT clear included),
 * leaves them alone for IDLE_S seconds and prints one line per phase:
 * {@code IDLE phase=... fds=... seconds=... retrans=... winprobes=... lo_packets=... netrx_per_s=... timer_per_s=...
 * tcp_inuse=... tcp_mem_pages=...}. Counters: /proc/net/snmp (Tcp RetransSegs), /proc/net/netstat
 * (TcpExt TCPWinProbe), /proc/softirqs (NET_RX and TIMER, all CPUs, host-wide), /proc/net/sockstat.
 */
public final class IdleCheck {
    private IdleCheck() {}

    /** The states fds are spread over, per backend: every combination each can hold. */
    static int[] states(Backend b) {
        return b == Backend.EMULATION
                ? new int[] {0, Events.IN, Events.OUT, Events.IN | Events.OUT, Events.RDHUP, Events.HUP, Events.ERR | Events.HUP}
                : new int[] {0, Events.IN, Events.OUT, Events.IN | Events.OUT, Events.PRI, Events.OUT | Events.ERR, Events.RDHUP, Events.HUP};
    }

    record Sample(long retrans, long winProbes, long loPackets, long netRx, long timer, long tcpInuse, long tcpMemPages,
            long nanos) {
        static Sample now() throws IOException {
            long[] sock = sockstat();
            return new Sample(snmp("Tcp:", "RetransSegs"), snmp("TcpExt:", "TCPWinProbe", "/proc/net/netstat"),
                    loopbackPackets(), softirq("NET_RX:"), softirq("TIMER:"), sock[0], sock[1], System.nanoTime());
        }
    }

    /** Packets received on this namespace's loopback (/proc/self/net/dev): every one is a NET_RX softirq's work. */
    static long loopbackPackets() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/net/dev"))) {
            String t = line.trim();
            if (t.startsWith("lo:")) {
                return Long.parseLong(t.substring(3).trim().split("\\s+")[1]);
            }
        }
        throw new IOException("/proc/self/net/dev has no lo line");
    }

    public static void main(String[] args) throws Exception {
        int fds = Integer.parseInt(args[0]);
        int baselineSeconds = Integer.parseInt(args[1]);
        int idleSeconds = Integer.parseInt(args[2]);
        System.out.println("IDLE-NETNS " + Files.readSymbolicLink(Path.of("/proc/self/ns/net")));
        Sample b0 = Sample.now();
        Thread.sleep(baselineSeconds * 1000L);
        print("baseline", 0, b0, Sample.now(), b0);
        for (int i = 3; i < args.length; i++) {
            Backend backend = Backend.fromId(args[i]);
            int[] states = states(backend);
            List<VpollFd> open = new ArrayList<>(fds);
            Sample before = Sample.now();
            try {
                for (int k = 0; k < fds; k++) {
                    open.add(VpollFd.create(states[k % states.length], VpollFd.Options.DEFAULT.backend(backend)));
                }
                Thread.sleep(1000); // the creations' own traffic settles
                Sample s0 = Sample.now();
                Thread.sleep(idleSeconds * 1000L);
                print(backend.id(), fds, s0, Sample.now(), before);
            } finally {
                for (VpollFd v : open) {
                    v.close();
                }
            }
        }
        System.out.println("IDLE-DONE");
    }

    private static void print(String phase, int fds, Sample a, Sample b, Sample beforeCreation) {
        double s = (b.nanos() - a.nanos()) / 1e9;
        System.out.println(String.format(Locale.ROOT,
                "IDLE phase=%s fds=%d seconds=%.1f retrans=%d winprobes=%d lo_packets=%d netrx_per_s=%.1f timer_per_s=%.1f"
                        + " tcp_inuse=%d tcp_mem_pages=%d",
                phase, fds, s, b.retrans() - a.retrans(), b.winProbes() - a.winProbes(), b.loPackets() - a.loPackets(),
                (b.netRx() - a.netRx()) / s,
                (b.timer() - a.timer()) / s, b.tcpInuse() - beforeCreation.tcpInuse(),
                b.tcpMemPages() - beforeCreation.tcpMemPages()));
    }

    static long snmp(String prefix, String field) throws IOException {
        return snmp(prefix, field, "/proc/net/snmp");
    }

    /** A counter from the two-line tables of /proc/net/snmp or netstat (a header line, then values). */
    static long snmp(String prefix, String field, String file) throws IOException {
        List<String> lines = Files.readAllLines(Path.of(file));
        for (int i = 0; i + 1 < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix) && lines.get(i + 1).startsWith(prefix)) {
                String[] names = lines.get(i).trim().split("\\s+");
                String[] values = lines.get(i + 1).trim().split("\\s+");
                for (int k = 1; k < names.length; k++) {
                    if (names[k].equals(field)) {
                        return Long.parseLong(values[k]);
                    }
                }
            }
        }
        throw new IOException(file + " has no " + prefix + " " + field);
    }

    /** The sum over CPUs of one /proc/softirqs row. */
    static long softirq(String row) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/softirqs"))) {
            String t = line.trim();
            if (t.startsWith(row)) {
                long sum = 0;
                for (String v : t.substring(row.length()).trim().split("\\s+")) {
                    sum += Long.parseLong(v);
                }
                return sum;
            }
        }
        throw new IOException("/proc/softirqs has no " + row);
    }

    /** @return {TCP sockets in use, TCP memory in pages} from /proc/net/sockstat */
    static long[] sockstat() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/net/sockstat"))) {
            if (line.startsWith("TCP:")) {
                String[] f = line.trim().split("\\s+");
                long inuse = 0;
                long mem = 0;
                for (int i = 1; i + 1 < f.length; i += 2) {
                    if (f[i].equals("inuse")) {
                        inuse = Long.parseLong(f[i + 1]);
                    } else if (f[i].equals("mem")) {
                        mem = Long.parseLong(f[i + 1]);
                    }
                }
                return new long[] {inuse, mem};
            }
        }
        throw new IOException("/proc/net/sockstat has no TCP line");
    }
}
