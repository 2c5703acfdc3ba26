#!/usr/bin/env bash
# Helpers shared by run.sh and the scripts it calls.

die() {
	local line
	for line in "$@"; do
		echo "run.sh: $line" >&2
	done
	exit 1
}

# A visible line before each long step.
step() {
	printf '==> [%s] %s\n' "$(date +%H:%M:%S)" "$*"
}

note() {
	printf '    %s\n' "$*"
}

# The Debian package that provides a command, for "missing" messages.
package_of() {
	case $1 in
	genhtml | lcov) echo lcov ;;
	mkfs.xfs | xfs_repair) echo xfsprogs ;;
	mkfs.ext4 | e2fsck) echo e2fsprogs ;;
	xfs_scrub) echo xfsprogs ;;
	fsfreeze) echo util-linux ;;
	xz) echo xz-utils ;;
	dpkg-query) echo dpkg ;;
	qemu-system-x86_64) echo qemu-system-x86 ;;
	gnuplot) echo gnuplot-nox ;;
	*) echo "$1" ;;
	esac
}

# require CMD... - stop with the apt line for every missing command.
require() {
	local cmd missing=()
	for cmd in "$@"; do
		command -v "$cmd" >/dev/null 2>&1 || missing+=("$(package_of "$cmd")")
	done
	[[ ${#missing[@]} -eq 0 ]] && return 0
	die "missing package(s): ${missing[*]}" \
		"install with: apt-get update && apt-get install ${missing[*]}" \
		"(.ci/run installs everything the workbench needs)"
}
