package org.jvpoll.nativeaccess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.jvpoll.testing.ChildProcess;

/**
 * With {@code --illegal-native-access=deny} and no {@code --enable-native-access}, every jvpoll
 * call that needs a system call fails the same clear way, naming the flag for the way jvpoll was
 * loaded: never ExceptionInInitializerError or NoClassDefFoundError.
 */
class NativeAccessDeniedTest {

    @ParameterizedTest
    @ValueSource(strings = {"class path", "module path"})
    void everyCallNamesTheFlagToAdd(String how) throws Exception {
        Path classes = Path.of("target", "classes");
        Path testClasses = Path.of("target", "test-classes");
        assertTrue(Files.isDirectory(classes) && Files.isDirectory(testClasses), "run from jvpoll-core after compiling");
        List<String> cmd = new ArrayList<>(List.of(ChildProcess.javaCommand(), "--illegal-native-access=deny"));
        if (how.equals("class path")) {
            cmd.addAll(List.of("-cp", classes + java.io.File.pathSeparator + testClasses));
        } else {
            cmd.addAll(List.of("--module-path", classes.toString(), "--add-modules", "org.jvpoll", "-cp", testClasses.toString()));
        }
        cmd.add(NativeAccessDeniedCheck.class.getName());
        String out = run(cmd);
        String flag = how.equals("class path") ? "--enable-native-access=ALL-UNNAMED" : "--enable-native-access=org.jvpoll";
        for (String call : List.of("create", "create again", "create emulation")) {
            String line = out.lines().filter(l -> l.startsWith("CALL " + call + ": ")).findFirst()
                    .orElseThrow(() -> new AssertionError("no line for " + call + ": " + out));
            assertTrue(line.startsWith("CALL " + call + ": java.lang.IllegalCallerException: jvpoll makes system calls"), line);
            assertTrue(line.contains("start java with " + flag + " "), line);
        }
        assertFalse(out.contains("ExceptionInInitializerError") || out.contains("NoClassDefFoundError"), out);
        assertTrue(out.contains("DONE"), out);
    }

    private static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        return out;
    }
}
