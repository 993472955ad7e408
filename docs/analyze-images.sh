#!/usr/bin/env bash
# Makes the pictures in docs/analyze.md: a catalog run captured by the lab
# ("teardown lab run ID --on tcp4 --pcap DIR"), analyzed and drawn by
# "teardown analyze FILE --html OUT", photographed by headless chromium
# (Debian's chromium package). Run as root from the repository (net/
# scenarios build network namespaces): bash docs/analyze-images.sh
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/teardown" ./cmd/teardown
for id in close-unread/read net/host-unreachable-established; do
	name=analyze-${id//\//-}-tcp4
	"$tmp/teardown" lab run "$id" --on tcp4 --pcap "$tmp/pcap" >/dev/null
	(cd "$tmp/pcap" && "$tmp/teardown" analyze --html "$tmp/$name.html" "${id//\//_}.tcp4.pcapng" >/dev/null)
	# The page's height: the diagram's, and the header, table and verdict
	# above it.
	h=$(grep -o '<svg[^>]* height="[0-9]*"' "$tmp/$name.html" | grep -o '[0-9]*"$' | tr -d '"')
	chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$tmp/profile" --hide-scrollbars \
		--window-size=1100,$((h + 400)) --screenshot="docs/$name.png" "file://$tmp/$name.html" 2>/dev/null
	echo "docs/$name.png"
done
