# Shell functions the generated /work/scenario.sh calls, one per scenario step (sourced by busybox sh).
# A refused step writes "klpm-e2e: % <step>: <error text>" to the kernel log (/dev/kmsg), so it sits in
# order among the kernel's own lines, and the scenario goes on, as in `klpm simulate`. After every step,
# klp_settle waits (bounded) until no transition runs and every
# disabled patch has left /sys/kernel/livepatch, which is what the simulator assumes between steps.
KLP=/sys/kernel/livepatch

refused() { # step text, error file
  # insmod, rmmod and sh end their message with the strerror text: keep what follows the last ": ".
  echo "klpm-e2e: % $1: $(head -n 1 "$2" | sed -e 's/^.*: //')" >/dev/kmsg
}

klp_settle() { # timeout in tenths of a second
  t=0
  while [ "$t" -lt "$1" ]; do
    busy=0
    for d in "$KLP"/*/; do
      [ -d "$d" ] || continue
      if [ "$(cat "$d/transition" 2>/dev/null)" = 1 ] || [ "$(cat "$d/enabled" 2>/dev/null)" = 0 ]; then busy=1; fi
    done
    [ "$busy" = 0 ] && return 0
    sleep 0.1
    t=$((t + 1))
  done
  return 1
}

# kmod's insmod (from the host's root): busybox insmod retries a failed finit_module with init_module,
# which would run a failing module's init, and log its callbacks, twice.
step_load() { # module [params...]
  m=$1
  shift
  chroot /host /sbin/insmod "/tmp/klpm-e2e/modules/$m.ko" "$@" 2>/tmp/err || refused "load $m" /tmp/err
}
# busybox's rmmod: one delete_module(O_NONBLOCK) call, so the step shows the kernel's own errno (kmod's
# rmmod refuses by itself, without asking the kernel, when the module's refcnt is not 0).
step_unload() {
  rmmod "$1" 2>/tmp/err || refused "unload $1" /tmp/err
}
step_write() { # step text, value, file
  (echo "$2" >"$3") 2>/tmp/err || refused "$1" /tmp/err
}

klp_dump_sysfs() { # /sys/kernel/livepatch: "dir/", "file=value", a write-only file by name; then module versions
  find "$KLP" -mindepth 1 | sort | while read -r f; do
    r=${f#"$KLP"/}
    if [ -d "$f" ]; then
      echo "$r/"
    elif v=$(cat "$f" 2>/dev/null); then
      echo "$r=$v"
    else
      echo "$r"
    fi
  done
  for f in /sys/module/klpm_e2e_*/version; do
    [ -f "$f" ] && echo "$f=$(cat "$f")"
  done
}
