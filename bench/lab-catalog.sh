#!/usr/bin/env bash
# Times "teardown lab verify" over the built-in catalog, N times each
# (default 10), two ways:
#
#   fast  the catalog without the scenarios marked "slow" (kernel timers
#         that count whole seconds); target: median wall time <= 1000 ms.
#   all   the whole catalog; target: median wall time <= its longest
#         run + 500 ms (the runs go in parallel, so the slowest one is the
#         floor).
#
# Each line gives the ratio of the median wall time to the longest single
# run of the same verify, both measured in that one verify.
#
#   bench/lab-catalog.sh [N]
set -euo pipefail
n=${1:-10}
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
bin=$dir/teardown
go build -o "$bin" ./cmd/teardown

fast=()
slow=()
for id in $("$bin" lab list | awk '{print $1}'); do
	if "$bin" lab show "$id" | grep -q '^slow[[:space:]]'; then
		slow+=("$id")
	else
		fast+=("$id")
	fi
done

# measure NAME IDS...: N verifies of IDS; writes the median wall ms, the
# longest run ms (of the median verify) and their ratio on stderr, and the
# two numbers on stdout.
measure() {
	local name=$1
	shift
	local walls=() longest=()
	for i in $(seq "$n"); do
		local start end
		start=$(date +%s%N)
		local rc=0
		NO_COLOR=1 "$bin" lab verify --json "$@" >"$dir/out.json" 2>"$dir/err" || rc=$?
		if ((rc != 0)); then
			# The failing verify's own account: its errors, and each run
			# that did not match with the steps that differ.
			echo "$name run $i: verify exited $rc" >&2
			cat "$dir/err" >&2
			grep -B2 -A1 '"verdict": "\(differs\|error\)"' "$dir/out.json" | grep -v '^--$' >&2 || true
			exit 1
		fi
		end=$(date +%s%N)
		walls+=("$(((end - start) / 1000000))")
		longest+=("$(grep -o '"duration_ns": *[0-9]*' "$dir/out.json" | grep -o '[0-9]*$' | sort -n | tail -1)")
	done
	# The verify whose wall time is the median, and its longest run.
	local idx
	idx=$(for i in "${!walls[@]}"; do echo "${walls[$i]} $i"; done | sort -n | awk -v m=$((n / 2)) 'NR == m + 1 {print $2}')
	local med=${walls[$idx]} long=$((longest[$idx] / 1000000))
	local sorted
	sorted=($(printf '%s\n' "${walls[@]}" | sort -n))
	printf '%-5s %3d scenarios: wall ms min %d median %d max %d; longest run %d ms; median/longest %s\n' \
		"$name" "$#" "${sorted[0]}" "$med" "${sorted[$((n - 1))]}" "$long" \
		"$(awk -v a="$med" -v b="$long" 'BEGIN {printf "%.2f", a / b}')" >&2
	echo "$med $long"
}

echo "$n verifies each on $(nproc) CPUs, kernel $(uname -r); slow: ${slow[*]:-none}"
measure fast "${fast[@]}" >"$dir/fast"
measure all "${fast[@]}" "${slow[@]}" >"$dir/all"
read -r fmed _ <"$dir/fast"
read -r amed along <"$dir/all"
status=0
if ((fmed <= 1000)); then
	echo "fast target (median <= 1000 ms): met"
else
	echo "fast target (median <= 1000 ms): NOT met"
	status=1
fi
if ((amed <= along + 500)); then
	echo "all target (median <= longest run + 500 ms = $((along + 500)) ms): met"
else
	echo "all target (median <= longest run + 500 ms = $((along + 500)) ms): NOT met"
	status=1
fi
exit $status
