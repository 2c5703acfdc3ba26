#!/usr/bin/env bash
# coverage/report.sh BUILD_DIR LINUX_DIR OUT_DIR
#
# Turn the .gcda files that a CONFIG_GCOV=y UML kernel wrote on halt into:
#   OUT_DIR/kunit.info     lcov tracefile
#   OUT_DIR/index.html     genhtml report
#   OUT_DIR/summary.txt    line coverage of each file the product series
#                          touches, plus coverage/watch-files
#   OUT_DIR/diff.txt       diff-cover over the product series; its last
#                          line is "diff coverage: NN.N%"
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/common.sh
. "$HERE/../scripts/common.sh"

BUILD=$1
LINUX=$2
OUT=$3
INFO=$OUT/kunit.info

capture() {
	local n
	n=$(find "$BUILD" -name '*.gcda' | wc -l)
	[[ $n -gt 0 ]] || die "no .gcda files in $BUILD: is CONFIG_GCOV set, and did the kernel halt" \
		"cleanly? (a panic writes no coverage)"
	rm -rf "$OUT"
	mkdir -p "$OUT"
	step "lcov: capturing $n .gcda files (about 2 min)"
	# geninfo prints harmless "Subroutine redefined" perl warnings.
	lcov --quiet --capture --directory "$BUILD" --output-file "$INFO" 2>"$OUT/lcov.log" ||
		die "lcov failed; see $OUT/lcov.log"
}

render_html() {
	step "genhtml: writing ${OUT}/index.html"
	genhtml --quiet --prefix "$LINUX" --title "KUnit on UML" \
		--output-directory "$OUT" "$INFO" >"$OUT/genhtml.log" 2>&1 ||
		die "genhtml failed; see $OUT/genhtml.log"
}

series_files() {
	git -C "$LINUX" diff --name-only workbench..HEAD -- '*.c' '*.h'
}

watch_files() {
	grep -v '^#' "$HERE/watch-files" | sed '/^$/d'
}

# "path  NN.N%  (hit/found lines)" for each file named on stdin, from the
# tracefile's DA:<line>,<count> records (a header can appear in several
# records; a line counts as hit if any record hit it).
file_coverage() {
	awk -v root="$LINUX/" '
		FNR == NR { want[$0] = 1; next }
		/^SF:/ { file = substr($0, 4); sub("^" root, "", file); next }
		/^DA:/ && (file in want) {
			split(substr($0, 4), da, ",")
			key = file SUBSEP da[1]
			if (!(key in seen)) { seen[key] = 1; found[file]++ }
			if (da[2] > 0 && !(key in hitl)) { hitl[key] = 1; hit[file]++ }
		}
		END {
			for (f in want) {
				if (found[f])
					printf "%-40s %5.1f%%  (%d/%d lines)\n", f, 100 * hit[f] / found[f], hit[f], found[f]
				else
					printf "%-40s   n/a  (not compiled or not run)\n", f
			}
		}' - "$INFO" | sort
}

write_summary() {
	step "summary: ${OUT}/summary.txt"
	{
		echo "# Line coverage of the files the product series touches (patches/series/)"
		echo "# and of the files listed in coverage/watch-files."
		{ series_files; watch_files; } | sort -u | file_coverage
	} >"$OUT/summary.txt"
}

write_diff_coverage() {
	local json=$OUT/diff-cover.json lines pct
	step "diff-cover: ${OUT}/diff.txt"
	(cd "$LINUX" && diff-cover "$INFO" --compare-branch=workbench \
		--ignore-staged --ignore-unstaged --json-report "$json") >"$OUT/diff.txt" 2>&1 ||
		die "diff-cover failed; see $OUT/diff.txt"
	lines=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["total_num_lines"])' "$json")
	pct=$(python3 -c 'import json,sys; print("%.1f" % json.load(open(sys.argv[1]))["total_percent_covered"])' "$json")
	if [[ $lines -eq 0 ]]; then
		echo "(the product series adds no executable lines: nothing to cover)" >>"$OUT/diff.txt"
	fi
	echo "diff coverage: $pct%" >>"$OUT/diff.txt"
	note "$(tail -n 1 "$OUT/diff.txt")"
}

capture
render_html
write_summary
write_diff_coverage
