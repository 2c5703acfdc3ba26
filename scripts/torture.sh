#!/usr/bin/env bash
# locktorture (torture_type=rwsem_lock) on x86_64 under QEMU with
# $QEMU_SMP CPUs: the kernel without the product series (the workbench
# tag, built from a git worktree) against the kernel with it, alternating
# runs of the same length.  Results: bench/locktorture.md (committed) and
# results/locktorture/*.log.

TORTURE_FRAGMENT=$ROOT/configs/torture.kunitconfig
TORTURE_PARAMS="locktorture.torture_type=rwsem_lock locktorture.nwriters_stress=4 \
locktorture.nreaders_stress=4 locktorture.stat_interval=0 locktorture.stutter=0"

# torture_source base|patched - the source tree of that kernel.
torture_source() {
	local src=$BUILD_ROOT/torture-base-src
	if [[ $1 == patched ]]; then
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

build_torture() {
	build_other_tree "$(torture_source "$1")" "$BUILD_ROOT/torture-$1" \
		x86_64 bzImage "$TORTURE_FRAGMENT" "$ROOT/configs/smp.kunitconfig"
}

# torture_run base|patched SECONDS LOG - one bounded locktorture boot.
# The guest powers off when the test ends, which QEMU without ACPI power
# management turns into a halt, so stop QEMU once the kernel says so.
torture_run() {
	local which=$1 secs=$2 log=$3 pid deadline
	# No root device: rootwait keeps init waiting while locktorture runs,
	# and its shutdown_secs powers the machine off.
	launch_cmd x86_64 "$BUILD_ROOT/torture-$which/arch/x86/boot/bzImage" \
		kunit.enable=0 root=/dev/vda rootwait "$TORTURE_PARAMS" \
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
	out=$RESULTS/locktorture
	rm -rf "$out"
	mkdir -p "$out"
	for ((i = 1; i <= reps; i++)); do
		for which in base patched; do
			log=$out/$which-$i.log
			step "locktorture run $i/$reps, $which kernel, ${secs}s"
			torture_run "$which" "$secs" "$log"
			totals=$(torture_totals "$log")
			note "writes reads failures verdict: $totals"
			echo "$which $i $totals" >>"$out/totals.txt"
		done
	done
	md=$ROOT/bench/locktorture.md
	mkdir -p "$ROOT/bench"
	write_torture_report "$secs" "$reps" "$out/totals.txt" >"$md"
	note "wrote ${md#"$ROOT"/}"
	# Columns: kernel run writes reads failures verdict.
	awk '$5 != 0 || $6 != "SUCCESS" { bad = 1 } END { exit bad }' "$out/totals.txt" ||
		die "a run failed or did not end in SUCCESS: $out"
}

write_torture_report() {
	local secs=$1 reps=$2 totals=$3
	cat <<EOT
# locktorture, rwsem_lock: base vs patched

Measured $(date -u +%Y-%m-%d) with \`./run.sh locktorture $secs $reps\`: x86_64
under QEMU ($(qemu_accel), $QEMU_SMP CPUs) on a $(nproc)-core host, Linux
$(head -n 1 "$VERSION_FILE"), configs \`torture\` and \`smp\` (no lockdep).  base = the \`workbench\` tag (no product patches), patched = the
whole series.  Runs alternate base/patched; each lasts $secs s.

Parameters: \`$TORTURE_PARAMS\`

| kernel | run | writes | reads | failures | verdict |
|---|---|---|---|---|---|
$(awk '{ printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }' "$totals")

| kernel | median writes | median reads |
|---|---|---|
$(for k in base patched; do
	printf '| %s | %s | %s |\n' "$k" \
		"$(awk -v k="$k" '$1 == k { print $3 }' "$totals" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')" \
		"$(awk -v k="$k" '$1 == k { print $4 }' "$totals" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')"
done)

The product series adds functions to rwsem.c and macros to lockdep.h but
changes no code on the paths locktorture drives (down_read, up_read,
down_write, up_write), so the two kernels can differ by noise only.  Under
TCG with 4 vCPUs on $(nproc) host cores, vCPU scheduling dominates: compare
the spread between runs of the same kernel with the difference of medians
before reading anything into it.  Every run must end in SUCCESS with no
failures (run.sh fails otherwise).
EOT
}
