#!/usr/bin/env bash
# ./run.sh bench: the fio workloads of bench/workloads and the metadata
# latencies of bench/meta_lat.c on UML built without the product series
# (the workbench tag) and with it, in one invocation.
#
# Kernels: configs/bench.kunitconfig (no lockdep, no gcov), built in
# build/bench-base and build/bench-patched.  Each repetition makes these
# boots, each of base and then at once of patched, so that the two kernels
# of a pair run under the same host conditions:
#   - device: BENCH_DEVICE_NS, where the device dominates at every queue
#     depth: every workload, libaio and io_uring, and the metadata
#     latencies;
#   - cpu: BENCH_CPU_NS, where UML's CPU is the limit at QD 32: every
#     workload, libaio, for the CPU cost per I/O;
#   - sweep: each of BENCH_SWEEP_NS, the mixed workload alone on a fresh
#     filesystem, the same way at every delay.
# Results: results/bench/<kernel>-<rep>-<set>-<delay ns>/ (fio JSON and
# meta_lat output of every boot), results/bench.json, bench/results.md
# and bench/mixed_sweep.svg (bench/report.py).

BENCH_FRAGMENT=$ROOT/configs/bench.kunitconfig
# 20 ms: UML spends ~285 us of host CPU per I/O, so QD 32 over 20 ms
# (1600 IOPS) keeps the CPU under half busy and the queue full; at 200 us
# the CPU is the limit from QD 2 on.
BENCH_DEVICE_NS=20000000
BENCH_CPU_NS=200000
BENCH_SWEEP_NS=(200000 500000 1000000 2000000 5000000 10000000 20000000)
BENCH_WORKLOADS=aligned_qd1,aligned_qd32,unwritten_qd32,sparse_qd32,overwrite512_qd1,overwrite512_qd32,hole512_qd1,hole512_qd32,mixed_qd32,randread_qd1,randread_qd32
# Even (rename goes there and back); 100 makes p99 the second largest.
BENCH_META_SAMPLES=100
BENCH_TOOLS=$BUILD_ROOT/bench-tools

build_bench() {
	build_other_tree "$(torture_source "$1")" "$BUILD_ROOT/bench-$1" um all \
		"$BENCH_FRAGMENT"
}

build_bench_tools() {
	mkdir -p "$BENCH_TOOLS"
	gcc -Wall -Wextra -Werror -O2 -o "$BENCH_TOOLS/meta_lat" \
		"$ROOT/bench/meta_lat.c" || die "cannot build bench/meta_lat.c"
}

# bench_boot KERNEL OUTDIR DELAY_NS SECONDS WORKLOADS ENGINES META_SAMPLES
# - one boot of KERNEL (base|patched) running bench/workloads.
bench_boot() {
	local which=$1 out=$2 delay=$3 secs=$4 workloads=$5 engines=$6 meta=$7
	local log=$out.log runs
	runs=$((2 * $(count_words "$workloads") * $(count_words "$engines")))
	mkdir -p "$out"
	# shellcheck disable=SC2034 # both are read by boot_kernel
	BOOT_ARCH=um BOOT_TIMEOUT=$((runs * (secs + 10) + meta * 3 + 300))
	boot_kernel "$BUILD_ROOT/bench-$which/linux" "$log" \
		root=/dev/root rootfstype=hostfs rootflags=/ ro \
		init="$ROOT/uml/init" ktest_plan="$ROOT/bench/workloads" \
		ktest_results="$out" ktest_tools="$BENCH_TOOLS" \
		ktest_bench_runtime="$secs" ktest_bench_workloads="$workloads" \
		ktest_bench_engines="$engines" ktest_bench_meta="$meta" \
		null_blk.nr_devices=2 null_blk.memory_backed=1 null_blk.gb=1 \
		null_blk.irqmode=2 null_blk.completion_nsec="$delay" ||
		die "benchmark boot failed; log: $log"
	grep -q '^bench: done' "$log" || die "benchmark boot did not finish; log: $log"
	if grep -q '^bench: .* failed' "$log"; then
		grep '^bench: .* failed' "$log" >&2
		die "a workload failed; log: $log"
	fi
}

# count_words A,B,... - how many comma-separated words.
count_words() {
	local -a words
	IFS=, read -r -a words <<<"$1"
	echo "${#words[@]}"
}

# Boots done and to do, for the progress lines.
BENCH_BOOT=0
BENCH_BOOTS=0

bench_step() {
	BENCH_BOOT=$((BENCH_BOOT + 1))
	step "boot $BENCH_BOOT/$BENCH_BOOTS: $*"
}

# bench_pair REP SECONDS SET DELAY_NS WORKLOADS ENGINES META_SAMPLES WHAT
# - the boot of base, then of patched, for one set of one repetition.
bench_pair() {
	local rep=$1 secs=$2 set=$3 delay=$4 which
	shift 4
	for which in base patched; do
		bench_step "$which, run $rep, $set, device delay" \
			"$((delay / 1000)) us, ${*:4}"
		bench_boot "$which" "$RESULTS/bench/$which-$rep-$set-$delay" \
			"$delay" "$secs" "$1" "$2" "$3"
	done
}

bench_repetition() {
	local rep=$1 secs=$2 delay
	bench_pair "$rep" "$secs" device "$BENCH_DEVICE_NS" "$BENCH_WORKLOADS" \
		libaio,io_uring "$BENCH_META_SAMPLES" \
		"every workload, libaio and io_uring, metadata latencies"
	bench_pair "$rep" "$secs" cpu "$BENCH_CPU_NS" "$BENCH_WORKLOADS" libaio 0 \
		"every workload, libaio"
	for delay in "${BENCH_SWEEP_NS[@]}"; do
		bench_pair "$rep" "$secs" sweep "$delay" mixed_qd32 libaio 0 \
			"mixed_qd32"
	done
}

cmd_bench() {
	local reps=${1:-3} secs=${2:-3} i
	[[ $reps =~ ^[1-9][0-9]*$ && $secs =~ ^[1-9][0-9]*$ ]] ||
		die "usage: ./run.sh bench [REPETITIONS] [SECONDS]"
	require fio mkfs.xfs mkfs.ext4 gnuplot
	check_exec_tmp
	build_bench base
	build_bench patched
	build_bench_tools
	rm -rf "$RESULTS/bench"
	BENCH_BOOTS=$((reps * 2 * (2 + ${#BENCH_SWEEP_NS[@]})))
	for ((i = 1; i <= reps; i++)); do
		bench_repetition "$i" "$secs"
	done
	step "writing bench/results.md, bench/mixed_sweep.svg, results/bench.json"
	python3 "$ROOT/bench/report.py" --runs "$RESULTS/bench" \
		--json "$RESULTS/bench.json" --md "$ROOT/bench/results.md" \
		--svg "$ROOT/bench/mixed_sweep.svg" \
		--device-ns "$BENCH_DEVICE_NS" --cpu-ns "$BENCH_CPU_NS" \
		--seconds "$secs" --reps "$reps" --meta-samples "$BENCH_META_SAMPLES" \
		--version "$(head -n 1 "$VERSION_FILE")" \
		--base "$(git -C "$LINUX" rev-parse --short workbench)" \
		--patched "$(git -C "$LINUX" rev-parse --short HEAD)"
}
