#!/usr/bin/env bash
# Build profiles: each is a list of configs/*.kunitconfig fragments plus
# every suite's kunit-tests/*.kunitconfig, built in build/<profile> so that
# switching profiles never forces a full rebuild.

PROFILES_FILE=$ROOT/configs/profiles
# ccache keeps rebuilds cheap across build directories and fresh trees.
KCC="ccache gcc"
export CCACHE_DIR=${CCACHE_DIR:-${HOME:-/root}/.cache/ccache}

profile_names() {
	sed -n 's/^\([a-z0-9_-]*\):.*/\1/p' "$PROFILES_FILE" | paste -sd' '
}

is_profile() {
	grep -q "^$1:" "$PROFILES_FILE"
}

# profile_line PROFILE - the fragments of PROFILE, with its @arch if any.
profile_line() {
	local profile=$1 line
	line=$(sed -n "s/^$profile:[[:space:]]*//p" "$PROFILES_FILE")
	[[ -n $line ]] || die "unknown profile '$profile' (known: $(profile_names))"
	echo "$line"
}

profile_fragments() {
	local line w
	line=$(profile_line "$1") || exit 1
	for w in $line; do
		[[ $w == @* ]] || echo "$w"
	done
}

# profile_arch PROFILE - the kernel ARCH a profile builds (default um).
profile_arch() {
	local line w arch=um
	line=$(profile_line "$1") || exit 1
	for w in $line; do
		[[ $w == @* ]] && arch=${w#@}
	done
	echo "$arch"
}

build_dir() {
	echo "$BUILD_ROOT/$1"
}

kunitconfig_args() {
	local profile=$1 frags frag f
	frags=$(profile_fragments "$profile") || exit 1
	for frag in $frags; do
		f=$ROOT/configs/$frag.kunitconfig
		[[ -f $f ]] || die "profile $profile names missing fragment ${f#"$ROOT"/}"
		echo "--kunitconfig=$f"
	done
	for f in "$ROOT"/kunit-tests/*.kunitconfig; do
		[[ -f $f ]] && echo "--kunitconfig=$f"
	done
}

configure_profile() {
	local profile=$1 dir=$2 arch=$3 out args
	# Not a process substitution: a die inside must stop run.sh.
	out=$(kunitconfig_args "$profile") || exit 1
	mapfile -t args <<<"$out"
	mkdir -p "$dir"
	step "configuring profile $profile ($arch) in ${dir#"$ROOT"/}"
	if ! (cd "$LINUX" && python3 tools/testing/kunit/kunit.py config \
		--arch="$arch" --build_dir="$dir" "${args[@]}" \
		--make_options "CC=$KCC") >"$dir/config.log" 2>&1; then
		tail -n 20 "$dir/config.log" >&2
		die "configuring $profile failed; full log: $dir/config.log"
	fi
}

# Print a progress line every 250 compiled objects and at the end.
build_progress() {
	local line n=0 last=
	while IFS= read -r line; do
		case $line in
		"  CC "* | "  AS "* | "  LD "* | "  AR "*)
			n=$((n + 1))
			last=${line:10}
			((n % 250 == 0)) && printf '    %5d objects, %4d s, at %s\n' "$n" "$SECONDS" "$last"
			;;
		esac
	done
	printf '    %5d objects built (%d s since run.sh started)\n' "$n" "$SECONDS"
}

build_profile() {
	local profile=$1 dir arch rc
	dir=$(build_dir "$profile")
	arch=$(profile_arch "$profile") || exit 1
	configure_profile "$profile" "$dir" "$arch"
	step "building $arch ($profile, -j$JOBS, ccache; cold: ~13 min for um, ~9 for x86_64)"
	set +e
	make -C "$LINUX" ARCH="$arch" O="$dir" -j"$JOBS" CC="$KCC" all 2>&1 |
		tee "$dir/build.log" | build_progress
	rc=${PIPESTATUS[0]}
	set -e
	if [[ $rc -ne 0 ]]; then
		grep -E 'error:|Error [0-9]|undefined reference|multiple definition' "$dir/build.log" |
			head -n 20 >&2 || true
		die "build failed (exit $rc); full log: $dir/build.log"
	fi
}

# build_other_tree SRC DIR ARCH TARGET FRAGMENT... - configure DIR from the
# given fragments only (no suites) and build TARGET from the tree at SRC:
# the kernels that compare the workbench tag with the patched tree.
build_other_tree() {
	local src=$1 dir=$2 arch=$3 target=$4 rc f args=()
	shift 4
	for f in "$@"; do
		args+=("--kunitconfig=$f")
	done
	mkdir -p "$dir"
	step "configuring ${dir#"$ROOT"/} ($arch) from ${src#"$ROOT"/}"
	(cd "$src" && python3 tools/testing/kunit/kunit.py config --arch="$arch" \
		--build_dir="$dir" "${args[@]}" --make_options "CC=$KCC") \
		>"$dir/config.log" 2>&1 || die "configuring failed; log: $dir/config.log"
	step "building ${dir#"$ROOT"/} (cold: ~8 min)"
	set +e
	make -C "$src" ARCH="$arch" O="$dir" -j"$JOBS" CC="$KCC" "$target" 2>&1 |
		tee "$dir/build.log" | build_progress
	rc=${PIPESTATUS[0]}
	set -e
	[[ $rc -eq 0 ]] || die "build failed; log: $dir/build.log"
}
