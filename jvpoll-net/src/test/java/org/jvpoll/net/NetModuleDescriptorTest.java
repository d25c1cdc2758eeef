package org.jvpoll.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

/** The module exports only its API package; the lwIP facades stay internal. */
class NetModuleDescriptorTest {
    @Test
    void exportsOnlyTheApi() throws IOException {
        try (InputStream in = Files.newInputStream(Path.of("target", "classes", "module-info.class"))) {
            ModuleDescriptor d = ModuleDescriptor.read(in);
            assertEquals("org.jvpoll.net", d.name());
            Set<String> exported = d.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet());
            assertEquals(Set.of("org.jvpoll.net"), exported);
            assertEquals(Set.of(), d.opens());
            assertTrue(Files.isDirectory(Path.of("target", "classes", "org", "jvpoll", "net", "lwip")), "internal package built");
            assertTrue(d.requires().stream().anyMatch(r -> r.name().equals("org.jvpoll")
                    && r.modifiers().contains(ModuleDescriptor.Requires.Modifier.TRANSITIVE)));
        }
    }
}
