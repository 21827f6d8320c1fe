#!/bin/sh
# What finrst needs, taken away one at a time (issue 7; SPEC §3: "missing
# privileges, no BTF, no usable hook: a one-line error saying what is
# missing and how to get it, exit status 1"). Each failing case must exit
# 1 with nothing on stdout and exactly one line on stderr that names what
# is missing and the remedy:
#   - capabilities: root with none (setpriv, empty bounding set), root
#     without CAP_PERFMON, and the unprivileged uid nobody: "missing
#     CAP_..." and how to get them;
#   - a non-root user holding CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN
#     (ambient): the tracepoint backend reads the syscall tracepoints' ids
#     in tracefs, which only root may read (mode 0700): named, with the
#     remedy; where the host lets nobody read tracefs, or auto picks
#     another backend, finrst must start instead;
#   - BTF, in a private mount namespace: /sys/kernel/btf hidden under an
#     empty tmpfs, then /sys/kernel/btf/vmlinux replaced by an empty file:
#     CONFIG_DEBUG_INFO_BTF=y named;
#   - tracefs, in a private mount namespace: /sys/kernel/tracing and
#     /sys/kernel/debug hidden under empty tmpfs: with --hooks=tracepoint,
#     and with auto where auto picks tracepoint on this host, "tracefs is
#     not mounted" and the mount command; then the remedy applied (tracefs
#     mounted again, in the same private namespace) must make it start.
#
# Usage: tests/ops/missing.sh --finrst PATH
# Exit 0 pass, 1 fail, 77 skipped (not root, or setpriv/unshare missing).
set -eu

name=ops.missing
finrst=""
# shellcheck source-path=SCRIPTDIR source=../lib/finrst.sh
. "$(dirname "$0")/../lib/finrst.sh"
fr_args "--finrst" "$@"
fr_init ip:iproute2 setpriv:util-linux unshare:util-linux mount:mount
fr_netns

# nobody must be able to run the binary: a copy in a directory it may
# enter, whatever the permissions of the build tree
chmod 755 "$work"
mkdir -m 755 "$work/bin"
cp "$finrst" "$work/bin/finrst"
chmod 755 "$work/bin/finrst"
f=$work/bin/finrst
nobody="--reuid=65534 --regid=65534 --clear-groups"
caps3="+bpf,+perfmon,+net_admin"

# run TAG CMD...: CMD with its stdout, stderr and exit status in
# $work/TAG.{out,err}, $st. "in_mountns SCRIPT CMD...": CMD in a private
# mount namespace, after SCRIPT (sh) has changed the mounts there; the
# host's mounts stay as they are.
run() {
	tag=$1
	shift
	if [ "$1" = in_mountns ]; then
		script=$2
		shift 2
		set -- unshare -m --propagation private \
			sh -c "set -e; $script; exec \"\$@\"" sh "$@"
	fi
	st=0
	timeout 30 "$@" </dev/null >"$work/$tag.out" 2>"$work/$tag.err" || st=$?
}

# expect1 TAG NEEDLE1 NEEDLE2 -- CMD...: exit 1, no stdout, one stderr
# line "finrst: ..." holding both needles
expect1() {
	tag=$1 n1=$2 n2=$3
	shift 4
	run "$tag" "$@"
	lines=$(wc -l <"$work/$tag.err")
	if [ $st -ne 1 ]; then
		fail "$tag: exit status $st, expected 1; stderr:"
		show "$work/$tag.err"
	elif [ -s "$work/$tag.out" ]; then
		fail "$tag: $(wc -c <"$work/$tag.out") bytes on stdout, expected none"
	elif [ "$lines" -ne 1 ]; then
		fail "$tag: $lines lines on stderr, expected one:"
		show "$work/$tag.err"
	elif ! grep -q '^finrst: ' "$work/$tag.err" ||
		! grep -qF -- "$n1" "$work/$tag.err" ||
		! grep -qF -- "$n2" "$work/$tag.err"; then
		fail "$tag: the line does not say '$n1' and '$n2':"
		show "$work/$tag.err"
	else
		ok "$tag -> 1: $(cat "$work/$tag.err")"
	fi
}

# expect0 TAG HOOKS -- CMD...: finrst starts (ready hooks=HOOKS), exits 0
# by itself (-d) with its exit line
expect0() {
	tag=$1 hooks=$2
	shift 3
	run "$tag" "$@"
	if [ $st -ne 0 ] ||
		! grep -q "^finrst: ready hooks=$hooks\$" "$work/$tag.err" ||
		! grep -q '^finrst: records=[0-9]* lost=0 ' "$work/$tag.err"; then
		fail "$tag: exit status $st, expected 0 with 'finrst: ready hooks=$hooks' and an exit line; stderr:"
		show "$work/$tag.err"
	else
		ok "$tag -> 0: $(paste -sd ' ' "$work/$tag.err")"
	fi
}

# what this host gives with everything in place: the backend auto picks
run auto "$f" -d 1 --netns "$ino"
[ $st = 0 ] || { show "$work/auto.err"; die "finrst does not start with everything in place (status $st)"; }
auto=$(sed -n 's/^finrst: ready hooks=//p' "$work/auto.err")
echo "with everything in place, --hooks=auto picks $auto"

# --- capabilities -------------------------------------------------------------
expect1 root-without-capabilities \
	"missing CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN to load BPF programs" \
	"this process is root but lacks them" -- \
	setpriv --inh-caps=-all --bounding-set=-all -- "$f" -j -d 2 --netns "$ino"
expect1 root-without-perfmon \
	"missing CAP_PERFMON to load BPF programs" \
	"run it with CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN" -- \
	setpriv --inh-caps=-all --bounding-set=-all,+bpf,+net_admin -- \
	"$f" -j -d 2 --netns "$ino"
# shellcheck disable=SC2086 # $nobody is three options
expect1 nobody \
	"missing CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN to load BPF programs" \
	"run as root, or with CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN" -- \
	setpriv $nobody --inh-caps=-all --bounding-set=-all -- \
	"$f" -j -d 2 --netns "$ino"

# nobody with the three capabilities: tracefs is root's
idfile=/sys/kernel/tracing/events/syscalls/sys_enter_shutdown/id
[ -d /sys/kernel/debug/tracing ] &&
	idfile=/sys/kernel/debug/tracing/events/syscalls/sys_enter_shutdown/id
# shellcheck disable=SC2086 # here and below: $nobody is three options
if [ "$auto" != tracepoint ] || setpriv $nobody -- test -r "$idfile"; then
	expect0 nobody-with-capabilities "$auto" -- \
		setpriv $nobody --inh-caps=-all,$caps3 --ambient-caps=-all,$caps3 -- \
		"$f" -j -d 1 --netns "$ino"
else
	expect1 nobody-with-capabilities \
		"cannot read /sys/kernel/tracing/events/syscalls/sys_enter_shutdown/id (Permission denied)" \
		"run finrst as root (uid 0)" -- \
		setpriv $nobody --inh-caps=-all,$caps3 --ambient-caps=-all,$caps3 -- \
		"$f" -j -d 2 --netns "$ino"
fi

# --- BTF -----------------------------------------------------------------------
expect1 btf-absent \
	"kernel BTF not found at /sys/kernel/btf/vmlinux" \
	"a kernel built with CONFIG_DEBUG_INFO_BTF=y" -- \
	in_mountns "mount -t tmpfs -o size=64k,mode=755 finrst-nobtf /sys/kernel/btf" \
	"$f" -j -d 2 --netns "$ino"
: >"$work/empty"
expect1 btf-empty \
	"cannot load the kernel BTF from /sys/kernel/btf/vmlinux (empty or not valid BTF)" \
	"a kernel built with CONFIG_DEBUG_INFO_BTF=y" -- \
	in_mountns "mount --bind $work/empty /sys/kernel/btf/vmlinux" \
	"$f" -j -d 2 --netns "$ino"

# --- tracefs --------------------------------------------------------------------
hide="mount -t tmpfs -o size=64k,mode=755 finrst-notracefs /sys/kernel/tracing; mount -t tmpfs -o size=64k,mode=755 finrst-nodebugfs /sys/kernel/debug"
expect1 tracefs-absent-tracepoint \
	"tracefs is not mounted (no /sys/kernel/tracing/events)" \
	"mount it with 'mount -t tracefs nodev /sys/kernel/tracing'" -- \
	in_mountns "$hide" "$f" -j -d 2 --netns "$ino" --hooks=tracepoint
if [ "$auto" = tracepoint ]; then
	expect1 tracefs-absent-auto \
		"tracefs is not mounted (no /sys/kernel/tracing/events)" \
		"mount it with 'mount -t tracefs nodev /sys/kernel/tracing'" -- \
		in_mountns "$hide" "$f" -j -d 2 --netns "$ino"
else
	# fentry and kprobe attach without tracefs
	expect0 tracefs-absent-auto "$auto" -- \
		in_mountns "$hide" "$f" -j -d 1 --netns "$ino"
fi
# the remedy the message gives, applied: finrst starts
expect0 tracefs-remounted tracepoint -- \
	in_mountns "$hide; mount -t tracefs nodev /sys/kernel/tracing" \
	"$f" -j -d 1 --netns "$ino" --hooks=tracepoint

fr_end
