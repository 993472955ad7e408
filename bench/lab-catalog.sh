#!/usr/bin/env bash
# Times "teardown lab verify" over the whole built-in catalog, on every
# transport, N times (default 10), and prints the wall times. The target is
# at most 2 seconds of wall time for the whole catalog.
#
#   bench/lab-catalog.sh [N]
set -euo pipefail
n=${1:-10}
cd "$(dirname "$0")/.."
bin=$(mktemp -d)/teardown
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./cmd/teardown
runs=$("$bin" lab verify --json | grep -c '"transport"' || true)
times=()
for i in $(seq "$n"); do
	start=$(date +%s%N)
	if ! NO_COLOR=1 "$bin" lab verify >"$(dirname "$bin")/out"; then
		echo "run $i: verify did not exit 0; what differed:" >&2
		sed -n '/DIFFERS/,/^$/p' "$(dirname "$bin")/out" >&2
		exit 1
	fi
	end=$(date +%s%N)
	times+=("$(( (end - start) / 1000000 ))")
done
sorted=($(printf '%s\n' "${times[@]}" | sort -n))
median=${sorted[$(( n / 2 ))]}
echo "catalog: $runs runs per verify; $n verifies on $(nproc) CPUs, kernel $(uname -r)"
echo "wall ms: min ${sorted[0]}  median $median  max ${sorted[$((n - 1))]}"
if (( median <= 2000 )); then
	echo "target (median <= 2000 ms): met"
else
	echo "target (median <= 2000 ms): NOT met"
fi
