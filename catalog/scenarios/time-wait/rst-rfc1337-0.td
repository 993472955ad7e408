# An RST on a TIME_WAIT 4-tuple, with tcp_rfc1337 0 (Linux's default).
# tcp_timewait_state_process takes an RST only at exactly the sequence
# number the TIME_WAIT expects, and drops any other without an answer
# (where RFC 5961 3.2 would have a challenge ACK for one inside the
# window); the exact one ends the TIME_WAIT ("TIME-WAIT assassination",
# RFC 1337). Once it is
# gone, an old SYN that the TIME_WAIT would have answered with an ACK
# (time-wait/syn) reaches the listener and is taken for a new
# connection: the listener's SYN-ACK, which the client's host, having no
# socket, resets.
scenario time-wait/rst-rfc1337-0
title    "an RST ends a TIME_WAIT with tcp_rfc1337 0; an old SYN then reaches the listener"
note     "Sources: RFC 1337; RFC 5961 3.2; tcp_timewait_state_process in net/ipv4/tcp_minisocks.c; ip-sysctl.rst tcp_rfc1337"
on       tcp

sysctl net.ipv4.tcp_rfc1337 0
server close                        -> ok
client read 16                      -> 0
client close                        -> ok
expect state server TIME_WAIT
inject client>server R seq=+1
expect no wire server>client .
expect state server TIME_WAIT
inject client>server R
expect no wire server>client .
expect state server CLOSE
inject client>server S seq=-1000
expect wire server>client S.
expect wire client>server R
expect reason client NO_SOCKET
