# Shared helpers for the qemu guests: timed steps, the artifact cache, Debian package fetches.
set -euo pipefail
VM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VM_CACHE=${JVPOLL_VM_CACHE:-$HOME/.cache/jvpoll-vm}
VM_OUT="$VM_ROOT/target/vm"
mkdir -p "$VM_CACHE" "$VM_OUT"

step_start=0
step() { # step "description": prints the step and the previous step's duration
    local now; now=$(date +%s)
    if [ "$step_start" -ne 0 ]; then echo "    ($(( now - step_start )) s)"; fi
    step_start=$now
    echo "== vm: $*"
}
step_end() { local now; now=$(date +%s); echo "    ($(( now - step_start )) s)"; step_start=0; }

# apt_install PKG...: installs the packages that are missing (CI machines start without them).
apt_install() {
    local missing=()
    for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "    installing ${missing[*]}"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

# deb_extract PKG DIR: downloads PKG's .deb into the cache (once) and unpacks it into DIR.
deb_extract() {
    local pkg=$1 dir=$2 deb
    if [ ! -d "$dir" ]; then
        deb=$(ls "$VM_CACHE"/"${pkg}"_*.deb 2>/dev/null | head -n1 || true)
        if [ -z "$deb" ]; then
            (cd "$VM_CACHE" && apt-get download "$pkg" >/dev/null 2>&1) || { apt-get update -qq >/dev/null; (cd "$VM_CACHE" && apt-get download "$pkg" >/dev/null); }
            deb=$(ls "$VM_CACHE"/"${pkg}"_*.deb | head -n1)
        fi
        mkdir -p "$dir.tmp" && dpkg-deb -x "$deb" "$dir.tmp" && mv "$dir.tmp" "$dir"
    fi
}

# The newest Debian 6.1 generic kernel ABI with both image and headers in the archive.
debian_61_abi() {
    apt-cache search --names-only '^linux-headers-6\.1\.0-[0-9]+-amd64$' 2>/dev/null \
        | sed -n 's/^linux-headers-\(6\.1\.0-[0-9]*-amd64\) .*/\1/p' | sort -V | tail -n1
}

# The JDK the guest runs (found on the host; the guest sees the host's root read-only).
vm_jdk() { "$VM_ROOT/bin/find-jdk"; }

# boot_guest KERNEL INITRD LOG: boots under software emulation; the guest powers off when done.
boot_guest() {
    local kernel=$1 initrd=$2 log=$3
    timeout "${JVPOLL_VM_TIMEOUT:-900}" qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp 2 -m 3072 \
        -nographic -no-reboot -kernel "$kernel" -initrd "$initrd" \
        -append "console=ttyS0 quiet panic=-1" \
        -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on \
        </dev/null >"$log" 2>&1 || true
}
