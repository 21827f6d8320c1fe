#!/bin/sh
# A clean configure and a build at -j16 from an empty directory: every
# generated file (vmlinux.h, BPF objects, skeletons) must be ordered by real
# dependencies, not by the luck of a -j2 schedule.
# Usage: clean-parallel.sh SOURCE_DIR WORK_DIR
set -eu
src=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
if ! cmake -S "$src" -B "$work" >"$work.log" 2>&1 ||
	! cmake --build "$work" -j16 >>"$work.log" 2>&1; then
	tail -n 30 "$work.log"
	echo "FAIL: clean configure + cmake --build -j16"
	exit 1
fi
for f in finrst tools/bench/finrst-floor gen/finrst.skel.h gen/floor.skel.h; do
	[ -e "$work/$f" ] || { echo "FAIL: $f was not built"; exit 1; }
done
rm -rf "$work" "$work.log"
echo "PASS: clean configure + cmake --build -j16"
