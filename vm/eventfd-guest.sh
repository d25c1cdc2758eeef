#!/usr/bin/env bash
# Proves the eventfd backend on a kernel whose eventfd accepts EFD_VPOLL: builds Debian's
# linux-source-6.12 (tinyconfig + vm/efd-vpoll/guest.config) with jvpoll's EFD_VPOLL patch
# (vm/efd-vpoll/0001-eventfd-EFD_VPOLL.patch, written for these tests after the libvpoll ABI),
# and Debian's vpoll-dkms module against that tree (with vm/vpoll-dkms/*.patch), boots it under
# qemu and, in one boot, runs: the backend tests with -Djvpoll.require.backend=eventfd; the same
# with dev-vpoll (vpoll.ko, column "dev-vpoll (6.12 guest)"); the emulation backend (column
# "emulation (6.12 guest)", behaviour suite, stress, leak cycles); and ManyEmulatedFdsTest (100,000
# emulated fds in one process, figures for docs/benchmarks.md); issue 15's batches on eventfd fds
# (VpollBatchTest's property test and close canary, through io_uring and with jvpoll.batch.uring=false)
# and the batched eventfd fan-out against cbench's c-eventfd (org.jvpoll.bench.GuestBatch, figures
# for docs/benchmarks.md via vm/batchdocs.py). Non-zero exit if any run failed.
#   vm/eventfd-guest.sh           (cache: $JVPOLL_VM_CACHE, default ~/.cache/jvpoll-vm)
#   JVPOLL_VM_BATCH_MILLIS=1000 JVPOLL_VM_BATCH_ROUNDS=5 vm/eventfd-guest.sh   a longer batch measurement
#   (default 500 ms x 3 rounds, about three minutes of guest time)
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
    for opt in $(grep -o '^CONFIG_[A-Z0-9_]*=y' "$VM_ROOT/vm/efd-vpoll/guest.config"); do
        grep -qx "$opt" "$SRC/.config" || { echo "vm: $opt did not survive olddefconfig" >&2; exit 1; }
    done
    # bzImage, and 'modules' for Module.symvers: the tree then builds the vpoll module (M=...).
    make -s -C "$SRC" ARCH=x86_64 -j"$(nproc)" bzImage modules >/dev/null
else
    step "kernel cached: $KERNEL"
fi

step "vpoll module from vpoll-dkms (+ vm/vpoll-dkms/*.patch) against this tree"
vpoll_module "$SRC" "$VM_CACHE/vpoll-6.12-efdvpoll-$KEY"

step "host-side build: test classes, JUnit console launcher"
host_build
step "host-side build: jvpoll-bench and cbench (the batched eventfd fan-out)"
(cd "$VM_ROOT" && { JAVA_HOME="$JDK" mvn -B -q -o -DskipTests -pl jvpoll-bench -am package >/dev/null 2>&1 \
    || JAVA_HOME="$JDK" mvn -B -q -DskipTests -pl jvpoll-bench -am package; })
gcc -O2 -Wall -Wextra -Werror -o "$VM_ROOT/jvpoll-bench/target/cbench" "$VM_ROOT/jvpoll-bench/src/main/c/cbench.c" -lvpoll -lpthread
BENCH_CP="jvpoll-bench/target/classes:$(cat "$VM_ROOT/jvpoll-bench/target/runtime-classpath.txt")"

step "initramfs"
INITRD_DIR="$VM_OUT/initrd-eventfd"
rm -rf "$INITRD_DIR" && mkdir -p "$INITRD_DIR"/{bin,proc,sys,dev,host,lib/modules}
cp /bin/busybox "$INITRD_DIR/bin/"
cp "$VPOLL_KO" "$INITRD_DIR/lib/modules/vpoll.ko"
KERNEL_TESTS="org.jvpoll.vm.RequiredBackendTest org.jvpoll.vm.KernelFidelityTest org.jvpoll.BackendBehaviourTest org.jvpoll.VpollFacadeTest org.jvpoll.conformance.ConformanceMatrixTest"
RUNS="$VM_OUT/eventfd-guest-runs.sh"
runs_begin "$RUNS"
runs_junit "$RUNS" eventfd "-Djvpoll.require.backend=eventfd -Djvpoll.test.backends=eventfd" "$KERNEL_TESTS ${JVPOLL_VM_EXTRA_TESTS:-}"
# Issue 15: batches on eventfd fds, through io_uring (the property test compares them with the forced
# one-call-per-change path and with ctl), then with io_uring forced off for every batch (-D...=false).
BATCH_TESTS="org.jvpoll.VpollBatchTest#batchResultsEqualOneCtlPerChange(org.jvpoll.Backend) \
org.jvpoll.VpollBatchTest#batchRacingCloseNeverReachesARecycledNumber(org.jvpoll.Backend)"
runs_junit "$RUNS" eventfd-batch "-Djvpoll.require.backend=eventfd -Djvpoll.test.backends=eventfd" "$BATCH_TESTS"
# The property test already compares both paths in one run; with io_uring forced off, the close canary
# (its batches follow the property) runs again.
runs_junit "$RUNS" eventfd-batch-sequential "-Djvpoll.require.backend=eventfd -Djvpoll.test.backends=eventfd \
    -Djvpoll.batch.uring=false" "org.jvpoll.VpollBatchTest#batchRacingCloseNeverReachesARecycledNumber(org.jvpoll.Backend)"
cat >> "$RUNS" <<RUN
run 'batch-bench' sh -c 'ulimit -n 65536 && exec "\$0" "\$@"' $JDK/bin/java --enable-native-access=ALL-UNNAMED \
    -XX:TieredStopAtLevel=1 -Djava.io.tmpdir=/tmp -cp '$BENCH_CP' org.jvpoll.bench.GuestBatch \
    --cbench jvpoll-bench/target/cbench --millis ${JVPOLL_VM_BATCH_MILLIS:-500} --rounds ${JVPOLL_VM_BATCH_ROUNDS:-3}
RUN
# eventfd comes first in automatic selection, so this run forces dev-vpoll (-Djvpoll.backend). No
# LibvpollPeerTest here: on a kernel with EFD_VPOLL, Debian's libvpoll creates eventfd vpoll fds
# and its vpoll_ctl writes to the fd (the eventfd protocol), which a /dev/vpoll fd refuses; the
# interop test runs in the 6.1 guest, where libvpoll falls back to /dev/vpoll.
runs_junit "$RUNS" dev-vpoll "-Djvpoll.require.backend=dev-vpoll -Djvpoll.test.backends=dev-vpoll -Djvpoll.backend=dev-vpoll \
    -Djvpoll.vm.guest=6.12" "$KERNEL_TESTS org.jvpoll.VpollBatchTest#batchResultsEqualOneCtlPerChange(org.jvpoll.Backend)"
runs_junit "$RUNS" emulation-matrix "$EMULATION_PROPERTIES -Djvpoll.vm.guest=6.12" "$EMULATION_MATRIX"
runs_junit "$RUNS" emulation "$EMULATION_PROPERTIES -Djvpoll.vm.guest=6.12" "$EMULATION_TESTS"
runs_junit "$RUNS" many-fds "$EMULATION_PROPERTIES" \
    "org.jvpoll.vm.ManyEmulatedFdsTest" 400000
runs_end "$RUNS"
COMMAND="/bin/sh ${RUNS#"$VM_ROOT/"}" # relative: the guest cds to the checkout first
sed -e "s|@MODULES@|vpoll|g" -e "s|@REPO@|$VM_ROOT|g" -e "s|@COMMAND@|$COMMAND|g" \
    "$VM_ROOT/vm/guest-init.sh" > "$INITRD_DIR/init"
chmod +x "$INITRD_DIR/init"
(cd "$INITRD_DIR" && find . | cpio -o -H newc 2>/dev/null | gzip -1 > "$VM_OUT/initrd-eventfd.gz")

step "boot the EFD_VPOLL kernel under qemu (tcg) and run the tests"
LOG="$VM_OUT/eventfd-guest.log"
boot_guest "$KERNEL" "$VM_OUT/initrd-eventfd.gz" "$LOG"
report_runs "$LOG"
step_end
guest_results eventfd "$LOG" eventfd || { echo "vm: eventfd guest FAILED; full log: $LOG" >&2; exit 1; }
echo "vm: eventfd guest passed ($LOG)"
