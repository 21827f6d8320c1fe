#!/bin/sh
# Run one libFuzzer target on a copy of its seed corpus (the source tree is
# never written): for SECONDS seconds, or with 0 only over the seeds (the
# regression run).  Fails on any crash, leak, timeout or broken property;
# the input that did it is kept in WORKDIR/artifacts/.
# Usage: run.sh FUZZER SEEDS WORKDIR SECONDS [DICT]
set -eu

fuzzer=$1 seeds=$2 work=$3 seconds=$4 dict=${5:-}

rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
cp "$seeds"/* "$work/corpus/"

set -- -artifact_prefix="$work/artifacts/" -timeout=10 -rss_limit_mb=2048 \
	-error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1
[ -z "$dict" ] || set -- "$@" -dict="$dict"
if [ "$seconds" = 0 ]; then
	set -- "$@" -runs=0
else
	set -- "$@" -max_total_time="$seconds"
fi

# ASan's quarantine of freed blocks (256 MB by default) is what makes the
# RSS of a long run grow: a smaller one keeps it near 100 MB on a shared
# machine and still catches a use after free within ~64 MB of frees.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=64
export ASAN_OPTIONS

status=0
"$fuzzer" "$@" "$work/corpus" || status=$?
if [ $status != 0 ] || [ -n "$(ls -A "$work/artifacts")" ]; then
	echo "FAIL: $(basename "$fuzzer") exited $status; inputs kept:" >&2
	ls -l "$work/artifacts" >&2
	echo "reproduce with: $fuzzer INPUT; once fixed, add INPUT to" \
		"$seeds/ under a name that says what it broke" >&2
	# never 77: CTest would count a skip
	exit 1
fi
n=$(find "$work/corpus" -type f | wc -l)
echo "$(basename "$fuzzer"): $n inputs in the corpus after the run"
