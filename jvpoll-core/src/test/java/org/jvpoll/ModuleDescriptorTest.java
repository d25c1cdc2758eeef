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

/** Only the API packages are exported; backends, syscalls and the CLI stay inside the module. */
class ModuleDescriptorTest {
    @Test
    void exportsOnlyTheApi() throws IOException {
        Path info = Path.of("target", "classes", "module-info.class");
        try (InputStream in = Files.newInputStream(info)) {
            ModuleDescriptor d = ModuleDescriptor.read(in);
            assertEquals("org.jvpoll", d.name());
            Set<String> exported = d.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet());
            assertEquals(Set.of("org.jvpoll", "org.jvpoll.wait"), exported);
            assertEquals(Set.of(), d.opens());
        }
    }
}
