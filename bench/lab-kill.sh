#!/usr/bin/env bash
# Kills "teardown lab run" with SIGKILL at N random moments (default 50),
# each next run starting as soon as the previous one is dead, then makes
# one ordinary run and counts what the killed runs left behind: tracing
# instances, run directories and network namespaces (a namespace gone
# takes its sockets with it). Every count must be 0. Needs root.
#
#   bench/lab-kill.sh [N]
set -euo pipefail
n=${1:-50}
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/teardown" ./cmd/teardown
cat >"$dir/blocked.td" <<'TD'
scenario kill/blocked
title "a read that blocks until the step's limit"
on tcp4 tcp6 unix
limit 300ms
client write "x"   -> 1
server read 16     -> 1
client read 16     -> blocked
TD
own=$(readlink /proc/self/ns/net)
pids=()
: >"$dir/ns"
for _ in $(seq "$n"); do
	"$dir/teardown" lab run "$dir/blocked.td" 'close-unread/*' net/peer-rebooted >/dev/null 2>&1 &
	pid=$!
	sleep "0.$(printf '%03d' $((RANDOM % 600)))"
	for l in /proc/$pid/task/*/ns/net; do readlink "$l" 2>/dev/null || true; done | grep -vxF "$own" >>"$dir/ns" || true
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pids+=("$pid")
done
out=$("$dir/teardown" lab run peer-closed/read-eof --on tcp4 2>&1) || { echo "the run after the kills failed:"; echo "$out"; exit 1; }
instances=0 rundirs=0
for pid in "${pids[@]}"; do
	instances=$((instances + $(find /sys/kernel/tracing/instances -maxdepth 1 -name "teardown-$pid-*" | wc -l)))
	rundirs=$((rundirs + $(find "${TMPDIR:-/tmp}" -maxdepth 1 -name "teardown-lab-$pid-*" | wc -l)))
done
sort -u "$dir/ns" >"$dir/ns.seen"
# Processes come and go while find walks /proc: it complains of those gone.
{ find /proc/[0-9]*/task/*/ns/net /proc/[0-9]*/fd -maxdepth 1 -lname 'net:*' -printf '%l\n' 2>/dev/null || true; } | sort -u >"$dir/ns.live"
namespaces=$(comm -12 "$dir/ns.seen" "$dir/ns.live" | wc -l)
echo "$n SIGKILLs ($(wc -l <"$dir/ns.seen") namespaces seen), then one run: $instances tracing instances, $rundirs run directories, $namespaces namespaces left"
if grep -q "left behind" <<<"$out"; then echo "$out" | grep "left behind"; exit 1; fi
(( instances == 0 && rundirs == 0 && namespaces == 0 ))
