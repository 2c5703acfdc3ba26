#!/usr/bin/env bash
# run.sh - the workbench's one entry point.
#
# Prepares linux/ (Debian's linux-source as a git tree plus our two patch
# series), builds User-Mode Linux with ccache, runs the KUnit suites of
# kunit-tests/, scans the console for kernel reports and produces coverage.
# See README.md; "./run.sh help" lists the subcommands.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LINUX=$ROOT/linux
PATCHES=$ROOT/patches
BUILD_ROOT=$ROOT/build
RESULTS=$ROOT/results
VERSION_FILE=$ROOT/linux-source.version
SYNC_FILE=$LINUX/.git/workbench-synced
COVER_LETTER=0000-cover-letter.patch
JOBS=${JOBS:-$(nproc)}
# Wall-clock bound for one UML boot; a hang becomes a failure after this.
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}
# The configuration that serves the debug suites and coverage in one build.
MAIN_PROFILE=full
# x86_64 under QEMU with several CPUs: the SMP-only paths UML cannot run.
SMP_PROFILE=smp
# The same under PREEMPT_RT: the transfer on rwbase_rt.
RT_PROFILE=rt

# shellcheck source=scripts/common.sh
. "$ROOT/scripts/common.sh"
# shellcheck source=scripts/build.sh
. "$ROOT/scripts/build.sh"
# shellcheck source=scripts/kunit.sh
. "$ROOT/scripts/kunit.sh"
# shellcheck source=scripts/torture.sh
. "$ROOT/scripts/torture.sh"
# shellcheck source=scripts/fsmatrix.sh
. "$ROOT/scripts/fsmatrix.sh"
# shellcheck source=bench/bench.sh
. "$ROOT/bench/bench.sh"

usage() {
	cat <<EOF
usage: ./run.sh [SUBCOMMAND [ARGS]]

  (none)              the main job: prepare, build, run every suite, coverage
  test                the test command: lint, checkpatch, export --check,
                      build, every suite and plan on UML, coverage, every
                      suite on x86_64 SMP and on x86_64 PREEMPT_RT with
                      the XFS and ext4 plans (uml_dio_fs, and uml_fio_fs
                      on SMP); ends "N passed, N failed, N skipped"
  prepare             create or update linux/ from the pinned Debian source
                      and patches/ (never clobbers work in linux/)
  export [--check|--force]
                      write patches/ from linux/ (--check: only compare;
                      --force: overwrite a hand-edited patches/)
  build [PROFILE]     configure and build UML for PROFILE (default: $MAIN_PROFILE)
  kunit [PROFILE] [GLOB]
                      boot the built kernel and run the suites and userspace
                      plans, or those matching GLOB (suite or suite.case)
  uml [PROFILE] [PLAN]
                      only the userspace boots: uml/init runs each plan of
                      uml/plans (or those matching PLAN) on the host's /
  soak [--arch um|x86_64] [DURATION]
                      the fio workload plan on XFS and ext4 for DURATION
                      (default 30m: 30m, 2h, 600s) on UML, or on x86_64
                      under QEMU with \$QEMU_SMP CPUs (profile smp);
                      results/[smp/]uml/summary.json
  kasan [PLAN]        build the kasan profile and boot the userspace plans
                      (or PLAN) under KASAN; results/kasan/
  smp [GLOB]          build the x86_64 profile and run the suites and the
                      plans of \$QEMU_PLANS (default uml_dio_fs uml_fio_fs)
                      under QEMU with \$QEMU_SMP (default 4) CPUs (TCG;
                      QEMU_ACCEL=kvm for KVM)
  rt [GLOB]           the same with PREEMPT_RT (profile rt)
  locktorture [SECONDS] [REPETITIONS]
                      locktorture rwsem_lock on x86_64 SMP, kernel without
                      vs with the product series, then rwsem_transfer_lock
                      on the patched and the PREEMPT_RT kernel (default
                      60 s, 3 each); writes bench/locktorture.md
  fsmatrix [PLAN]     the plan of the filesystems the series does not
                      convert (default uml_fs_other) on UML without and
                      with the product series; the results must match;
                      writes results/fsmatrix/
  coverage            lcov/genhtml/diff-cover report of the last kunit run
  lint                shellcheck and checkpatch --strict
  bench [REPETITIONS] [SECONDS]
                      fio and metadata-operation latency on XFS and ext4,
                      UML without vs with the product series, alternating
                      (default 3 repetitions, 3 s a workload), over device
                      delays from CPU-bound to device-bound; writes
                      bench/results.md, bench/mixed_sweep.svg and
                      results/bench.json
  warmloop [FILE]     time the warm loop: touch FILE (default
                      linux/kernel/locking/rwsem.c), rebuild, run all suites
  help                this text

Profiles ($(profile_names)) are defined in configs/profiles.
EOF
}

# ---------------------------------------------------------------- prepare

pinned_version() {
	[[ -s $VERSION_FILE ]] || die "$VERSION_FILE is missing or empty"
	head -n 1 "$VERSION_FILE"
}

# linux-source-6.12 for 6.12.117-1~deb12u1
source_package() {
	local ver=$1
	echo "linux-source-$(echo "$ver" | cut -d. -f1-2)"
}

source_tarball() {
	local pkg
	pkg=$(source_package "$(pinned_version)")
	echo "/usr/src/$pkg.tar.xz"
}

check_source_package() {
	local ver pkg installed
	ver=$(pinned_version)
	pkg=$(source_package "$ver")
	installed=$(dpkg-query -W -f '${Version}' "$pkg" 2>/dev/null || true)
	[[ $installed == "$ver" && -f $(source_tarball) ]] && return 0
	{
		echo "run.sh: $pkg $ver is pinned in ${VERSION_FILE#"$ROOT"/} but ${installed:-no version} is installed."
		echo "Install it with:"
		echo "  apt-get update && apt-get install $pkg=$ver"
		echo "Versions the archive offers:"
		apt-cache madison "$pkg" 2>/dev/null | awk '{print "  " $3}' || true
	} >&2
	exit 1
}

# The version linux/ was unpacked from, read from its base commit.
tree_version() {
	git -C "$LINUX" log -1 --format=%s debian-base 2>/dev/null |
		sed -n 's/^Debian linux-source-[0-9.]* \(.*\)$/\1/p'
}

create_tree() {
	local ver=$1 tmp=$ROOT/linux.new
	rm -rf "$tmp"
	mkdir -p "$tmp"
	step "unpacking $(source_tarball) (about 1 min)"
	tar -xf "$(source_tarball)" -C "$tmp" --strip-components=1
	step "creating the base commit (about 1 min)"
	git -C "$tmp" init -q -b work
	# Debian's tarball ships no .gitignore for build products we create
	# outside the tree; keep the kernel's own and hide our symlink.
	echo "/lib/kunit-tests" >>"$tmp/.git/info/exclude"
	# -f: Debian's .gitignore ignores every top-level entry.
	git -C "$tmp" add -A -f
	GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z" \
		git -C "$tmp" commit -q --no-verify -m "Debian $(source_package "$ver") $ver"
	git -C "$tmp" tag debian-base
	mv "$tmp" "$LINUX"
}

tree_is_dirty() {
	[[ -n $(git -C "$LINUX" status --porcelain --untracked-files=no) ]]
}

# A hash of every patch file, to tell a hand-edited or pulled patches/.
patches_hash() {
	find "$PATCHES" -name '*.patch' -print0 | sort -z | xargs -0 -r cat | sha1sum | cut -d' ' -f1
}

# linux/ and patches/ agree now: remember both, so that later we can tell
# which side changed.
record_sync() {
	{
		git -C "$LINUX" rev-parse HEAD
		patches_hash
	} >"$SYNC_FILE"
}

synced_head() {
	sed -n 1p "$SYNC_FILE" 2>/dev/null || true
}

synced_patches() {
	sed -n 2p "$SYNC_FILE" 2>/dev/null || true
}

patch_files() {
	local dir=$1
	find "$dir" -maxdepth 1 -name '*.patch' ! -name "$COVER_LETTER" -printf '%f\n' | sort
}

# Apply one patch; on failure leave linux/ at the last good patch and say
# which file and path failed.
apply_patch() {
	local patch=$1 out
	if ! out=$(git -C "$LINUX" am -q --no-3way "$patch" 2>&1); then
		git -C "$LINUX" am --abort >/dev/null 2>&1 || true
		# git am's own advice (--continue, --skip) does not apply: we aborted.
		grep -E '^(error|fatal|Patch failed)' <<<"$out" | sed 's/^/  /' >&2 || true
		local where
		where=$(echo "$out" | sed -n 's/^error: \(patch failed: \|\)\([^:]*\):.*/\2/p' | head -n 1)
		die "patch ${patch#"$ROOT"/} failed to apply${where:+ at $where}." \
			"linux/ is left at the last good patch ($(git -C "$LINUX" log -1 --format='%h %s'))." \
			"Fix the patch (or refresh it from a tree where it applies) and re-run ./run.sh prepare."
	fi
	record_sync
}

apply_series() {
	local name=$1 tag=$2 f
	for f in $(patch_files "$PATCHES/$name"); do
		apply_patch "$PATCHES/$name/$f"
	done
	git -C "$LINUX" tag -f "$tag" >/dev/null
}

apply_all() {
	step "applying patches/workbench and patches/series"
	# Whatever HEAD was stays reachable (it matched patches/ or an export).
	if [[ $(git -C "$LINUX" rev-parse HEAD) != "$(git -C "$LINUX" rev-parse debian-base)" ]]; then
		git -C "$LINUX" tag -f "backup/$(date +%Y%m%d-%H%M%S)-$(git -C "$LINUX" rev-parse --short HEAD)" HEAD >/dev/null
	fi
	git -C "$LINUX" reset -q --hard debian-base
	record_sync
	git -C "$LINUX" tag -d workbench series >/dev/null 2>&1 || true
	apply_series workbench workbench
	apply_series series series
	note "linux/ is at $(git -C "$LINUX" log -1 --format='%h %s')"
}

link_suites() {
	local link=$LINUX/lib/kunit-tests
	[[ -L $link ]] || ln -sfn ../../kunit-tests "$link"
}

cmd_prepare() {
	require git tar xz dpkg-query
	check_source_package
	local ver
	ver=$(pinned_version)
	if [[ ! -d $LINUX/.git ]]; then
		[[ -e $LINUX ]] && die "linux/ exists but is not a git tree: move it away and re-run"
		create_tree "$ver"
		apply_all
	else
		check_tree_is_safe "$ver"
		if export_differs; then
			apply_all
		else
			note "linux/ matches patches/: nothing to apply"
			record_sync
		fi
	fi
	link_suites
}

# Stop before touching linux/ if it holds anything not in patches/.
check_tree_is_safe() {
	local ver=$1 have
	have=$(tree_version)
	[[ $have == "$ver" ]] || die "linux/ was made from $have but $ver is pinned." \
		"Export your work (./run.sh export, commit patches/), move linux/ away, re-run ./run.sh prepare."
	tree_is_dirty && die "linux/ has uncommitted changes:" \
		"$(git -C "$LINUX" status --short --untracked-files=no | head -n 10)" \
		"Commit them in linux/ and run ./run.sh export (or stash them), then re-run."
	if [[ $(git -C "$LINUX" rev-parse HEAD) != "$(synced_head)" ]] && export_differs; then
		die "linux/ has commits that are not exported to patches/." \
			"Run ./run.sh export and commit patches/ (or drop the commits), then re-run."
	fi
	return 0
}

# ---------------------------------------------------------------- export

# Deterministic git format-patch of one range into a directory.
format_range() {
	local range=$1 out=$2
	mkdir -p "$out"
	git -C "$LINUX" -c core.abbrev=12 -c format.signature= format-patch -q \
		--zero-commit --no-signature --no-thread --no-cover-letter \
		--no-base -o "$out" "$range" >/dev/null
}

format_all() {
	local out=$1
	git -C "$LINUX" rev-parse -q --verify workbench >/dev/null ||
		die "linux/ has no 'workbench' tag: ./run.sh prepare has not finished" \
			"(did a patch fail to apply?); fix that and re-run ./run.sh prepare"
	git -C "$LINUX" merge-base --is-ancestor workbench HEAD ||
		die "the 'workbench' tag is not an ancestor of HEAD in linux/ (rebased?):" \
			"move it to the last workbench commit: git -C linux tag -f workbench <commit>"
	format_range debian-base..workbench "$out/workbench"
	format_range workbench..HEAD "$out/series"
}

# Print what differs between a fresh export in $1 and patches/.
compare_export() {
	local fresh=$1 name f
	for name in workbench series; do
		for f in $(patch_files "$fresh/$name"); do
			if [[ ! -f $PATCHES/$name/$f ]]; then
				echo "only in linux/: patches/$name/$f"
			elif ! cmp -s "$fresh/$name/$f" "$PATCHES/$name/$f"; then
				echo "differs: patches/$name/$f"
			fi
		done
		for f in $(patch_files "$PATCHES/$name"); do
			[[ -f $fresh/$name/$f ]] || echo "only in patches/: patches/$name/$f"
		done
	done
}

export_differs() {
	local tmp diff
	# No tag: an earlier prepare stopped at a patch that failed to apply.
	git -C "$LINUX" rev-parse -q --verify series >/dev/null || return 0
	tmp=$(mktemp -d)
	format_all "$tmp"
	diff=$(compare_export "$tmp")
	rm -rf "$tmp"
	[[ -n $diff ]]
}

# Refuse to export over work that would be lost: a half-applied series,
# or patches/ edited (or pulled) since linux/ last matched it.
check_export_is_safe() {
	[[ -d $LINUX/.git/rebase-apply ]] &&
		die "a git am is in progress in linux/: finish or abort it first"
	git -C "$LINUX" rev-parse -q --verify series >/dev/null ||
		die "linux/ has no 'series' tag: the last ./run.sh prepare stopped at a patch" \
			"that failed to apply, and exporting now would drop it and the ones after it." \
			"Fix that patch in patches/ and re-run ./run.sh prepare (or use export --force)."
	[[ $(patches_hash) == "$(synced_patches)" ]] ||
		die "patches/ changed since linux/ last matched it (edited by hand or pulled)." \
			"Run ./run.sh prepare to apply it, or ./run.sh export --force to overwrite it."
}

copy_export() {
	local fresh=$1 name f
	for name in workbench series; do
		mkdir -p "$PATCHES/$name"
		for f in $(patch_files "$PATCHES/$name"); do
			rm -f "$PATCHES/$name/$f"
		done
		for f in $(patch_files "$fresh/$name"); do
			cp "$fresh/$name/$f" "$PATCHES/$name/$f"
		done
	done
}

cmd_export() {
	local mode=${1:-} tmp diff
	[[ -d $LINUX/.git ]] || die "no linux/ tree: run ./run.sh prepare first"
	tmp=$(mktemp -d)
	format_all "$tmp"
	diff=$(compare_export "$tmp")
	if [[ $mode == --check ]]; then
		rm -rf "$tmp"
		if [[ -n $diff ]]; then
			echo "$diff"
			die "patches/ is out of sync with linux/: run ./run.sh export"
		fi
		note "patches/ is in sync with linux/"
		return 0
	fi
	if [[ -z $diff ]]; then
		rm -rf "$tmp"
		record_sync
		note "patches/ was already in sync"
		return 0
	fi
	[[ $mode == --force ]] || check_export_is_safe
	tree_is_dirty && note "warning: uncommitted changes in linux/ are not exported"
	copy_export "$tmp"
	rm -rf "$tmp"
	record_sync
	echo "$diff"
	note "exported; commit patches/ to keep it"
}

# ---------------------------------------------------------------- build

cmd_build() {
	local profile=${1:-$MAIN_PROFILE}
	require make gcc ccache flex bison bc python3
	[[ -d $LINUX/.git ]] || die "no linux/ tree: run ./run.sh prepare first"
	link_suites
	build_profile "$profile"
}

# ---------------------------------------------------------------- kunit

# profile_and_glob [PROFILE] [GLOB] - set PROFILE and GLOB; a first word
# that is no profile is the glob.
profile_and_glob() {
	PROFILE=$MAIN_PROFILE
	if [[ $# -gt 0 ]] && is_profile "$1"; then
		PROFILE=$1
		shift
	fi
	GLOB=${1:-}
}

cmd_kunit() {
	local rc=0
	profile_and_glob "$@"
	run_suites "$PROFILE" "$GLOB" || rc=1
	report_suites || rc=1
	return $rc
}

cmd_uml() {
	local rc=0
	profile_and_glob "$@"
	run_plans "$PROFILE" "$GLOB" || rc=1
	report_suites || rc=1
	return $rc
}

# seconds_of 30m|2h|90s|600 - a duration in seconds.
seconds_of() {
	local d=$1
	case $d in
	*h) echo $((${d%h} * 3600)) ;;
	*m) echo $((${d%m} * 60)) ;;
	*s) echo "${d%s}" ;;
	*) echo "$d" ;;
	esac
}

# soak_profile um|x86_64 - the profile a soak on that architecture boots.
soak_profile() {
	case $1 in
	um) echo "$MAIN_PROFILE" ;;
	x86_64) echo "$SMP_PROFILE" ;;
	*) die "soak: --arch is um or x86_64, not '$1'" ;;
	esac
}

# The fio workload plan repeated for DURATION: on UML (the main profile),
# or with --arch x86_64 on the smp profile under QEMU with $QEMU_SMP CPUs.
cmd_soak() {
	local arch=um profile duration secs rc=0
	if [[ ${1:-} == --arch ]]; then
		arch=${2:-}
		shift 2 || die "soak: --arch needs um or x86_64"
	fi
	profile=$(soak_profile "$arch") || exit 1
	duration=${1:-30m}
	[[ $duration =~ ^[0-9]+[hms]?$ ]] || die "soak: DURATION is like 30m, 2h or 600s"
	secs=$(seconds_of "$duration")
	cmd_build "$profile"
	# The extra cases and two mkfs runs come on top of the fio matrix,
	# slower under QEMU's TCG.
	BOOT_TIMEOUT=$((secs + 900))
	[[ $arch == um ]] || BOOT_TIMEOUT=$((secs + 2700))
	PLAN_ARGS=("ktest_soak=$((secs / 2))")
	step "soak: uml_fio_fs for $duration on $arch (half on XFS, half on ext4)"
	run_plans "$profile" uml_fio_fs || rc=1
	report_suites || rc=1
	return $rc
}

# The userspace plans (or those matching GLOB) on the kasan profile, in
# results/kasan/; a KASAN report in any console fails the run.  The KUnit
# suites under KASAN are ./run.sh kunit kasan.
cmd_kasan() {
	local rc=0
	cmd_build kasan
	run_plans kasan "${1:-}" || rc=1
	report_suites || rc=1
	return $rc
}

# ---------------------------------------------------------------- coverage

cmd_coverage() {
	require lcov genhtml diff-cover
	"$ROOT/coverage/report.sh" "$(build_dir "$MAIN_PROFILE")" "$LINUX" "$RESULTS/coverage"
}

# ---------------------------------------------------------------- lint

# checkpatch runs scripts/spdxcheck.py, which needs Debian's python3-ply and
# python3-git: put Debian's python3 first even if another one is on PATH.
checkpatch() {
	(cd "$LINUX" && PATH=/usr/bin:$PATH scripts/checkpatch.pl --strict -q --no-summary "$@")
}

checkpatch_all() {
	local p failed=0
	step "checkpatch.pl --strict on every patch, kunit-tests/, uml/tools/ and bench/"
	# The workbench's test-only files (kernel/locking/rwsem_kunit.h) need
	# no MAINTAINERS entry of their own: kernel/locking/ covers them.
	for p in "$PATCHES"/workbench/*.patch; do
		[[ -f $p ]] || continue
		if ! checkpatch --ignore FILE_PATH_CHANGES "$p"; then
			echo "checkpatch: ${p#"$ROOT"/}" >&2
			failed=1
		fi
	done
	for p in "$PATCHES"/series/*.patch; do
		[[ -f $p && ${p##*/} != "$COVER_LETTER" ]] || continue
		if ! checkpatch "$p"; then
			echo "checkpatch: ${p#"$ROOT"/}" >&2
			failed=1
		fi
	done
	if ! checkpatch -f --ignore FILE_PATH_CHANGES "$ROOT"/kunit-tests/*.[ch]; then
		echo "checkpatch: kunit-tests/" >&2
		failed=1
	fi
	local tools=()
	for p in "$ROOT"/uml/tools/*.[ch]; do
		[[ $p == */regstate_check.c ]] || tools+=("$p")
	done
	if ! checkpatch -f --ignore FILE_PATH_CHANGES "${tools[@]}" "$ROOT"/bench/*.c; then
		echo "checkpatch: uml/tools/ or bench/" >&2
		failed=1
	fi
	# regstate_check builds its register loads and stores from X-macros
	# (R16(LD_Z) and so on), lists of asm strings that checkpatch takes
	# for expressions wanting parentheses.
	if ! checkpatch -f --ignore FILE_PATH_CHANGES,COMPLEX_MACRO,MACRO_ARG_REUSE \
		"$ROOT"/uml/tools/regstate_check.c; then
		echo "checkpatch: uml/tools/regstate_check.c" >&2
		failed=1
	fi
	return $failed
}

shellcheck_all() {
	require shellcheck
	step "shellcheck"
	(cd "$ROOT" && shellcheck -x run.sh scripts/*.sh bench/*.sh coverage/*.sh .ci/run &&
		shellcheck -x -s sh uml/init uml/lib.sh uml/plans/* bench/workloads) ||
		die "shellcheck found problems (above)"
}

cmd_lint() {
	[[ -d $LINUX/.git ]] || die "checkpatch comes with linux/: run ./run.sh prepare first"
	shellcheck_all
	checkpatch_all || die "checkpatch found problems (above)"
}

# ---------------------------------------------------------------- jobs

# Build the main profile, run every suite, report coverage and results.
build_run_report() {
	local rc=0
	cmd_build "$MAIN_PROFILE"
	run_suites "$MAIN_PROFILE" "" || rc=1
	cmd_coverage || rc=1
	cmd_build "$SMP_PROFILE"
	run_suites "$SMP_PROFILE" "" || rc=1
	cmd_build "$RT_PROFILE"
	# uml_fio_fs takes about 4 min under TCG: on RT only the DIO plan.
	QEMU_PLANS=uml_dio_fs run_suites "$RT_PROFILE" "" || rc=1
	report_suites || rc=1
	return $rc
}

# build_and_run PROFILE [GLOB] - build if needed, boot, report.
build_and_run() {
	local rc=0
	cmd_build "$1"
	run_suites "$1" "${2:-}" || rc=1
	report_suites || rc=1
	return $rc
}

cmd_main() {
	cmd_prepare
	build_run_report
}

cmd_test() {
	shellcheck_all
	step "KCIDB writer self-test"
	PATH=/usr/bin:$PATH python3 "$ROOT/scripts/kcidb_selftest.py" ||
		die "the KCIDB writer's self-test failed (above)"
	cmd_prepare
	checkpatch_all || die "checkpatch found problems (above)"
	cmd_export --check
	build_run_report
}

cmd_warmloop() {
	local target=${1:-$LINUX/kernel/locking/rwsem.c} t0 t1
	[[ -f $(build_dir "$MAIN_PROFILE")/linux ]] || die "build once first: ./run.sh build"
	touch "$target"
	t0=$(date +%s.%N)
	build_profile "$MAIN_PROFILE"
	run_suites "$MAIN_PROFILE" "" || true
	t1=$(date +%s.%N)
	printf 'warm loop (touch %s, rebuild, run all suites): %.1f s\n' \
		"${target#"$ROOT"/}" "$(echo "$t1 - $t0" | bc)"
}

main() {
	local cmd=${1:-main}
	[[ $# -gt 0 ]] && shift
	case $cmd in
	main) cmd_main ;;
	test) cmd_test ;;
	prepare) cmd_prepare ;;
	export) cmd_export "$@" ;;
	build) cmd_build "$@" ;;
	kunit) cmd_kunit "$@" ;;
	uml) cmd_uml "$@" ;;
	soak) cmd_soak "$@" ;;
	kasan) cmd_kasan "$@" ;;
	smp) build_and_run "$SMP_PROFILE" "$@" ;;
	rt) build_and_run "$RT_PROFILE" "$@" ;;
	locktorture) cmd_locktorture "$@" ;;
	fsmatrix) cmd_fsmatrix "$@" ;;
	coverage) cmd_coverage ;;
	lint) cmd_lint ;;
	bench) cmd_bench "$@" ;;
	warmloop) cmd_warmloop "$@" ;;
	help | -h | --help) usage ;;
	*)
		usage >&2
		exit 2
		;;
	esac
}

main "$@"
