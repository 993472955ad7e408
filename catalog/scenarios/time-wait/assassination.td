# RFC 1337's hazard H1, "TIME-WAIT assassination", made by the kernels
# themselves: an old duplicate SYN reaches the server's TIME_WAIT, which
# answers with its ACK (RFC 9293 3.10.7.4); the client's host, whose
# socket is gone, answers that ACK with an RST (NO_SOCKET, RFC 9293
# 3.10.7.1), at exactly the sequence number the TIME_WAIT expects. With
# tcp_rfc1337 0, Linux's default, tcp_timewait_state_process takes the
# RST and ends the TIME_WAIT at once, 60s early: the 4-tuple is free for
# whatever old segment comes next. time-wait/rst-rfc1337-1 shows the
# setting that ignores the RST.
scenario time-wait/assassination
title    "TIME-WAIT assassination: an old SYN draws the ACK, the peer host's RST ends the TIME_WAIT"
note     "Sources: RFC 1337 (hazard H1); RFC 9293 3.10.7.1 and 3.10.7.4; tcp_timewait_state_process in net/ipv4/tcp_minisocks.c; ip-sysctl.rst tcp_rfc1337"
on       tcp

sysctl net.ipv4.tcp_rfc1337 0
server close                        -> ok
client read 16                      -> 0
client close                        -> ok
expect state server TIME_WAIT
inject client>server S seq=-1000
expect wire server>client .
expect wire client>server R
expect reason client NO_SOCKET
expect state server CLOSE
