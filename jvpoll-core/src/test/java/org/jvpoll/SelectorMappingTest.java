package org.jvpoll;

import static java.nio.channels.SelectionKey.OP_READ;
import static java.nio.channels.SelectionKey.OP_WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.jvpoll.testing.BackendSelection;

/**
 * What a JDK Selector reports for each vpoll event, measured through {@link VpollFd#channel()},
 * checked against the documented rule on every backend this machine has, and published in
 * docs/selector.md (regenerate with {@code bin/gen-docs}).
 */
@ExtendWith(BackendSelection.class)
class SelectorMappingTest {
    static final String BEGIN = "<!-- BEGIN GENERATED: selector mapping, emulation (bin/gen-docs) -->";
    static final String END = "<!-- END GENERATED -->";
    static final String RULE_BEGIN = "<!-- BEGIN GENERATED: selector mapping rule (bin/gen-docs) -->";

    static final int[] INTERESTS = {OP_READ, OP_WRITE, OP_READ | OP_WRITE};
    static final int[] EVENTS = {Events.IN, Events.OUT, Events.PRI, Events.ERR, Events.HUP, Events.RDHUP};

    /**
     * The documented rule (the JDK's ReadWriteChannelImpl over epoll, which is asked only for
     * EPOLLIN for OP_READ and EPOLLOUT for OP_WRITE, and always reports EPOLLERR and EPOLLHUP).
     */
    static int readyOps(int mask, int interest) {
        if (interest == 0) {
            return 0; // no interest: the selector removes the fd from its epoll set
        }
        if ((mask & (Events.ERR | Events.HUP)) != 0) {
            return interest;
        }
        int ready = 0;
        if ((mask & Events.IN) != 0) {
            ready |= interest & OP_READ;
        }
        if ((mask & Events.OUT) != 0) {
            ready |= interest & OP_WRITE;
        }
        return ready;
    }

    record Row(int event, int mask, int[] ready) {}

    /** Sets each event on a fresh vpoll fd and records the selector's ready ops per interest. */
    static List<Row> measure(Backend backend) throws IOException {
        VpollFd.Options options = BackendSelection.options(backend);
        List<Row> rows = new ArrayList<>();
        try (Selector selector = Selector.open()) {
            for (int event : EVENTS) {
                if ((backend.supportedEvents() & event) == 0) {
                    continue;
                }
                // The TCP emulation raises ERR only while OUT is set, the socket pair only with HUP
                // (a reset); what comes with it is visible in the mask column.
                int base = backend == Backend.EMULATION_TCP && event == Events.ERR ? Events.OUT : 0;
                int with = backend == Backend.EMULATION && event == Events.ERR ? Events.HUP : 0;
                try (VpollFd vfd = VpollFd.create(base, options)) {
                    SelectableChannel ch = vfd.channel().configureBlocking(false);
                    SelectionKey key = ch.register(selector, 0);
                    vfd.add(event | with);
                    int mask = vfd.events();
                    int[] ready = new int[INTERESTS.length];
                    for (int i = 0; i < INTERESTS.length; i++) {
                        key.interestOps(INTERESTS[i]);
                        selector.selectedKeys().clear();
                        selector.selectNow();
                        ready[i] = selector.selectedKeys().contains(key) ? key.readyOps() : 0;
                        assertEquals(readyOps(mask, INTERESTS[i]), ready[i], backend.id() + ": " + Events.name(event)
                                + " (mask " + Events.toString(mask) + ") with interest " + ops(INTERESTS[i]));
                    }
                    rows.add(new Row(event, mask, ready));
                }
                selector.selectNow(); // flush the cancelled key
            }
        }
        return rows;
    }

    static String ops(int ops) {
        if (ops == 0) {
            return "-";
        }
        List<String> names = new ArrayList<>();
        if ((ops & OP_READ) != 0) {
            names.add("READ");
        }
        if ((ops & OP_WRITE) != 0) {
            names.add("WRITE");
        }
        return String.join("\\|", names);
    }

    static String markdown(List<Row> rows, boolean measured) {
        StringBuilder sb = new StringBuilder();
        sb.append("| vpoll event | ").append(measured ? "pending mask (poll)" : "pending mask")
          .append(" | interest READ | interest WRITE | interest READ\\|WRITE |\n");
        sb.append("|---|---|---|---|---|\n");
        for (Row r : rows) {
            sb.append("| ").append(Events.name(r.event())).append(" | ").append(Events.toString(r.mask()).replace("|", "\\|"));
            for (int ready : r.ready()) {
                sb.append(" | ").append(ops(ready));
            }
            sb.append(" |\n");
        }
        return sb.toString();
    }

    /** The rule applied to each event alone: what the kernel backends (any 28-bit mask) report. */
    static List<Row> ruleRows() {
        List<Row> rows = new ArrayList<>();
        for (int event : EVENTS) {
            int[] ready = new int[INTERESTS.length];
            for (int i = 0; i < INTERESTS.length; i++) {
                ready[i] = readyOps(event, INTERESTS[i]);
            }
            rows.add(new Row(event, event, ready));
        }
        return rows;
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void theSelectorReportsWhatTheDocumentedRuleSays(Backend backend) throws IOException {
        List<Row> rows = measure(backend);
        // IN, PRI, OUT, ERR, HUP, RDHUP; the socket-pair emulation has no PRI.
        assertTrue(rows.size() >= (backend == Backend.EMULATION ? 5 : 6), "every event of " + backend.id() + " measured");
    }

    @Test
    void docsShowTheMeasuredEmulationTableAndTheRule() throws IOException {
        String emulation = "Measured by `SelectorMappingTest` on Linux " + System.getProperty("os.version")
                + ", JDK " + Runtime.version().feature() + ", default Selector (epoll).\n\n"
                + markdown(measure(Backend.EMULATION), true);
        String rule = markdown(ruleRows(), false);
        Path doc = Path.of(System.getProperty("jvpoll.docs.dir", "../docs"), "selector.md");
        String text = Files.readString(doc);
        String updated = replaceBlock(replaceBlock(text, BEGIN, emulation, doc), RULE_BEGIN, rule, doc);
        if (Boolean.getBoolean("jvpoll.docs.write")) {
            Files.writeString(doc, updated);
            System.out.println("wrote the selector mapping tables to " + doc);
            return;
        }
        assertEquals(strip(updated), strip(text), doc + " is stale: run bin/gen-docs and commit the result");
    }

    /** Ignores the "Measured ... on Linux x" line, which names the machine. */
    static String strip(String text) {
        return text.replaceAll("Measured by `SelectorMappingTest` on [^\n]*\n", "");
    }

    static String replaceBlock(String text, String begin, String body, Path doc) {
        int b = text.indexOf(begin);
        int e = text.indexOf(END, b + 1);
        assertTrue(b >= 0 && e > b, doc + " has the block " + begin);
        return text.substring(0, b + begin.length()) + "\n" + body + text.substring(e);
    }
}
