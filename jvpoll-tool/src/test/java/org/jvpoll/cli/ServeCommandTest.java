package org.jvpoll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvpoll.Backend;
import org.jvpoll.fuse.FuseMount;

/** Argument handling of {@code serve}. */
class ServeCommandTest {
    @TempDir
    Path dir;

    @Test
    void helpMentionsServe() throws IOException {
        String text = JvpollCommandTest.run(0, "help");
        assertTrue(text.contains("jvpoll serve [PATH]") && text.contains("/dev/vpoll"), text);
    }

    @Test
    void badServeArgumentsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JvpollCommandTest.run(2, "serve", dir.resolve("v").toString(), "--mode", "999"));
        assertTrue(e.getMessage().contains("--mode 999"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> JvpollCommandTest.run(2, "serve", dir.resolve("v").toString(), "--request-timeout", "-1"));
        assertTrue(e.getMessage().contains("--request-timeout -1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> JvpollCommandTest.run(2, "serve", "a", "b"));
        assertTrue(e.getMessage().contains("unexpected argument b"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> JvpollCommandTest.run(2, "serve", dir.resolve("missing/v").toString()));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> JvpollCommandTest.run(2, "serve", dir.resolve("v").toString(), "--mounter", "magic"));
        assertTrue(e.getMessage().contains("magic"), e.getMessage());
    }

    @Test
    void serveRefusesADirectory() {
        if (!Backend.FUSE.isAvailable()) {
            System.out.println("SKIP serve on a directory: " + Backend.FUSE.availability());
            return;
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FuseMount.mount(dir, org.jvpoll.fuse.ProcessMount.options(), line -> { }));
        assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
    }
}
