package org.jvpoll.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvpoll.syscall.Mount;
import org.jvpoll.testing.FuseSupport;

/** Where {@link FuseMount} mounts, what it refuses, and what it leaves behind. */
class FuseMountTest {
    @TempDir
    Path dir;

    @Test
    void aRegularFileWithContentIsRefusedAndKeptIntact() throws Exception {
        FuseSupport.requireRootFuse();
        Path file = dir.resolve("notes");
        byte[] content = "keep me".getBytes();
        Files.write(file, content);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FuseMount.mount(file, ProcessMount.options(), line -> { }));
        assertTrue(e.getMessage().contains("regular file of 7 bytes") && e.getMessage().contains("hide"), e.getMessage());
        assertEquals(List.of(), FuseSupport.mountsAt(file));
        assertArrayEquals(content, Files.readAllBytes(file));
    }

    @Test
    void anEmptyFileIsMountedOverWithALineAndLeftInPlace() throws Exception {
        FuseSupport.requireRootFuse();
        Path file = Files.createFile(dir.resolve("vpoll"));
        List<String> lines = new ArrayList<>();
        try (FuseMount m = FuseMount.mount(file, ProcessMount.options(), lines::add)) {
            assertEquals(1, FuseSupport.mountsAt(m.path()).size());
            assertTrue(lines.stream().anyMatch(l -> l.contains("mounting over the existing empty file " + file)), lines.toString());
        }
        assertEquals(List.of(), FuseSupport.mountsAt(file));
        assertTrue(Files.isRegularFile(file), "a file we did not create stays");
    }

    @Test
    void aMissingDirectoryIsRefusedOrCreatedAndRemovedAgain() throws Exception {
        FuseSupport.requireRootFuse();
        Path parent = dir.resolve("run-jvpoll");
        Path file = parent.resolve("vpoll");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FuseMount.mount(file, ProcessMount.options(), line -> { }));
        assertTrue(e.getMessage().contains("directory " + parent + " does not exist"), e.getMessage());
        try (FuseMount m = FuseMount.mount(file, ProcessMount.options(), line -> { }, true)) {
            assertTrue(Files.isDirectory(parent));
            assertEquals(1, FuseSupport.mountsAt(m.path()).size());
        }
        assertFalse(Files.exists(parent), "the directory made for the mount is removed with it");
    }

    @Test
    void isClosedTellsOurOwnCloseFromAnUnmountFromOutside() throws Exception {
        FuseSupport.requireRootFuse();
        Path file = dir.resolve("vpoll");
        FuseMount m = FuseMount.mount(file, ProcessMount.options(), line -> { });
        try {
            assertFalse(m.isClosed());
            Mount.umount2(file.toString(), Mount.UMOUNT_NOFOLLOW);
            assertTrue(m.fileSystem().awaitTermination(10_000), "the daemon sees the connection end");
            assertFalse(m.isClosed(), "ended from outside, not closed by its owner");
        } finally {
            m.close();
        }
        assertTrue(m.isClosed());
        FuseMount again = FuseMount.mount(file, ProcessMount.options(), line -> { });
        again.close();
        assertTrue(again.isClosed() && again.fileSystem().isTerminated(), "close ends the daemon");
    }
}
