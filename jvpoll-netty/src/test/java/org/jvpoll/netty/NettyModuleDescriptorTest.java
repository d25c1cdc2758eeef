package org.jvpoll.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ResolvedModule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

/** The module exports only its API package and resolves against Netty's own module names. */
class NettyModuleDescriptorTest {
    @Test
    void exportsOnlyTheApi() throws IOException {
        try (InputStream in = Files.newInputStream(Path.of("target", "classes", "module-info.class"))) {
            ModuleDescriptor d = ModuleDescriptor.read(in);
            assertEquals("org.jvpoll.netty", d.name());
            Set<String> exported = d.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet());
            assertEquals(Set.of("org.jvpoll.netty"), exported);
            assertEquals(Set.of(), d.opens());
        }
    }

    @Test
    void resolvesOnTheModulePath() {
        // The test class path as a module path: jars, and class directories that are modules.
        Path[] entries = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .map(Path::of)
                .filter(p -> p.toString().endsWith(".jar") || Files.exists(p.resolve("module-info.class")))
                .toArray(Path[]::new);
        Configuration conf = Configuration.resolve(ModuleFinder.of(entries), java.util.List.of(ModuleLayer.boot().configuration()),
                ModuleFinder.of(), Set.of("org.jvpoll.netty"));
        Set<String> names = conf.modules().stream().map(ResolvedModule::name).collect(Collectors.toSet());
        assertTrue(names.containsAll(Set.of("org.jvpoll.netty", "org.jvpoll", "io.netty.transport",
                "io.netty.transport.classes.epoll", "io.netty.transport.unix.common", "io.netty.common")), names.toString());
    }
}
