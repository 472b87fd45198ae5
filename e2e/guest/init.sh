#!/bin/busybox sh
# /init of the e2e initramfs (busybox only). Loads the 9p modules, mounts the host's root read-only at
# /host and the run's work directory read-write at /work, gives a network card (when qemu has one:
# the fleet scenario's) its address, turns on the livepatch core's dynamic debug, runs
# /work/scenario.sh, saves the kernel log to /work/dmesg.log and powers off.
/bin/busybox --install -s /bin
export PATH=/bin
mkdir -p /proc /sys /dev /host /work /tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do insmod "/lib/e2e-modules/$m"; done </lib/e2e-modules/order
# qemu's user-mode network hands out 10.0.2.15 with 10.0.2.2 as the gateway; a static address needs
# no DHCP exchange (with restrict=on only the guestfwd addresses answer anyway).
if [ -e /sys/class/net/eth0 ]; then
  ip link set lo up
  ip link set eth0 up
  ip addr add 10.0.2.15/24 dev eth0
  ip route add default via 10.0.2.2
fi
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose hostroot /host
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 work /work
# The host's root as a chroot for node, klpm and kmod: /proc, /sys and /dev are the guest's, the work
# directory appears as /tmp/klpm-e2e (mounts over directories of the read-only share are allowed).
mount -t proc proc /host/proc
mount -t sysfs sysfs /host/sys
mount -t devtmpfs devtmpfs /host/dev
mount -t tmpfs tmpfs /host/tmp
mkdir /host/tmp/klpm-e2e
mount -o bind /work /host/tmp/klpm-e2e
# pr_debug lines of kernel/livepatch/*.c (the transition lines) are off by default.
echo 'file kernel/livepatch/* +p' >/proc/dynamic_debug/control
dmesg -c >/work/boot.log
echo "klpm-e2e: scenario start"
sh /work/scenario.sh >/work/scenario.out 2>&1
echo $? >/work/scenario.rc
dmesg >/work/dmesg.log
sync
echo "klpm-e2e: scenario done"
poweroff -f
