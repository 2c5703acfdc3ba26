#!/usr/bin/env bash
# ./run.sh bench: the same fio workloads on UML built without the product
# series (the workbench tag) and with it, in one invocation, alternating
# runs.  Kernels: configs/bench.kunitconfig (no lockdep, no gcov), built in
# build/bench-base and build/bench-patched.  Results: results/bench/ (fio
# JSON of every run), results/bench.json and bench/results.md.

BENCH_FRAGMENT=$ROOT/configs/bench.kunitconfig
# null_blk completion delay: long enough that the device dominates an I/O.
BENCH_DELAY_NS=${BENCH_DELAY_NS:-200000}

build_bench() {
	build_other_tree "$(torture_source "$1")" "$BUILD_ROOT/bench-$1" um all \
		"$BENCH_FRAGMENT"
}

# bench_boot base|patched OUTDIR SECONDS LOG - one boot running every workload.
bench_boot() {
	local which=$1 out=$2 secs=$3 log=$4
	mkdir -p "$out"
	# shellcheck disable=SC2034 # both are read by boot_kernel
	BOOT_ARCH=um BOOT_TIMEOUT=$((secs * 30 + 300))
	boot_kernel "$BUILD_ROOT/bench-$which/linux" "$log" \
		root=/dev/root rootfstype=hostfs rootflags=/ ro \
		init="$ROOT/uml/init" ktest_plan=bench/fio_bench \
		ktest_results="$out" ktest_bench_runtime="$secs" \
		null_blk.nr_devices=2 null_blk.memory_backed=1 null_blk.gb=1 \
		null_blk.irqmode=2 null_blk.completion_nsec="$BENCH_DELAY_NS" ||
		die "benchmark boot failed; log: $log"
	grep -q '^bench: done' "$log" || die "benchmark boot did not finish; log: $log"
	if grep -q '^bench: .* failed' "$log"; then
		die "a workload failed; log: $log"
	fi
}

cmd_bench() {
	local reps=${1:-3} secs=${2:-5} i which out
	[[ $reps =~ ^[0-9]+$ && $secs =~ ^[0-9]+$ ]] ||
		die "usage: ./run.sh bench [REPETITIONS] [SECONDS]"
	require fio mkfs.xfs mkfs.ext4
	check_exec_tmp
	build_bench base
	build_bench patched
	out=$RESULTS/bench
	rm -rf "$out"
	for ((i = 1; i <= reps; i++)); do
		for which in base patched; do
			step "benchmark run $i/$reps, $which kernel, ${secs}s per workload"
			bench_boot "$which" "$out/$which-$i" "$secs" "$out/$which-$i.log"
		done
	done
	mkdir -p "$ROOT/bench"
	python3 "$ROOT/scripts/bench_report.py" --runs "$out" \
		--json "$RESULTS/bench.json" --md "$ROOT/bench/results.md" \
		--delay-ns "$BENCH_DELAY_NS" --seconds "$secs" \
		--version "$(head -n 1 "$VERSION_FILE")" \
		--base "$(git -C "$LINUX" rev-parse --short workbench)" \
		--patched "$(git -C "$LINUX" rev-parse --short HEAD)"
}
