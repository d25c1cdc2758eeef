package org.jvpoll.bench;

import java.util.List;
import java.util.Locale;

/**
 * A grouped bar chart as a standalone SVG file: one group per figure (for example "add", "del"),
 * one bar per subject in each group, the value printed on each bar, a legend. Enough for the
 * report, with no plotting library to install.
 */
final class Svg {
    private Svg() {}

    /** Default colours per series, in order. */
    static final String[] COLOURS = {"#9e9e9e", "#4e79a7", "#59a14f", "#f28e2b", "#76b7b2", "#e15759", "#b07aa1",
            "#edc948", "#ff9da7"};

    static String groupedBars(String title, String unit, List<String> groups, List<String> series, double[][] values) {
        List<String> colours = new java.util.ArrayList<>();
        for (int i = 0; i < series.size(); i++) {
            colours.add(COLOURS[i % COLOURS.length]);
        }
        return groupedBars(title, unit, groups, series, values, colours);
    }

    /**
     * @param values {@code values[group][series]}, NaN where a series has no figure in a group
     * @param colours one fill colour per series
     */
    static String groupedBars(String title, String unit, List<String> groups, List<String> series, double[][] values,
                              List<String> colours) {
        if (colours.size() != series.size()) {
            throw new IllegalArgumentException(colours.size() + " colours for " + series.size() + " series");
        }
        if (values.length != groups.size()) {
            throw new IllegalArgumentException(values.length + " value rows for " + groups.size() + " groups");
        }
        double max = 0;
        for (double[] row : values) {
            if (row.length != series.size()) {
                throw new IllegalArgumentException(row.length + " values in a row for " + series.size() + " series");
            }
            for (double v : row) {
                if (!Double.isNaN(v)) {
                    max = Math.max(max, v);
                }
            }
        }
        max = max <= 0 ? 1 : niceCeiling(max);
        int barW = 22;
        int gap = 26;
        int left = 70;
        int top = 40;
        int plotH = 220;
        int groupW = series.size() * barW + gap;
        int legendH = 18 * series.size() + 10;
        int width = Math.max(left + groups.size() * groupW + 20, 480);
        int height = top + plotH + 40 + legendH;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\">%n", width, height, width, height));
        sb.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" font-size=\"14\" font-weight=\"bold\">%s</text>%n",
                left, escape(title)));
        for (int t = 0; t <= 4; t++) { // grid and axis labels
            double v = max * t / 4;
            double y = top + plotH - plotH * t / 4.0;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>%n",
                    left, width - 10, y, y));
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
                    left - 6, y + 4, escape(format(v))));
        }
        sb.append(String.format(Locale.ROOT, "<text x=\"12\" y=\"%d\" transform=\"rotate(-90 12 %d)\" text-anchor=\"middle\">%s</text>%n",
                top + plotH / 2, top + plotH / 2, escape(unit)));
        for (int g = 0; g < groups.size(); g++) {
            int x0 = left + g * groupW + gap / 2;
            for (int s = 0; s < series.size(); s++) {
                double v = values[g][s];
                if (Double.isNaN(v)) {
                    continue;
                }
                double h = plotH * v / max;
                double x = x0 + s * barW;
                double y = top + plotH - h;
                sb.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\">"
                        + "<title>%s, %s: %s %s</title></rect>%n", x, y, barW - 2, h, colours.get(s),
                        escape(series.get(s)), escape(groups.get(g)), escape(format(v)), escape(unit)));
                sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" text-anchor=\"start\" "
                        + "transform=\"rotate(-90 %.1f %.1f)\">%s</text>%n", x + barW / 2.0 + 3, y - 3,
                        x + barW / 2.0 + 3, y - 3, escape(format(v))));
            }
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                    x0 + series.size() * barW / 2.0, top + plotH + 16, escape(groups.get(g))));
        }
        sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"black\"/>%n",
                left, width - 10, top + plotH, top + plotH));
        for (int s = 0; s < series.size(); s++) {
            int y = top + plotH + 36 + 18 * s;
            sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\">%s</text>%n", left, y - 10, colours.get(s), left + 18, y,
                    escape(series.get(s))));
        }
        sb.append("</svg>\n");
        return sb.toString();
    }

    /** @return 1, 2 or 5 times a power of ten, at least {@code v} */
    static double niceCeiling(double v) {
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    /** @return {@code v} with three significant digits, k/M suffixes for large values */
    static String format(double v) {
        if (Math.abs(v) >= 1e6) {
            return trim(String.format(Locale.ROOT, "%.3g", v / 1e6)) + "M";
        }
        if (Math.abs(v) >= 1e4) {
            return trim(String.format(Locale.ROOT, "%.3g", v / 1e3)) + "k";
        }
        if (Math.abs(v) >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        return trim(String.format(Locale.ROOT, "%.3g", v));
    }

    private static String trim(String s) {
        return s.contains(".") && !s.contains("e") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
