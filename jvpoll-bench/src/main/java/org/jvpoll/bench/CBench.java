package org.jvpoll.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code cbench serve} as a child process: one command at a time, so bin/bench can interleave
 * each C measurement with the matching Java one and load from elsewhere on the machine hits both
 * alike.
 */
final class CBench implements AutoCloseable {
    private final Process process;
    private final Writer commands;
    private final BufferedReader output;
    private final Path path;

    CBench(Path path) throws IOException {
        this.path = path;
        process = new ProcessBuilder(path.toString(), "serve").redirectError(ProcessBuilder.Redirect.INHERIT).start();
        commands = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.US_ASCII);
        output = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
    }

    Path path() {
        return path;
    }

    /** Lines cbench printed before its first command (INFO lines). */
    List<String> banner() throws IOException {
        List<String> lines = new ArrayList<>();
        String l = output.readLine();
        if (l == null) {
            throw new IOException(path + " serve ended at once (exit " + exitStatus() + ")");
        }
        lines.add(l);
        return lines;
    }

    /** @return the output lines of {@code command}, without the closing DONE */
    List<String> run(String command) throws IOException {
        commands.write(command + "\n");
        commands.flush();
        List<String> lines = new ArrayList<>();
        for (;;) {
            String l = output.readLine();
            if (l == null) {
                throw new IOException(path + " serve ended during \"" + command + "\" (exit " + exitStatus() + ")");
            }
            if (l.equals("DONE")) {
                return lines;
            }
            lines.add(l);
        }
    }

    private String exitStatus() {
        try {
            return process.waitFor(5, TimeUnit.SECONDS) ? Integer.toString(process.exitValue()) : "still running";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    /** Parses a {@code SAMPLES<tab>metric<tab>subject<tab>v,v,...} line. */
    static double[] samples(String line) {
        String[] f = line.split("\t", -1);
        if (f.length != 4 || !f[0].equals("SAMPLES")) {
            throw new IllegalArgumentException("expected SAMPLES<tab>metric<tab>subject<tab>values, got \"" + line + "\"");
        }
        String[] v = f[3].split(",");
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Double.parseDouble(v[i]);
        }
        return out;
    }

    @Override
    public void close() {
        try {
            commands.write("quit\n");
            commands.flush();
        } catch (IOException e) {
            // already gone
        }
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
