#!/usr/bin/env bash
# Runs "teardown lab verify" over the whole catalog N times back to back
# (default 50) and counts how many different reports they gave. When every
# run matches, the report is the matrix alone, with no timing in it, so
# identical verdicts give byte-identical reports. Then it runs two verifies
# at the same time, N/10 times (at least once), and checks that both of
# each pair give that same report too.
#
#   bench/lab-repeat.sh [N]
set -euo pipefail
n=${1:-50}
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/teardown" ./cmd/teardown
fails=0
for i in $(seq "$n"); do
	NO_COLOR=1 "$dir/teardown" lab verify >"$dir/out.$i" 2>&1 || fails=$((fails + 1))
done
distinct=$(sha256sum "$dir"/out.* | awk '{print $1}' | sort -u | wc -l)
echo "$n verify runs: $fails exited non-zero, $distinct distinct report(s)"
tail -n 1 "$dir/out.1"
if (( distinct != 1 )); then
	echo "the reports differ; first differing pair:" >&2
	first=$(sha256sum "$dir"/out.* | sort | awk 'NR==1{h=$1;f=$2} $1!=h{print f, $2; exit}')
	diff $first | head -40 >&2
	exit 1
fi
pairs=$((n / 10 > 0 ? n / 10 : 1))
pfails=0
for i in $(seq "$pairs"); do
	NO_COLOR=1 "$dir/teardown" lab verify >"$dir/pa.$i" 2>&1 &
	a=$!
	NO_COLOR=1 "$dir/teardown" lab verify >"$dir/pb.$i" 2>&1 &
	b=$!
	wait "$a" || pfails=$((pfails + 1))
	wait "$b" || pfails=$((pfails + 1))
done
pdistinct=$(sha256sum "$dir"/out.1 "$dir"/pa.* "$dir"/pb.* | awk '{print $1}' | sort -u | wc -l)
echo "$pairs pairs of concurrent verify runs: $pfails exited non-zero, $((pdistinct - 1)) report(s) unlike the back-to-back one"
if ((pdistinct != 1)); then
	for f in "$dir"/pa.* "$dir"/pb.*; do
		if ! cmp -s "$dir/out.1" "$f"; then
			diff "$dir/out.1" "$f" | head -40 >&2
			break
		fi
	done
	exit 1
fi
