# fault unreachable server protocol: the router answers with the ICMP message
# the lab's docs list (RFC 792; RFC 4443), which the kernel maps to an
# errno in icmp_err_convert (net/ipv4/icmp.c) and icmpv6_err_convert
# (net/ipv6/icmp.c).
# A connection still in SYN_SENT takes the error at once, soft or not
# (tcp_v4_err and tcp_v6_err: the SYN_SENT case).
scenario icmp/protocol-connect
title    "ICMP protocol unreachable answers the SYN: connect fails at once with ENOPROTOOPT"
note     "Sources: RFC 792; RFC 4443 3.1; RFC 1122 4.2.3.9; icmp_err_convert in net/ipv4/icmp.c; icmpv6_err_convert in net/ipv6/icmp.c; tcp_v4_err in net/ipv4/tcp_ipv4.c"
net      routed
setup    listening
on       tcp

fault unreachable server protocol
client connect listener     -> ENOPROTOOPT tcp6: EPROTO
expect wire client>listener S
