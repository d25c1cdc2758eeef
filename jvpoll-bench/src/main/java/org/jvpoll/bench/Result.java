package org.jvpoll.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One measured figure: {@code metric} (for example {@code ctl.add}, {@code wake.thread.p50},
 * {@code fanout}) of {@code subject} at {@code param} (N for fan-out and creation, else 0). The C
 * harness prints them as {@code RESULT<tab>metric<tab>subject<tab>param<tab>value}; the Java side
 * writes all of a run in the same form to {@code results.tsv}, which the report is made from.
 */
record Result(String metric, String subject, long param, double value) {
    static final String PREFIX = "RESULT\t";

    /** @return the line for {@code results.tsv} */
    String line() {
        return String.format(Locale.ROOT, "%s%s\t%s\t%d\t%.6g", PREFIX, metric, subject, param, value);
    }

    /** @return the result on {@code line}, or null if it is not a RESULT line (cbench also prints INFO lines) */
    static Result parse(String line) {
        if (!line.startsWith(PREFIX)) {
            return null;
        }
        String[] f = line.split("\t", -1);
        if (f.length != 5) {
            throw new IllegalArgumentException("RESULT line with " + f.length + " fields, expected 5: \"" + line + "\"");
        }
        try {
            return new Result(f[1], f[2], Long.parseLong(f[3]), Double.parseDouble(f[4]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("RESULT line with a bad number (" + e.getMessage() + "): \"" + line + "\"", e);
        }
    }

    /** Key of a figure regardless of the round it was measured in. */
    record Key(String metric, String subject, long param) {}

    /** @return the median over rounds of each figure, in first-seen order */
    static Map<Key, Double> medians(Collection<Result> results) {
        Map<Key, List<Double>> all = new LinkedHashMap<>();
        for (Result r : results) {
            all.computeIfAbsent(new Key(r.metric, r.subject, r.param), k -> new ArrayList<>()).add(r.value);
        }
        Map<Key, Double> out = new LinkedHashMap<>();
        all.forEach((k, v) -> out.put(k, median(v)));
        return out;
    }

    static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
