#!/usr/bin/env bash
# Boot the built UML kernel and run the KUnit suites.
#
# kunit.py keeps only the last boot's log and JSON under --run_isolated, so
# we boot the kernel ourselves: one boot per suite, and one boot per case
# for suites named *_negative (they provoke lockdep and debug reports on
# purpose, which leave lockdep off for the rest of that boot).  Every
# console log is kept in results/boots/ and merged with kunit.py's parser.

RESULTS_PY=$ROOT/scripts/kunit_results.py

# QEMU for the x86_64 profile: TCG unless QEMU_ACCEL=kvm.  On the nested
# hosts we run on, /dev/kvm can be present and still fail the guest
# ("KVM internal error ... emulation failure" on a cmpxchg16b early in
# boot), which costs a whole boot timeout per boot.
QEMU_SMP=${QEMU_SMP:-4}
# More QEMU arguments for the next boot (boot_user's 9p shares).
QEMU_DEVICES=()

qemu_accel() {
	echo "${QEMU_ACCEL:-tcg}"
}

# launch_cmd ARCH KERNEL ARGS... - LAUNCH becomes the command that boots
# KERNEL in the foreground, console on stdout.
launch_cmd() {
	local arch=$1 kernel=$2
	shift 2
	case $arch in
	um) LAUNCH=("$kernel" mem=1G console=tty "$@") ;;
	x86_64)
		# panic=-1 and -no-reboot: a panic ends QEMU instead of hanging.
		LAUNCH=(qemu-system-x86_64 -nodefaults -nographic -no-reboot -m 1024
			-smp "$QEMU_SMP" -accel "$(qemu_accel)" -bios qboot.rom
			-serial stdio -kernel "$kernel"
			${QEMU_DEVICES[@]+"${QEMU_DEVICES[@]}"}
			-append "console=ttyS0 panic=-1 $*")
		;;
	*) die "no way to boot ARCH=$arch" ;;
	esac
}

# boot_kernel KERNEL LOG ARGS... - one bounded boot, console to LOG.  Under
# QEMU a boot that dies before any KTAP is printed is booted once more:
# multi-threaded TCG has oopsed at an int3 of a static-key patch in early
# boot ("Oops: int3" in sched_clock_cpu, 1 of ~36 boots), before any test
# code ran.  The first log moves to retried/, which the console scan
# skips, and the retry is announced.
boot_kernel() {
	local log=$2 kept rc=0
	boot_kernel_once "$@" || rc=$?
	# QEMU exits 0 after a panic (panic=-1, -no-reboot): look at the log.
	if [[ $BOOT_ARCH == um ]] || grep -q "KTAP version" "$log"; then
		return $rc
	fi
	kept=$(dirname "$log")/retried/$(basename "$log")
	mkdir -p "$(dirname "$kept")"
	mv "$log" "$kept"
	echo "boot died before any KTAP ($(grep -m1 -E 'Oops|BUG:|Kernel panic' "$kept" || echo 'no report')); once more; first log: $kept" >&2
	boot_kernel_once "$@"
}

boot_kernel_once() {
	local kernel=$1 log=$2 rc=0
	shift 2
	launch_cmd "$BOOT_ARCH" "$kernel" "$@"
	timeout --kill-after=10 "$BOOT_TIMEOUT" "${LAUNCH[@]}" \
		</dev/null >"$log" 2>&1 || rc=$?
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

# boot_kunit KERNEL LOG ARGS... - a boot that runs KUnit and halts.
boot_kunit() {
	local kernel=$1 log=$2
	shift 2
	# QEMU leaves on reboot (-no-reboot); UML leaves on halt.
	boot_kernel "$kernel" "$log" kunit.enable=1 \
		kunit_shutdown="$([[ $BOOT_ARCH == um ]] && echo halt || echo reboot)" "$@"
}

# Host-built programs the plans run inside UML (uml/tools/*.c).
UML_TOOLS=$BUILD_ROOT/uml-tools

build_uml_tools() {
	local src bin
	mkdir -p "$UML_TOOLS"
	for src in "$ROOT"/uml/tools/*.c; do
		[[ -f $src ]] || continue
		bin=$UML_TOOLS/$(basename "$src" .c)
		[[ $bin -nt $src && $bin -nt $ROOT/uml/tools/tool.h ]] && continue
		gcc -Wall -Wextra -Werror -O2 -o "$bin" "$src" ||
			die "cannot build ${src#"$ROOT"/}"
	done
}

# Two memory-backed null_blk disks for the plans' filesystems, 1 GiB each
# (pages are allocated as they are written), whose requests complete in
# hardirq from an hrtimer after 20 us.
NULL_BLK_ARGS=(null_blk.nr_devices=2 null_blk.memory_backed=1 null_blk.gb=1
	null_blk.irqmode=2 null_blk.completion_nsec=20000)
# A task stuck for 20 s (a leaked or never released lock) panics the boot,
# which ends UML at once instead of at BOOT_TIMEOUT.  The timeout is only a
# sysctl: as a bare parameter it went to init and the default 120 s stayed.
HUNG_TASK_ARGS=(sysctl.kernel.hung_task_timeout_secs=20 hung_task_panic=1)
# More arguments for the plans' boots (ktest_soak=SECONDS for ./run.sh soak).
PLAN_ARGS=()

# 9p over virtio for x86_64: the transport, protocol and a message size
# that keeps fio's and mkfs's large reads of the host's files few.
NINEP_OPTS=trans=virtio,version=9p2000.L,msize=262144

# user_root_args OUTDIR - set ROOT_ARGS, the kernel arguments that give a
# userspace boot the host's / read-only and OUTDIR as its results share
# (hostfs on UML; two 9p shares on x86_64, in QEMU_DEVICES), and how init
# ends the boot (UML leaves on halt, QEMU on reboot with -no-reboot).
user_root_args() {
	local out=$1
	case $BOOT_ARCH in
	um)
		ROOT_ARGS=(root=/dev/root rootfstype=hostfs rootflags=/
			ktest_results="$out")
		;;
	x86_64)
		QEMU_DEVICES=(
			-virtfs "local,path=/,mount_tag=root,security_model=none,readonly=on,multidevs=remap"
			-virtfs "local,path=$out,mount_tag=results,security_model=none,multidevs=remap")
		ROOT_ARGS=(root=root rootfstype=9p rootflags="$NINEP_OPTS"
			ktest_results=9p:results ktest_9p="$NINEP_OPTS" ktest_exit=reboot)
		;;
	esac
}

# boot_user KERNEL LOG PLAN OUTDIR - a userspace boot: uml/init runs PLAN
# with the host's / as a read-only root and OUTDIR as its only writable
# host directory.
boot_user() {
	local kernel=$1 log=$2 plan=$3 out=$4 rc=0 timeout=$BOOT_TIMEOUT
	mkdir -p "$out"
	user_root_args "$out"
	# TCG runs a plan several times slower than UML (uml_fio_fs: 3.7 min).
	[[ $BOOT_ARCH == um || $timeout -ge 900 ]] || timeout=900
	BOOT_TIMEOUT=$timeout boot_kernel "$kernel" "$log" kunit.enable=0 "${ROOT_ARGS[@]}" ro \
		init="$ROOT/uml/init" ktest_plan="$plan" \
		ktest_tools="$UML_TOOLS" "${NULL_BLK_ARGS[@]}" "${HUNG_TASK_ARGS[@]}" \
		${PLAN_ARGS[@]+"${PLAN_ARGS[@]}"} || rc=$?
	QEMU_DEVICES=()
	return $rc
}

# The suite.case lines of the built kernel, from a kunit.action=list boot.
list_tests() {
	local kernel=$1 log=$2 glob=$3
	boot_kunit "$kernel" "$log" kunit.action=list ${glob:+"kunit.filter_glob=$glob"} ||
		die "listing the suites failed"
	# A serial console ends lines with CR LF.
	tr -d '\r' <"$log" |
		sed -n 's/^\(\[[ 0-9.]*\] \)\{0,1\}\([a-z0-9_]*\.[a-z0-9_]*\)$/\2/p'
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

# profile_results PROFILE - where a profile's results go: results/ for the
# main profile, results/<profile>/ for the others (smp and rt are both
# x86_64; kasan is UML too), so that all of them can be reported together.
profile_results() {
	[[ $1 == "$MAIN_PROFILE" ]] && echo "$RESULTS" || echo "$RESULTS/$1"
}

# start_boots PROFILE - fresh boot logs for PROFILE, gcov counters zeroed.
start_boots() {
	local dir
	dir=$(build_dir "$1")
	BOOT_ARCH=$(profile_arch "$1") || exit 1
	case $BOOT_ARCH in
	um) KERNEL=$dir/linux ;;
	x86_64)
		KERNEL=$dir/arch/x86/boot/bzImage
		require qemu-system-x86_64
		;;
	*) die "profile $1: no way to boot ARCH=$BOOT_ARCH" ;;
	esac
	[[ -f $KERNEL ]] || die "no kernel at $KERNEL: run ./run.sh build $1"
	[[ $BOOT_ARCH == um ]] && check_exec_tmp
	OUT=$(profile_results "$1")
	BOOTS=$OUT/boots
	BOOT_N=0
	BOOTS_FAILED=0
	rm -rf "$BOOTS" "$OUT/kunit.ktap" "$OUT/kunit.json" "$OUT/uml"
	mkdir -p "$BOOTS"
	reset_gcov_counters "$dir"
}

# next_boot NAME - count the next boot and name its log file in LOG.
next_boot() {
	BOOT_N=$((BOOT_N + 1))
	LOG=$(printf '%s/%03d-%s.log' "$BOOTS" "$BOOT_N" "$1")
}

# boot_suites GLOB - one boot per suite, one per case of *_negative suites.
boot_suites() {
	local glob=$1 tests suites s t cases
	step "listing suites"
	tests=$(list_tests "$KERNEL" "$BOOTS/list.log" "$glob") || return 1
	[[ -n $tests ]] || return 0
	suites=$(echo "$tests" | cut -d. -f1 | uniq)
	cases=$(case_glob "$glob")
	note "$(echo "$suites" | wc -l) suites, $(echo "$tests" | wc -l) cases"
	for s in $suites; do
		if [[ $s == *_negative ]]; then
			for t in $(echo "$tests" | sed -n "s/^$s\.//p"); do
				next_boot "$s.$t"
				step "boot $BOOT_N: $s.$t (isolated)"
				boot_kunit "$KERNEL" "$LOG" "kunit.filter_glob=$s.$t" ||
					BOOTS_FAILED=1
			done
		else
			next_boot "$s"
			step "boot $BOOT_N: $s"
			boot_kunit "$KERNEL" "$LOG" "kunit.filter_glob=$s.$cases" ||
				BOOTS_FAILED=1
		fi
	done
}

# The plans an x86_64 profile boots when no GLOB names others: direct I/O
# and fio on XFS and ext4 with 4 CPUs (under TCG the rest would take too
# long for ./run.sh test).
QEMU_PLANS=${QEMU_PLANS:-uml_dio_fs uml_fio_fs}

# The userspace plans (uml/plans/<suite>) whose suite name matches GLOB;
# on x86_64 without a GLOB, those of QEMU_PLANS.
list_plans() {
	local glob=${1%%.*} p
	if [[ -z $glob && $BOOT_ARCH != um ]]; then
		echo "$QEMU_PLANS" | tr ' ' '\n'
		return
	fi
	for p in "$ROOT"/uml/plans/*; do
		[[ -f $p ]] || continue
		p=${p##*/}
		# shellcheck disable=SC2053 # GLOB is a pattern
		[[ $p == ${glob:-*} ]] && echo "$p"
	done
}

# boot_plans GLOB - one userspace boot per plan.
boot_plans() {
	local p
	# The plans run these host programs inside the guest.
	require gcc mkfs.xfs xfs_repair mkfs.ext4 e2fsck fio fsfreeze xfs_scrub
	build_uml_tools
	rm -rf "$OUT/uml"
	for p in $(list_plans "$1"); do
		next_boot "$p"
		step "boot $BOOT_N: $p (userspace)"
		boot_user "$KERNEL" "$LOG" "$p" "$OUT/uml/$p" || BOOTS_FAILED=1
	done
	[[ -d $OUT/uml ]] || return 0
	python3 "$RESULTS_PY" summary --out "$OUT/uml/summary.json" \
		--boots "$BOOTS" "$OUT/uml" || BOOTS_FAILED=1
}

# merge_boots PROFILE - results/kunit.ktap and kunit.json from every boot.
merge_boots() {
	local profile=$1
	((BOOT_N > 0)) || die "nothing matched '${2:-*}' in $KERNEL"
	step "merging results into ${OUT#"$ROOT"/}/kunit.ktap and kunit.json"
	REPORTED+=("$OUT")
	python3 "$RESULTS_PY" merge --linux "$LINUX" --profile "$profile" \
		--arch "$BOOT_ARCH" --build-dir "$(build_dir "$profile")" \
		--ktap "$OUT/kunit.ktap" --json "$OUT/kunit.json" \
		"$BOOTS"/[0-9]*.log || return 1
	return "$BOOTS_FAILED"
}

# run_suites PROFILE GLOB - KUnit suites and userspace plans matching GLOB.
run_suites() {
	start_boots "$1"
	boot_suites "$2" || return 1
	boot_plans "$2"
	merge_boots "$1" "$2"
}

# run_plans PROFILE GLOB - only the userspace plans.
run_plans() {
	start_boots "$1"
	boot_plans "$2"
	merge_boots "$1" "$2"
}

# Result directories merged by this run, reported together.
REPORTED=()

# Console scan, per-suite table, and the closing "N passed, N failed" line.
# write_kcidb DIR... - results/kcidb.json, the reported profile directories
# as a KCIDB v5 report, checked against scripts/kcidb.schema.json with
# Debian's python3-jsonschema (hence Debian's python3 first in PATH).
write_kcidb() {
	local dir args=()
	for dir in "$@"; do
		args+=(--profile-dir "$dir")
	done
	step "writing ${RESULTS#"$ROOT"/}/kcidb.json (KCIDB v5) and checking it"
	python3 "$ROOT/scripts/kcidb.py" write --results "$RESULTS" \
		--linux "$LINUX" --version-file "$VERSION_FILE" \
		--out "$RESULTS/kcidb.json" "${args[@]}" &&
		PATH=/usr/bin:$PATH python3 "$ROOT/scripts/kcidb.py" check \
			--schema "$ROOT/scripts/kcidb.schema.json" "$RESULTS/kcidb.json"
}

report_suites() {
	local rc=0 dir logs=() jsons=()
	for dir in "${REPORTED[@]}"; do
		[[ -f $dir/kunit.json ]] || continue
		jsons+=("$dir/kunit.json")
		logs+=("$dir"/boots/*.log)
	done
	if [[ ${#jsons[@]} -eq 0 ]]; then
		echo "no KUnit results: the run stopped before the suites ran (see above)" >&2
		return 1
	fi
	step "scanning console logs for kernel reports"
	python3 "$RESULTS_PY" scan "${logs[@]}" || rc=1
	write_kcidb "${REPORTED[@]}" || rc=1
	step "results"
	python3 "$RESULTS_PY" table "${jsons[@]}" || rc=1
	return $rc
}
