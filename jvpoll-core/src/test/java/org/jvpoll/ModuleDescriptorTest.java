package org.jvpoll;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

/**
 * Only the API packages are exported to everyone; internals are exported only to the project's
 * tool and benchmark modules.
 */
class ModuleDescriptorTest {
    @Test
    void exportsOnlyTheApi() throws IOException {
        Path info = Path.of("target", "classes", "module-info.class");
        try (InputStream in = Files.newInputStream(info)) {
            ModuleDescriptor d = ModuleDescriptor.read(in);
            assertEquals("org.jvpoll", d.name());
            Set<String> exported = d.exports().stream().filter(e -> !e.isQualified())
                    .map(ModuleDescriptor.Exports::source).collect(Collectors.toSet());
            assertEquals(Set.of("org.jvpoll", "org.jvpoll.wait"), exported);
            for (ModuleDescriptor.Exports e : d.exports()) {
                if (e.isQualified()) {
                    assertEquals(true, Set.of("org.jvpoll.tool", "org.jvpoll.bench").containsAll(e.targets()),
                            e + " is exported only to the project's tool and benchmarks");
                }
            }
            assertEquals(false, d.mainClass().isPresent(), "the library jar is not an executable");
            assertEquals(Set.of(), d.opens());
        }
    }
}
