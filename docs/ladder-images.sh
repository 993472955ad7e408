#!/usr/bin/env bash
# Makes the pictures in docs/report.md: one run per page, written by
# "teardown lab run ID --on tcp4 --html FILE" and photographed by headless
# chromium (Debian's chromium package). Run as root from the repository
# (net/ scenarios build network namespaces): bash docs/ladder-images.sh
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/teardown" ./cmd/teardown
for id in close-unread/read net/peer-rebooted; do
	name=ladder-${id//\//-}-tcp4
	"$tmp/teardown" lab run "$id" --on tcp4 --html "$tmp/$name.html" >/dev/null
	# The page's height: the diagram's, and the header and matrix above it.
	h=$(grep -o '<svg[^>]* height="[0-9]*"' "$tmp/$name.html" | grep -o '[0-9]*"$' | tr -d '"')
	chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$tmp/profile" --hide-scrollbars \
		--window-size=960,$((h + 330)) --screenshot="docs/$name.png" "file://$tmp/$name.html" 2>/dev/null
	echo "docs/$name.png"
done
