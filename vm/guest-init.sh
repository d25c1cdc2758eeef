#!/bin/busybox sh
# PID 1 of a jvpoll test guest. The host substitutes the @...@ values when it packs the initramfs.
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in @MODULES@; do
    insmod /lib/modules/$m.ko || echo "VM-NOTE insmod $m failed"
done
ifconfig lo 127.0.0.1 up || echo "VM-NOTE loopback not up"
echo "VM-KERNEL $(uname -r) cpus=$(nproc)"
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 hostroot /host || echo "VM-NOTE 9p mount failed"
mount -t proc proc /host/proc; mount -t sysfs sys /host/sys; mount -t devtmpfs dev /host/dev
# The guest gets a writable /tmp and /run of its own; a checkout that lives under one of them on the
# host (a CI clone in /tmp, say) is bound back over the fresh tmpfs so the guest still sees it.
case "@REPO@" in
    /tmp/*|/run/*) mkdir -p /repo; mount -o bind "/host@REPO@" /repo || echo "VM-NOTE bind of @REPO@ failed" ;;
esac
mount -t tmpfs tmp /host/tmp; mount -t tmpfs run /host/run
case "@REPO@" in
    /tmp/*|/run/*) mkdir -p "/host@REPO@"; mount -o bind /repo "/host@REPO@" || echo "VM-NOTE rebind of @REPO@ failed" ;;
esac
ls -la /host/dev/vpoll 2>/dev/null | sed 's/^/VM-DEVICE /'
# The checkout's path may hold spaces: quoted here; @COMMAND@ names files relative to it.
chroot /host /bin/sh -c 'cd "@REPO@" && exec @COMMAND@'
echo "VM-RESULT rc=$?"
poweroff -f
