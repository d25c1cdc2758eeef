#!/usr/bin/env bash
# Proves the dev-vpoll backend on a real /dev/vpoll: builds Debian's vpoll-dkms module (with
# vm/vpoll-dkms/*.patch) against a Debian 6.1 kernel, boots that kernel under qemu (software
# emulation), and runs jvpoll's backend tests inside with -Djvpoll.require.backend=dev-vpoll (a
# missing device fails, never skips), plus the interop test with a C program linked with Debian's
# libvpoll; then, in the same boot, the emulation backend on this stock kernel (conformance column
# "emulation (6.1 guest)", behaviour suite, stress, leak cycles). Exit status: non-zero if any run failed.
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

step "vpoll module from vpoll-dkms (+ vm/vpoll-dkms/*.patch)"
vpoll_module "/usr/src/linux-headers-$ABI" "$VM_CACHE/vpoll-$ABI"

step "host-side build: test classes, JUnit console launcher, C peer"
host_build
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
cp "$VPOLL_KO" "$INITRD_DIR/lib/modules/vpoll.ko"
# One boot, three runs: the dev-vpoll backend (vpoll.ko), then the emulation on this stock 6.1 kernel.
RUNS="$VM_OUT/module-guest-runs.sh"
runs_begin "$RUNS"
runs_junit "$RUNS" dev-vpoll "-Djvpoll.require.backend=dev-vpoll -Djvpoll.test.backends=dev-vpoll -Djvpoll.vm.peer=target/vm/vpoll_peer" \
    "org.jvpoll.vm.RequiredBackendTest org.jvpoll.vm.KernelFidelityTest org.jvpoll.BackendBehaviourTest org.jvpoll.VpollFacadeTest org.jvpoll.conformance.ConformanceMatrixTest org.jvpoll.vm.LibvpollPeerTest ${JVPOLL_VM_EXTRA_TESTS:-}"
runs_junit "$RUNS" emulation-matrix "$EMULATION_PROPERTIES -Djvpoll.vm.guest=6.1" "$EMULATION_MATRIX"
runs_junit "$RUNS" emulation "$EMULATION_PROPERTIES -Djvpoll.vm.guest=6.1" "$EMULATION_TESTS"
runs_end "$RUNS"
COMMAND="/bin/sh ${RUNS#"$VM_ROOT/"}" # relative: the guest cds to the checkout first
sed -e "s|@MODULES@|$MODULES vpoll|g" -e "s|@REPO@|$VM_ROOT|g" -e "s|@COMMAND@|$COMMAND|g" \
    "$VM_ROOT/vm/guest-init.sh" > "$INITRD_DIR/init"
chmod +x "$INITRD_DIR/init"
(cd "$INITRD_DIR" && find . | cpio -o -H newc 2>/dev/null | gzip -1 > "$VM_OUT/initrd-module.gz")

step "boot $ABI under qemu (tcg) and run the tests"
LOG="$VM_OUT/module-guest.log"
boot_guest "$KERNEL" "$VM_OUT/initrd-module.gz" "$LOG"
report_runs "$LOG"
step_end
guest_results module "$LOG" dev-vpoll || { echo "vm: module guest FAILED; full log: $LOG" >&2; exit 1; }
echo "vm: module guest passed ($LOG)"
