#!/usr/bin/env bash
# Boot the built UML kernel and run the KUnit suites.
#
# kunit.py keeps only the last boot's log and JSON under --run_isolated, so
# we boot the kernel ourselves: one boot per suite, and one boot per case
# for suites named *_negative (they provoke lockdep and debug reports on
# purpose, which leave lockdep off for the rest of that boot).  Every
# console log is kept in results/boots/ and merged with kunit.py's parser.

RESULTS_PY=$ROOT/scripts/kunit_results.py

# boot_kernel KERNEL LOG ARGS... - one bounded boot, console to LOG.
boot_kernel() {
	local kernel=$1 log=$2 rc=0
	shift 2
	timeout --kill-after=10 "$BOOT_TIMEOUT" "$kernel" mem=1G console=tty \
		kunit.enable=1 kunit_shutdown=halt "$@" </dev/null >"$log" 2>&1 || rc=$?
	# UML leaves the terminal raw when it dies; restore it for the user.
	[[ -t 0 ]] && stty sane 2>/dev/null
	if [[ $rc -eq 124 || $rc -eq 137 ]]; then
		echo "boot timed out after ${BOOT_TIMEOUT}s; log: $log" >&2
	elif [[ $rc -ne 0 ]]; then
		echo "kernel exited with status $rc; log: $log" >&2
	fi
	if [[ $rc -ne 0 ]]; then
		tail -n 15 "$log" | sed 's/^/    | /' >&2
	fi
	return $rc
}

# The suite.case lines of the built kernel, from a kunit.action=list boot.
list_tests() {
	local kernel=$1 log=$2 glob=$3
	boot_kernel "$kernel" "$log" kunit.action=list ${glob:+"kunit.filter_glob=$glob"} ||
		die "listing the suites failed"
	sed -n 's/^\(\[[ 0-9.]*\] \)\{0,1\}\([a-z0-9_]*\.[a-z0-9_]*\)$/\2/p' "$log"
}

# UML maps its memory file from TMPDIR (else /dev/shm) with PROT_EXEC.
check_exec_tmp() {
	local dir=${TMPDIR:-/dev/shm} probe
	[[ -d $dir && -w $dir ]] || dir=/tmp
	probe=$(mktemp "$dir/uml-exec-XXXXXX")
	printf '#!/bin/sh\nexit 0\n' >"$probe"
	chmod +x "$probe"
	if ! "$probe" 2>/dev/null; then
		rm -f "$probe"
		die "$dir is mounted noexec; UML needs an exec-capable tmpfs." \
			"Run with TMPDIR=/some/exec/dir or: mount -o remount,exec $dir"
	fi
	rm -f "$probe"
}

reset_gcov_counters() {
	find "$1" -name '*.gcda' -delete
}

# The case part of a "suite.case" glob, applied to each suite's boot.
case_glob() {
	[[ $1 == *.* ]] && echo "${1#*.}" || echo "*"
}

run_suites() {
	local profile=$1 glob=$2 dir kernel boots n=0 failed=0 tests suites s t cases
	dir=$(build_dir "$profile")
	kernel=$dir/linux
	[[ -x $kernel ]] || die "no kernel at $kernel: run ./run.sh build $profile"
	check_exec_tmp
	boots=$RESULTS/boots
	rm -rf "$boots" "$RESULTS/kunit.ktap" "$RESULTS/kunit.json"
	mkdir -p "$boots"
	reset_gcov_counters "$dir"
	step "listing suites"
	tests=$(list_tests "$kernel" "$boots/list.log" "$glob") || return 1
	[[ -n $tests ]] || die "no KUnit case matched '${glob:-*}' in $kernel"
	suites=$(echo "$tests" | cut -d. -f1 | uniq)
	cases=$(case_glob "$glob")
	note "$(echo "$suites" | wc -l) suites, $(echo "$tests" | wc -l) cases"
	for s in $suites; do
		if [[ $s == *_negative ]]; then
			for t in $(echo "$tests" | sed -n "s/^$s\.//p"); do
				n=$((n + 1))
				step "boot $n: $s.$t (isolated)"
				boot_kernel "$kernel" "$(printf '%s/%03d-%s.%s.log' "$boots" "$n" "$s" "$t")" \
					"kunit.filter_glob=$s.$t" || failed=1
			done
		else
			n=$((n + 1))
			step "boot $n: $s"
			boot_kernel "$kernel" "$(printf '%s/%03d-%s.log' "$boots" "$n" "$s")" \
				"kunit.filter_glob=$s.$cases" || failed=1
		fi
	done
	step "merging results into ${RESULTS#"$ROOT"/}/kunit.ktap and kunit.json"
	python3 "$RESULTS_PY" merge --linux "$LINUX" --profile "$profile" --build-dir "$dir" \
		--ktap "$RESULTS/kunit.ktap" --json "$RESULTS/kunit.json" "$boots"/[0-9]*.log || return 1
	return $failed
}

# Console scan, per-suite table, and the closing "N passed, N failed" line.
report_suites() {
	local rc=0
	if [[ ! -f $RESULTS/kunit.json ]]; then
		echo "no KUnit results: the run stopped before the suites ran (see above)" >&2
		return 1
	fi
	step "scanning console logs for kernel reports"
	python3 "$RESULTS_PY" scan "$RESULTS"/boots/*.log || rc=1
	step "results"
	python3 "$RESULTS_PY" table "$RESULTS/kunit.json" || rc=1
	return $rc
}
