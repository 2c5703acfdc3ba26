#!/usr/bin/env bash
# ./run.sh fsmatrix [PLAN]: a userspace plan (default uml_fs_other, the
# iomap users the series does not convert) on UML without the product
# series and with it, in one invocation; the per-case results must match.
#  - base: the workbench tag (a git worktree, shared with torture and
#    bench), configured from the fragments of the full profile minus
#    coverage, in build/fsmatrix-base;
#  - patched: the full profile's kernel (build/full), rebuilt if needed.
# Results: results/fsmatrix/<kernel>.log (console), <kernel>.cases (one
# "case status" line each: pass, fail or skip), <kernel>/ (the plan's
# RESULTS) and diff.txt when the two differ.

FSMATRIX_BASE=$BUILD_ROOT/fsmatrix-base

# fsmatrix_fragments - the fragments of the main profile but coverage, as
# files; the base tree has no lib/kunit-tests link (link_suites makes it in
# linux/ only), so its copy of base drops CONFIG_KUNIT_WORKBENCH, which
# kunit.py config would refuse to lose.
fsmatrix_fragments() {
	local frag frags
	frags=$(profile_fragments "$MAIN_PROFILE") || exit 1
	mkdir -p "$FSMATRIX_BASE"
	for frag in $frags; do
		case $frag in
		coverage) ;;
		base)
			grep -v '^CONFIG_KUNIT_WORKBENCH=' "$ROOT/configs/base.kunitconfig" \
				>"$FSMATRIX_BASE/base.kunitconfig"
			echo "$FSMATRIX_BASE/base.kunitconfig"
			;;
		*) echo "$ROOT/configs/$frag.kunitconfig" ;;
		esac
	done
}

# fsmatrix_cases LOG - "case status" for every case line of the boot's
# suite (pass, fail, skip), in order.
fsmatrix_cases() {
	tr -d '\r' <"$1" |
		sed -n -E 's/^(\[[ 0-9.]*\] )?    (ok|not ok) [0-9]+ ([A-Za-z0-9_]+)( # SKIP.*)?$/\3 \2\4/p' |
		sed -E 's/ ok # SKIP.*$/ skip/; s/ not ok$/ fail/; s/ ok$/ pass/'
}

# fsmatrix_planned LOG - the case count the plan announced.
fsmatrix_planned() {
	tr -d '\r' <"$1" | sed -n -E 's/^    1\.\.([0-9]+)$/\1/p' | head -n 1
}

fsmatrix_tally() {
	awk '{ n[$2]++ } END { printf "%d passed, %d failed, %d skipped", n["pass"], n["fail"], n["skip"] }' "$1"
}

cmd_fsmatrix() {
	local plan=${1:-uml_fs_other} out=$RESULTS/fsmatrix rc=0 k kernel planned got
	local list src frags=()
	[[ -f $ROOT/uml/plans/$plan ]] || die "fsmatrix: no plan uml/plans/$plan"
	require make gcc ccache flex bison bc python3 git
	[[ -d $LINUX/.git ]] || die "no linux/ tree: run ./run.sh prepare first"
	link_suites
	build_profile "$MAIN_PROFILE"
	list=$(fsmatrix_fragments) || exit 1
	mapfile -t frags <<<"$list"
	# Not inside the call: a die in torture_source must stop here, or
	# build_other_tree would build the patched tree as the base.
	src=$(torture_source base) || exit 1
	build_other_tree "$src" "$FSMATRIX_BASE" um all "${frags[@]}"
	build_uml_tools
	# shellcheck disable=SC2034 # read by boot_kernel
	BOOT_ARCH=um
	check_exec_tmp
	rm -rf "$out"
	mkdir -p "$out"
	for k in base patched; do
		if [[ $k == base ]]; then
			kernel=$FSMATRIX_BASE/linux
		else
			kernel=$(build_dir "$MAIN_PROFILE")/linux
		fi
		step "fsmatrix: $plan on $k (${kernel#"$ROOT"/})"
		boot_user "$kernel" "$out/$k.log" "$plan" "$out/$k" || rc=1
		fsmatrix_cases "$out/$k.log" >"$out/$k.cases"
		planned=$(fsmatrix_planned "$out/$k.log")
		got=$(wc -l <"$out/$k.cases")
		note "$k: $(fsmatrix_tally "$out/$k.cases") ($got of ${planned:-?} cases)"
		if [[ -z $planned || $got -ne $planned ]]; then
			echo "fsmatrix: $k reported $got cases, the plan announced ${planned:-none}" >&2
			rc=1
		fi
	done
	step "scanning both console logs for kernel reports"
	python3 "$RESULTS_PY" scan "$out/base.log" "$out/patched.log" || rc=1
	if diff -u "$out/base.cases" "$out/patched.cases" >"$out/diff.txt"; then
		rm -f "$out/diff.txt"
		note "base and patched agree on all $(wc -l <"$out/base.cases") cases"
	else
		echo "fsmatrix: base and patched differ (${out#"$ROOT"/}/diff.txt):" >&2
		grep '^[-+][a-z]' "$out/diff.txt" | sed 's/^/    /' >&2
		rc=1
	fi
	grep -q " fail$" "$out/base.cases" "$out/patched.cases" && rc=1
	# .ci/run installs every filesystem's tools: a case skipped for a
	# missing one compares nothing.
	if grep -h "is not installed" "$out/base.log" "$out/patched.log" | sort -u | grep .; then
		echo "fsmatrix: filesystem tools are missing (above); install them" >&2
		rc=1
	fi
	return $rc
}
