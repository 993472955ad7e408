# RFC 1191 (IPv4) and RFC 8201 (IPv6) path MTU discovery: a router whose
# next link is too small for a packet that may not be fragmented (TCP
# sets DF) answers ICMP fragmentation needed (packet too big in IPv6)
# with the link's MTU. TCP lowers its segment size to fit and
# retransmits (tcp_v4_mtu_reduced, tcp_v6_mtu_reduced); the program sees
# no error, and every byte arrives.
scenario icmp/fragmentation-needed
title    "ICMP fragmentation needed: TCP lowers its segment size and the data gets through"
note     "Sources: RFC 1191; RFC 8201; RFC 792 and RFC 4443 3.2; tcp_v4_err in net/ipv4/tcp_ipv4.c"
net      routed
on       tcp

fault unreachable server fragmentation
client write 4000           -> 4000
server read 4000 waitall    -> 4000
client getsockopt SO_ERROR  -> 0
