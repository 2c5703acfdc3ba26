#!/usr/bin/env bash
# locktorture on x86_64 under QEMU with $QEMU_SMP CPUs.
#  - torture_type=rwsem_lock: the kernel without the product series (the
#    workbench tag, built from a git worktree) against the kernel with it,
#    alternating runs of the same length;
#  - torture_type=rwsem_transfer_lock, which exists only with the series:
#    read holds released from hardirq (hrtimer, IPI) on the patched kernel
#    and on a PREEMPT_RT one with lockdep.
# Results: bench/locktorture.md (committed) and results/locktorture/*.log.

TORTURE_FRAGMENT=$ROOT/configs/torture.kunitconfig
TORTURE_COMMON="locktorture.nwriters_stress=4 locktorture.nreaders_stress=4 \
locktorture.stat_interval=0 locktorture.stutter=0"

# torture_source base|patched - the source tree of that kernel.
torture_source() {
	local src=$BUILD_ROOT/torture-base-src
	if [[ $1 != base ]]; then
		echo "$LINUX"
		return
	fi
	if [[ ! -d $src ]]; then
		git -C "$LINUX" worktree add -q --detach "$src" workbench ||
			die "cannot check out the workbench tag into $src"
	fi
	git -C "$src" checkout -q --detach workbench
	echo "$src"
}

# build_torture base|patched|rt - rt is the patched tree with PREEMPT_RT
# and the debug fragment (lockdep), for correctness, not for throughput.
build_torture() {
	local frags=("$TORTURE_FRAGMENT" "$ROOT/configs/smp.kunitconfig")
	[[ $1 == rt ]] && frags+=("$ROOT/configs/debug.kunitconfig" "$ROOT/configs/rt.kunitconfig")
	build_other_tree "$(torture_source "$1")" "$BUILD_ROOT/torture-$1" \
		x86_64 bzImage "${frags[@]}"
}

# torture_run base|patched|rt TYPE SECONDS LOG - one bounded locktorture boot.
# The guest powers off when the test ends, which QEMU without ACPI power
# management turns into a halt, so stop QEMU once the kernel says so.
torture_run() {
	local which=$1 type=$2 secs=$3 log=$4 pid deadline
	# No root device: rootwait keeps init waiting while locktorture runs,
	# and its shutdown_secs powers the machine off.
	launch_cmd x86_64 "$BUILD_ROOT/torture-$which/arch/x86/boot/bzImage" \
		kunit.enable=0 root=/dev/vda rootwait \
		"locktorture.torture_type=$type $TORTURE_COMMON" \
		"locktorture.shutdown_secs=$secs"
	"${LAUNCH[@]}" </dev/null >"$log" 2>&1 &
	pid=$!
	deadline=$((SECONDS + secs + 120))
	until grep -q 'reboot: Power down' "$log"; do
		if ! kill -0 "$pid" 2>/dev/null || ((SECONDS > deadline)); then
			kill "$pid" 2>/dev/null || true
			die "locktorture boot did not finish; log: $log"
		fi
		sleep 1
	done
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# torture_totals LOG - "writes reads failures verdict" from the final stats.
torture_totals() {
	awk 'function fails(  m) { return match($0, /Fail: [0-9]+/) ? substr($0, RSTART + 6, RLENGTH - 6) : 1 }
	     /Writes:  Total:/ { w = $3; f += fails() }
	     /Reads :  Total:/ { r = $4; f += fails() }
	     /End of test:/ { v = $0; sub(/.*End of test: /, "", v); sub(/[: ].*/, "", v) }
	     END { print w + 0, r + 0, f + 0, (v ? v : "NONE") }' "$1"
}

cmd_locktorture() {
	local secs=${1:-60} reps=${2:-3} which i log out md totals
	[[ $secs =~ ^[0-9]+$ && $reps =~ ^[0-9]+$ ]] ||
		die "usage: ./run.sh locktorture [SECONDS] [REPETITIONS]"
	require qemu-system-x86_64
	build_torture base
	build_torture patched
	build_torture rt
	out=$RESULTS/locktorture
	rm -rf "$out"
	mkdir -p "$out"
	for ((i = 1; i <= reps; i++)); do
		for which in base patched; do
			torture_one "$which" rwsem_lock "$secs" "$i" "$reps" "$out/totals.txt"
		done
	done
	for ((i = 1; i <= reps; i++)); do
		for which in patched rt; do
			torture_one "$which" rwsem_transfer_lock "$secs" "$i" "$reps" \
				"$out/transfer.txt"
		done
	done
	md=$ROOT/bench/locktorture.md
	mkdir -p "$ROOT/bench"
	write_torture_report "$secs" "$reps" "$out/totals.txt" "$out/transfer.txt" >"$md"
	note "wrote ${md#"$ROOT"/}"
	# Columns: kernel run writes reads failures verdict.
	cat "$out/totals.txt" "$out/transfer.txt" |
		awk '$5 != 0 || $6 != "SUCCESS" { bad = 1 } END { exit bad }' ||
		die "a run failed or did not end in SUCCESS: $out"
}

# torture_one KERNEL TYPE SECONDS RUN REPS TOTALS - one run, one line.
torture_one() {
	local which=$1 type=$2 secs=$3 i=$4 reps=$5 totals=$6 log
	log=$RESULTS/locktorture/$type-$which-$i.log
	step "locktorture $type run $i/$reps, $which kernel, ${secs}s"
	torture_run "$which" "$type" "$secs" "$log"
	if grep -qE 'WARNING:|BUG:|inconsistent lock state|possible circular|Invalid wait context|possible recursive' "$log"; then
		note "kernel report in $log"
		echo "$which $i $(torture_totals "$log" | awk '{ $3 += 1; print }')" >>"$totals"
		return
	fi
	note "writes reads failures verdict: $(torture_totals "$log")"
	echo "$which $i $(torture_totals "$log")" >>"$totals"
}

# torture_table TOTALS - the per-run table and the medians of TOTALS.
torture_table() {
	local totals=$1 k
	echo "| kernel | run | writes | reads | failures | verdict |"
	echo "|---|---|---|---|---|---|"
	awk '{ printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }' "$totals"
	echo
	echo "| kernel | median writes | median reads |"
	echo "|---|---|---|"
	for k in $(awk '{ print $1 }' "$totals" | uniq | sort -u); do
		printf '| %s | %s | %s |\n' "$k" \
			"$(awk -v k="$k" '$1 == k { print $3 }' "$totals" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')" \
			"$(awk -v k="$k" '$1 == k { print $4 }' "$totals" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')"
	done
}

write_torture_report() {
	local secs=$1 reps=$2 totals=$3 transfer=$4
	cat <<EOT
# locktorture: rwsem_lock base vs patched, and rwsem_transfer_lock

Measured $(date -u +%Y-%m-%d) with \`./run.sh locktorture $secs $reps\`: x86_64
under QEMU ($(qemu_accel), $QEMU_SMP CPUs) on a $(nproc)-core host, Linux
$(head -n 1 "$VERSION_FILE").  Each run lasts $secs s.  Common parameters:
\`$TORTURE_COMMON\`

## rwsem_lock, base vs patched

Configs \`torture\` and \`smp\` (no lockdep).  base = the \`workbench\` tag (no
product patches), patched = the whole series.  Runs alternate base/patched.

$(torture_table "$totals")

The series changes no code on the paths rwsem_lock drives (down_read,
up_read, down_write, up_write), so the two kernels can differ by noise
only.  Under
TCG with 4 vCPUs on $(nproc) host cores, vCPU scheduling dominates: compare
the spread between runs of the same kernel with the difference of medians
before reading anything into it.

## rwsem_transfer_lock (exists only with the series)

Readers transfer their read hold (\`rwsem_transfer_read()\`) and have it
released in hardirq, alternately by a hard hrtimer pinned to their CPU and by
an IPI to the next CPU; writers contend as in rwsem_lock.  A release that
finds a writer holding the lock counts a failure.  patched = configs
\`torture\` and \`smp\`; rt = the same plus \`debug\` (lockdep, DEBUG_ATOMIC_SLEEP)
and \`rt\` (PREEMPT_RT).  A WARNING, BUG, lockdep or might_sleep report in a
log counts as one more failure.  Reads are low because each reader waits for its
previous release before it locks again.

$(torture_table "$transfer")

Every run must end in SUCCESS with no failures (run.sh fails otherwise).
EOT
}
