# fault unreachable server net: the router answers with the ICMP message
# the lab's docs list (RFC 792; RFC 4443), which the kernel maps to an
# errno in icmp_err_convert (net/ipv4/icmp.c) and icmpv6_err_convert
# (net/ipv6/icmp.c).
# On an established connection every ICMP error is soft (RFC 1122
# 4.2.3.9; tcp_v4_err keeps it in sk_err_soft unless IP_RECVERR is set):
# TCP retransmits, and when TCP_USER_TIMEOUT gives up, the read reports
# the ICMP's error in place of ETIMEDOUT. The user timeout leaves the
# router's crafted answer 400ms to come: if none has come when it gives
# up, the error is ETIMEDOUT, which a loaded machine showed at 150ms.
scenario icmp/net-established
title    "ICMP net unreachable on an established connection"
note     "Sources: RFC 792; RFC 4443 3.1; RFC 1122 4.2.3.9; icmp_err_convert in net/ipv4/icmp.c; icmpv6_err_convert in net/ipv6/icmp.c; tcp_v4_err in net/ipv4/tcp_ipv4.c"
net      routed
on       tcp

client setsockopt TCP_USER_TIMEOUT 400 -> ok
fault unreachable server net
client write "hello?"       -> 6
client read 16              -> ENETUNREACH
expect state client CLOSE
