#!/usr/bin/env bash
# Proves the dev-vpoll backend on a real /dev/vpoll: builds Debian's vpoll-dkms module against a
# Debian 6.1 kernel, boots that kernel under qemu (software emulation), and runs jvpoll's backend
# tests inside with -Djvpoll.require.backend=dev-vpoll (a missing device fails, never skips), plus
# the interop test with a C program linked with Debian's libvpoll. Exit status: the tests' status.
#   vm/module-guest.sh            (cache: $JVPOLL_VM_CACHE, default ~/.cache/jvpoll-vm)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

step "packages (qemu, busybox, cpio, kernel headers, libvpoll)"
apt_install qemu-system-x86 busybox-static cpio gcc make libvpoll-dev
ABI=${JVPOLL_VM_ABI:-$(debian_61_abi)}
[ -n "$ABI" ] || { echo "vm: no linux-headers-6.1.0-*-amd64 in the apt archive" >&2; exit 1; }
apt_install "linux-headers-$ABI"
echo "    kernel ABI $ABI"

step "kernel image linux-image-$ABI"
deb_extract "linux-image-$ABI" "$VM_CACHE/image-$ABI"
KERNEL="$VM_CACHE/image-$ABI/boot/vmlinuz-$ABI"
MODDIR="$VM_CACHE/image-$ABI/lib/modules/$ABI/kernel"

step "vpoll module from vpoll-dkms"
deb_extract vpoll-dkms "$VM_CACHE/vpoll-dkms"
KO="$VM_CACHE/vpoll-$ABI/vpoll.ko"
if [ ! -f "$KO" ]; then
    rm -rf "$VM_CACHE/vpoll-$ABI" && cp -r "$VM_CACHE"/vpoll-dkms/usr/src/vpoll-* "$VM_CACHE/vpoll-$ABI"
    make -s -C "/usr/src/linux-headers-$ABI" M="$VM_CACHE/vpoll-$ABI" modules >/dev/null 2>&1
fi
ls -la "$KO" | sed 's/^/    /'

step "host-side build: test classes, JUnit console launcher, C peer"
JDK=$(vm_jdk)
(cd "$VM_ROOT" && JAVA_HOME="$JDK" mvn -B -q -DskipTests -pl jvpoll-core -am test-compile)
CONSOLE="$VM_OUT/junit-console.jar"
if [ ! -f "$CONSOLE" ]; then
    (cd "$VM_ROOT" && JAVA_HOME="$JDK" mvn -B -q dependency:copy \
        -Dartifact=org.junit.platform:junit-platform-console-standalone:1.11.4 \
        -DoutputDirectory="$VM_OUT" -Dmdep.stripVersion=true)
    mv "$VM_OUT/junit-platform-console-standalone.jar" "$CONSOLE"
fi
gcc -O2 -Wall -Werror -o "$VM_OUT/vpoll_peer" "$VM_ROOT/vm/interop/vpoll_peer.c" -lvpoll

step "initramfs"
INITRD_DIR="$VM_OUT/initrd-module"
rm -rf "$INITRD_DIR" && mkdir -p "$INITRD_DIR"/{bin,proc,sys,dev,host,lib/modules}
cp /bin/busybox "$INITRD_DIR/bin/"
MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p"
for m in $MODULES; do
    f=$(find "$MODDIR" -name "$m.ko" | head -n1)
    if [ -n "$f" ]; then cp "$f" "$INITRD_DIR/lib/modules/"; fi
done
cp "$KO" "$INITRD_DIR/lib/modules/vpoll.ko"
TESTS="org.jvpoll.vm.RequiredBackendTest org.jvpoll.vm.KernelFidelityTest org.jvpoll.BackendBehaviourTest org.jvpoll.VpollFacadeTest org.jvpoll.vm.LibvpollInteropTest ${JVPOLL_VM_EXTRA_TESTS:-}"
SELECT=""
for t in $TESTS; do SELECT="$SELECT --select-class $t"; done
COMMAND="$JDK/bin/java --enable-native-access=ALL-UNNAMED -XX:TieredStopAtLevel=1 -Djava.io.tmpdir=/tmp \
 -Djvpoll.require.backend=dev-vpoll -Djvpoll.vm.peer=$VM_OUT/vpoll_peer \
 -jar $CONSOLE execute --disable-banner --details=tree --disable-ansi-colors \
 --class-path jvpoll-core/target/classes:jvpoll-core/target/test-classes $SELECT"
sed -e "s|@MODULES@|$MODULES vpoll|g" -e "s|@REPO@|$VM_ROOT|g" -e "s|@COMMAND@|$COMMAND|g" \
    "$VM_ROOT/vm/guest-init.sh" > "$INITRD_DIR/init"
chmod +x "$INITRD_DIR/init"
(cd "$INITRD_DIR" && find . | cpio -o -H newc 2>/dev/null | gzip -1 > "$VM_OUT/initrd-module.gz")

step "boot $ABI under qemu (tcg) and run the tests"
LOG="$VM_OUT/module-guest.log"
boot_guest "$KERNEL" "$VM_OUT/initrd-module.gz" "$LOG"
grep -E "^VM-|tests (successful|failed|skipped|aborted)|\[X\]|✘" "$LOG" | sed 's/^/    /' || true
step_end
rc=$(sed -n 's/.*VM-RESULT rc=\([0-9]*\).*/\1/p' "$LOG" | tail -n1)
if [ "$rc" != "0" ]; then
    echo "vm: module guest tests FAILED (rc=${rc:-none}); full log: $LOG" >&2
    tail -n 60 "$LOG" >&2
    exit 1
fi
echo "vm: module guest tests passed ($LOG)"
python3 "$VM_ROOT/vm/docs.py" dev-vpoll "$LOG" "$VM_ROOT/docs/fidelity.md" ${JVPOLL_VM_WRITE_DOCS:+--write}
