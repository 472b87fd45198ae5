# Shell functions of the klpm-driven e2e scenarios (sourced by busybox sh after steps.sh). The guest
# runs this checkout's klpm with the host's node in the chroot of the host's root; klpm's journal and
# lock go to a tmpfs over /var/lib (the shared root is read-only). Each command is announced in the
# kernel log (`klpm-e2e: @ <label>`) so the log can be cut per command, and leaves its stdout, stderr
# and exit code in /work/out/<label>.{out,err,rc}.
mkdir -p /work/out
mount -t tmpfs tmpfs /host/var/lib
# A checkout under /tmp is hidden in the chroot by the tmpfs init.sh mounts over /host/tmp: a plain
# (non-recursive) bind of /host shows the share without it, and the checkout is bound back from there.
if [ ! -e "/host$KLPM_BIN" ]; then
  mkdir -p /hostroot "/host$KLPM_CHECKOUT"
  mount -o bind /host /hostroot
  mount -o bind "/hostroot$KLPM_CHECKOUT" "/host$KLPM_CHECKOUT"
fi

klpm() { # label, klpm arguments...
  label=$1
  shift
  echo "klpm-e2e: @ $label" >/dev/kmsg
  chroot /host "$KLPM_NODE" "$KLPM_BIN" "$@" >"/work/out/$label.out" 2>"/work/out/$label.err"
  echo $? >"/work/out/$label.rc"
}

# The same in the background; its pid (node's: chroot execs it) is left in $klpm_pid.
klpm_background() { # label, klpm arguments...
  label=$1
  shift
  echo "klpm-e2e: @ $label" >/dev/kmsg
  chroot /host "$KLPM_NODE" "$KLPM_BIN" "$@" >"/work/out/$label.out" 2>"/work/out/$label.err" &
  klpm_pid=$!
}

wait_for() { # file, value, timeout in tenths of a second
  t=0
  while [ "$t" -lt "$3" ]; do
    [ "$(cat "$1" 2>/dev/null)" = "$2" ] && return 0
    sleep 0.1
    t=$((t + 1))
  done
  return 1
}

block() { echo "$1" >/sys/module/klpm_e2e_target/parameters/block; }
