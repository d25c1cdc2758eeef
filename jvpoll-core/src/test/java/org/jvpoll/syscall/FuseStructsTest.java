package org.jvpoll.syscall;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvpoll.testing.Skip;

/**
 * Every FUSE struct layout in {@link Fuse} against the kernel's header: a C program compiled with
 * gcc against {@code <linux/fuse.h>} prints sizeof and offsetof of each struct and named field.
 * {@code -Djvpoll.test.fuseInclude=DIR} checks a newer header instead (DIR/linux/fuse.h, for
 * example a kernel tree's include/uapi), covering the fields the installed header predates.
 */
class FuseStructsTest {
    @TempDir
    Path dir;

    @Test
    void everyStructAndFieldMatchesLinuxFuseH() throws Exception {
        Map<String, String> c = compileAndRun(cProgram());
        int headerMinor = Integer.parseInt(c.get("minor"));
        int checkedFields = 0;
        for (StructLayout s : Fuse.structs()) {
            String name = s.name().orElseThrow();
            assertEquals(c.get("size " + name), Long.toString(s.byteSize()), "sizeof(struct " + name + ")");
            for (MemoryLayout m : s.memberLayouts()) {
                if (m.name().isEmpty()) {
                    continue; // padding or unused space: covered by the struct's size
                }
                String key = name + "." + m.name().get();
                String measured = c.get("field " + key);
                if (Fuse.FIELD_SINCE_MINOR.getOrDefault(key, 0) > headerMinor) {
                    assertEquals(null, measured, key + " is not in this header");
                    continue;
                }
                long offset = s.byteOffset(groupElement(m.name().get()));
                assertEquals(offset + " " + m.byteSize(), measured, "offsetof and sizeof " + key);
                checkedFields++;
            }
        }
        assertTrue(checkedFields > 80, "checked " + checkedFields + " fields");
        System.out.println("FUSE structs: " + Fuse.structs().size() + " structs and " + checkedFields
                + " fields match <linux/fuse.h> (FUSE 7." + headerMinor + ")");
    }

    @Test
    void layoutsHaveUniqueNamesAndTheSizeConstantsFollowThem() {
        Set<String> names = new HashSet<>();
        for (StructLayout s : Fuse.structs()) {
            assertTrue(names.add(s.name().orElseThrow()), "one definition per struct: " + s.name());
            assertEquals(0, s.byteSize() % 8, s.name() + ": FUSE structs are 8-byte padded");
        }
        assertEquals(40, Fuse.IN_HEADER_SIZE);
        assertEquals(16, Fuse.OUT_HEADER_SIZE);
        assertEquals(64, Fuse.INIT_OUT_SIZE);
        assertEquals(104, Fuse.ATTR_OUT_SIZE);
        assertEquals(80, Fuse.STATFS_OUT_SIZE);
    }

    static String cProgram() {
        StringBuilder b = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n#include <linux/fuse.h>\n"
                + "int main(void) {\n    printf(\"minor\\t%d\\n\", FUSE_KERNEL_MINOR_VERSION);\n");
        for (StructLayout s : Fuse.structs()) {
            String name = s.name().orElseThrow();
            b.append("    printf(\"size ").append(name).append("\\t%zu\\n\", sizeof(struct ").append(name).append("));\n");
            for (MemoryLayout m : s.memberLayouts()) {
                if (m.name().isEmpty()) {
                    continue;
                }
                String field = m.name().get();
                int since = Fuse.FIELD_SINCE_MINOR.getOrDefault(name + "." + field, 0);
                if (since > 0) {
                    b.append("#if FUSE_KERNEL_MINOR_VERSION >= ").append(since).append('\n');
                }
                b.append("    printf(\"field ").append(name).append('.').append(field).append("\\t%zu %zu\\n\", offsetof(struct ")
                        .append(name).append(", ").append(field).append("), sizeof(((struct ").append(name)
                        .append(" *) 0)->").append(field).append("));\n");
                if (since > 0) {
                    b.append("#endif\n");
                }
            }
        }
        return b.append("    return 0;\n}\n").toString();
    }

    Map<String, String> compileAndRun(String program) throws IOException, InterruptedException {
        String include = System.getProperty("jvpoll.test.fuseInclude", "/usr/include");
        Skip.unless(Files.exists(Path.of(include, "linux", "fuse.h")),
                "no " + include + "/linux/fuse.h (linux-libc-dev)");
        Path source = dir.resolve("fuse_structs.c");
        Path binary = dir.resolve("fuse_structs");
        Files.writeString(source, program);
        Process gcc;
        try {
            gcc = new ProcessBuilder("gcc", "-Wall", "-Werror", "-idirafter", "/usr/include", "-I", include, "-o",
                    binary.toString(), source.toString())
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            throw Skip.because("gcc is not installed (run bin/install-test-deps)");
        }
        String gccOutput = new String(gcc.getInputStream().readAllBytes());
        assertTrue(gcc.waitFor(60, TimeUnit.SECONDS), "gcc finished");
        assertEquals(0, gcc.exitValue(), "gcc: " + gccOutput + "\n" + program);
        Process run = new ProcessBuilder(binary.toString()).redirectErrorStream(true).start();
        List<String> lines = new String(run.getInputStream().readAllBytes()).lines().toList();
        assertTrue(run.waitFor(10, TimeUnit.SECONDS));
        Map<String, String> values = new HashMap<>();
        for (String line : lines) {
            String[] kv = line.split("\t", 2);
            values.put(kv[0], kv[1]);
        }
        return values;
    }
}
