#!/bin/bash
# Makes (up) or removes (down) three namespaces: ar-c (198.18.1.1, 2001:db8:1::1),
# the router ar-r, and ar-s (198.18.2.1-3, 2001:db8:2::1-3); usage: topo.sh up|down
set -e
C=ar-c R=ar-r S=ar-s
down() { for n in $C $R $S; do ip netns del $n 2>/dev/null || true; done; }
if [ "$1" = down ]; then down; exit 0; fi
down
for n in $C $R $S; do ip netns add $n; ip -n $n link set lo up; done
ip link add c0 netns $C type veth peer name c1 netns $R
ip link add s0 netns $S type veth peer name s1 netns $R
ip -n $C addr add 198.18.1.1/24 dev c0; ip -n $C addr add 2001:db8:1::1/64 dev c0 nodad
ip -n $R addr add 198.18.1.254/24 dev c1; ip -n $R addr add 2001:db8:1::fe/64 dev c1 nodad
ip -n $R addr add 198.18.2.254/24 dev s1; ip -n $R addr add 2001:db8:2::fe/64 dev s1 nodad
for a in 1 2 3; do ip -n $S addr add 198.18.2.$a/24 dev s0; ip -n $S addr add 2001:db8:2::$a/64 dev s0 nodad; done
for l in "$C c0" "$R c1" "$R s1" "$S s0"; do set -- $l; ip -n $1 link set $2 up; done
ip -n $C route add default via 198.18.1.254; ip -n $C -6 route add default via 2001:db8:1::fe
ip -n $S route add default via 198.18.2.254; ip -n $S -6 route add default via 2001:db8:2::fe
ip netns exec $R sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
ip netns exec $C sysctl -qw net.ipv4.tcp_syn_retries=1
