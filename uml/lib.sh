# Helpers for uml/plans: KTAP output and kernel-log markers.
# shellcheck shell=sh

KTAP_CASE=0

# ktap_suite NAME CASES - start the boot's only suite.
ktap_suite() {
	KTAP_SUITE=$1
	printf 'KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: %s\n    1..%s\n' "$1" "$2"
}

# ktap_case OK|FAIL NAME [WHY] - one case result.
ktap_case() {
	KTAP_CASE=$((KTAP_CASE + 1))
	if [ "$1" = OK ]; then
		printf '    ok %s %s\n' "$KTAP_CASE" "$2"
	else
		printf '    # %s: %s\n    not ok %s %s\n' "$2" "${3:-failed}" "$KTAP_CASE" "$2"
		KTAP_FAILED=1
	fi
}

ktap_suite_end() {
	if [ -n "${KTAP_FAILED:-}" ]; then
		printf 'not ok 1 %s\n' "$KTAP_SUITE"
	else
		printf 'ok 1 %s\n' "$KTAP_SUITE"
	fi
}

# Reports between these markers are provoked on purpose: run.sh's console
# scan ignores them, as it does for KUnit's expected-report regions.
expect_report_begin() {
	echo "ktest: expected report begin" >/dev/kmsg
}

expect_report_end() {
	echo "ktest: expected report end" >/dev/kmsg
}

# lockdep_on - 0 while lockdep has not turned itself off.
lockdep_on() {
	grep -q '^ *debug_locks: *1$' /proc/lockdep_stats
}

# mkfs_quiet xfs|ext4 DEVICE - a new filesystem, quietly.
mkfs_quiet() {
	case $1 in
	xfs) mkfs.xfs -f -q "$2" ;;
	ext4) mkfs.ext4 -F -q "$2" ;;
	esac
}

# fsck_clean xfs|ext4 DEVICE - 0 when a read-only check finds nothing.
fsck_clean() {
	case $1 in
	xfs) xfs_repair -n "$2" >/dev/null 2>&1 ;;
	ext4) e2fsck -fn "$2" >/dev/null 2>&1 ;;
	esac
}
