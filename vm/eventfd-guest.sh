#!/usr/bin/env bash
# Proves the eventfd backend on a kernel whose eventfd accepts EFD_VPOLL: builds Debian's
# linux-source-6.12 (tinyconfig + vm/efd-vpoll/guest.config) with jvpoll's EFD_VPOLL patch
# (vm/efd-vpoll/0001-eventfd-EFD_VPOLL.patch, written for these tests after the libvpoll ABI),
# boots it under qemu and runs the backend tests inside with -Djvpoll.require.backend=eventfd.
#   vm/eventfd-guest.sh           (cache: $JVPOLL_VM_CACHE, default ~/.cache/jvpoll-vm)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

step "packages (qemu, busybox, cpio, kernel source and build tools)"
apt_install qemu-system-x86 busybox-static cpio gcc make bc bison flex libelf-dev libssl-dev xz-utils linux-source-6.12
TARBALL=$(ls /usr/src/linux-source-6.12.tar.xz)
KEY=$(cat "$TARBALL".sha256 2>/dev/null || sha256sum "$TARBALL" | cut -c1-16)
KEY=$(printf '%s' "$KEY$(cat "$VM_ROOT"/vm/efd-vpoll/*)" | sha256sum | cut -c1-16)
SRC="$VM_CACHE/linux-6.12-efdvpoll-$KEY"
KERNEL="$SRC/arch/x86/boot/bzImage"

if [ ! -f "$KERNEL" ]; then
    step "unpack linux-source-6.12 and apply the EFD_VPOLL patch"
    rm -rf "$SRC" && mkdir -p "$SRC"
    tar -xJf "$TARBALL" -C "$SRC" --strip-components=1
    patch -d "$SRC" -p1 -s < "$VM_ROOT/vm/efd-vpoll/0001-eventfd-EFD_VPOLL.patch"
    step "configure (tinyconfig + guest.config) and build bzImage with -j$(nproc)"
    make -s -C "$SRC" ARCH=x86_64 tinyconfig >/dev/null
    "$SRC/scripts/kconfig/merge_config.sh" -m -O "$SRC" "$SRC/.config" "$VM_ROOT/vm/efd-vpoll/guest.config" >/dev/null
    make -s -C "$SRC" ARCH=x86_64 olddefconfig >/dev/null
    make -s -C "$SRC" ARCH=x86_64 -j"$(nproc)" bzImage >/dev/null
else
    step "kernel cached: $KERNEL"
fi

step "host-side build: test classes, JUnit console launcher"
JDK=$(vm_jdk)
(cd "$VM_ROOT" && JAVA_HOME="$JDK" mvn -B -q -DskipTests -pl jvpoll-core -am test-compile)
CONSOLE="$VM_OUT/junit-console.jar"
if [ ! -f "$CONSOLE" ]; then
    (cd "$VM_ROOT" && JAVA_HOME="$JDK" mvn -B -q dependency:copy \
        -Dartifact=org.junit.platform:junit-platform-console-standalone:1.11.4 \
        -DoutputDirectory="$VM_OUT" -Dmdep.stripVersion=true)
    mv "$VM_OUT/junit-platform-console-standalone.jar" "$CONSOLE"
fi

step "initramfs"
INITRD_DIR="$VM_OUT/initrd-eventfd"
rm -rf "$INITRD_DIR" && mkdir -p "$INITRD_DIR"/{bin,proc,sys,dev,host,lib/modules}
cp /bin/busybox "$INITRD_DIR/bin/"
TESTS="org.jvpoll.vm.RequiredBackendTest org.jvpoll.vm.KernelFidelityTest org.jvpoll.BackendBehaviourTest org.jvpoll.VpollFacadeTest ${JVPOLL_VM_EXTRA_TESTS:-}"
SELECT=""
for t in $TESTS; do SELECT="$SELECT --select-class $t"; done
COMMAND="$JDK/bin/java --enable-native-access=ALL-UNNAMED -XX:TieredStopAtLevel=1 -Djava.io.tmpdir=/tmp \
 -Djvpoll.require.backend=eventfd \
 -jar $CONSOLE execute --disable-banner --details=tree --disable-ansi-colors \
 --class-path jvpoll-core/target/classes:jvpoll-core/target/test-classes $SELECT"
sed -e "s|@MODULES@||g" -e "s|@REPO@|$VM_ROOT|g" -e "s|@COMMAND@|$COMMAND|g" \
    "$VM_ROOT/vm/guest-init.sh" > "$INITRD_DIR/init"
chmod +x "$INITRD_DIR/init"
(cd "$INITRD_DIR" && find . | cpio -o -H newc 2>/dev/null | gzip -1 > "$VM_OUT/initrd-eventfd.gz")

step "boot the EFD_VPOLL kernel under qemu (tcg) and run the tests"
LOG="$VM_OUT/eventfd-guest.log"
boot_guest "$KERNEL" "$VM_OUT/initrd-eventfd.gz" "$LOG"
grep -E "^VM-|tests (successful|failed|skipped|aborted)" "$LOG" | sed 's/^/    /' || true
step_end
rc=$(sed -n 's/.*VM-RESULT rc=\([0-9]*\).*/\1/p' "$LOG" | tail -n1)
if [ "$rc" != "0" ]; then
    echo "vm: eventfd guest tests FAILED (rc=${rc:-none}); full log: $LOG" >&2
    tail -n 60 "$LOG" >&2
    exit 1
fi
echo "vm: eventfd guest tests passed ($LOG)"
python3 "$VM_ROOT/vm/docs.py" eventfd "$LOG" "$VM_ROOT/docs/fidelity.md" ${JVPOLL_VM_WRITE_DOCS:+--write}
