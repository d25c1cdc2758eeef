package org.jvpoll.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.jvpoll.Backend;
import org.jvpoll.Events;
import org.jvpoll.UnsupportedEventsException;
import org.jvpoll.VpollFd;
import org.jvpoll.syscall.Poll;

/**
 * The fidelity report of {@code jvpoll info} and docs/fidelity.md. Measures a backend's fidelity live: for every named event, a fresh vpoll fd is asked to set it
 * and then to clear it, and each answer is checked against what poll(2) reports for the fd.
 */
public final class Fidelity {
    private Fidelity() {}

    /**
     * One event's result.
     *
     * @param event   the event bit
     * @param set     what setting it did: "yes", "yes, also X", or "no: why"
     * @param clear   what clearing it did, or "-" if it could not be set
     * @param faithful false if ctl's answer and poll(2) disagreed (a bug, never expected)
     */
    public record Row(int event, String set, String clear, boolean faithful) {}

    /**
     * @param backend the backend to measure (must be available)
     * @return one row per named event, in {@link Events#namedBits()} order
     * @throws IOException if a vpoll fd cannot be created or changed
     */
    public static List<Row> measure(Backend backend) throws IOException {
        List<Row> rows = new ArrayList<>();
        VpollFd.Options options = VpollFd.Options.DEFAULT.backend(backend);
        for (int event : Events.namedBits()) {
            Row row = measure(options, event, 0, 0);
            if (row.set().startsWith("no:") && (Events.OUT & backend.supportedEvents()) != 0
                    && (outOnly(options) & event) == 0) {
                // Some events need OUT pending (TCP emulation: ERR). Say so rather than just "no".
                Row withOut = measure(options, event, Events.OUT, 0);
                if (withOut.set().startsWith("yes")) {
                    row = new Row(event, withOut.set() + ", while OUT is set (refused while OUT stays clear)",
                            withOut.clear(), withOut.faithful());
                }
            }
            if (row.set().startsWith("no:") && event == Events.ERR && (Events.HUP & backend.supportedEvents()) != 0) {
                // Some events come only with HUP (socket-pair emulation: ERR is a reset).
                Row withHup = measure(options, event, 0, Events.HUP);
                if (withHup.set().startsWith("yes")) {
                    row = new Row(event, withHup.set() + ", only together with HUP (refused alone)",
                            withHup.clear(), withHup.faithful());
                }
            }
            rows.add(row);
        }
        return rows;
    }

    private static int outOnly(VpollFd.Options options) throws IOException {
        try (VpollFd vfd = VpollFd.create(Events.OUT, options)) {
            return vfd.events();
        }
    }

    /**
     * Sets {@code event} (with {@code with} in the same call) on a fresh fd that starts with
     * {@code base}, then clears {@code event}.
     */
    private static Row measure(VpollFd.Options options, int event, int base, int with) throws IOException {
        try (VpollFd vfd = VpollFd.create(base, options)) {
            int before = vfd.events();
            String clear = "-";
            boolean faithful = true;
            String set;
            try {
                int afterSet = vfd.add(event | with);
                int seen = Poll.currentEvents(vfd.fd());
                faithful &= seen == (afterSet & Poll.ALL_EVENTS);
                int extra = afterSet & ~event & ~before;
                set = (afterSet & event) == 0 ? "no: not reported"
                        : extra == 0 ? "yes" : "yes, also " + Events.toString(extra);
            } catch (UnsupportedEventsException e) {
                return new Row(event, "no: " + reason(e), clear, true);
            }
            try {
                int afterClear = vfd.delete(event);
                int seen = Poll.currentEvents(vfd.fd());
                faithful &= seen == (afterClear & Poll.ALL_EVENTS);
                clear = (afterClear & event) == 0 ? "yes" : "no: still reported";
            } catch (UnsupportedEventsException e) {
                clear = "no: " + reason(e);
            }
            return new Row(event, set, clear, faithful);
        }
    }

    private static String reason(UnsupportedEventsException e) {
        String m = e.getMessage();
        // "emulation backend cannot set PRI ..." reads "no: cannot set PRI ..." in a cell.
        String prefix = e.backend().id() + " backend ";
        if (m.startsWith(prefix)) {
            m = m.substring(prefix.length());
        }
        int bracket = m.lastIndexOf(" [");
        return bracket > 0 ? m.substring(0, bracket) : m;
    }

    private static String cell(String text) {
        return text.replace("|", "\\|");
    }

    /**
     * @param rows rows from {@link #measure(Backend)}
     * @return the rows as a Markdown table
     */
    public static String markdown(List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append("| event | value | set | clear |\n|---|---|---|---|\n");
        for (Row r : rows) {
            sb.append("| ").append(Events.name(r.event())).append(" | 0x")
              .append(Integer.toHexString(r.event())).append(" | ").append(cell(r.set())).append(" | ")
              .append(cell(r.clear())).append(r.faithful() ? "" : " (MISMATCH with poll)").append(" |\n");
        }
        return sb.toString();
    }
}
