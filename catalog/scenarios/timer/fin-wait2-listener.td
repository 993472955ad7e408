# As timer/fin-wait2, with the ends swapped: the accepted server closes
# under TCP_LINGER2 1, its orphan waits in FIN_WAIT2 (a TIME_WAIT entry
# in its FIN_WAIT2 substate, tcp_time_wait in net/ipv4/tcp_minisocks.c)
# and is forgotten a second later, without a packet. The client, still
# in CLOSE_WAIT, then writes. Its late segment goes to the server's
# address and port, where the listener still is: the lookup finds the
# listener, and a listener given a segment with ACK and no SYN answers
# with an RST (RFC 9293 3.10.7.2), reason TCP_FLAGS on this kernel
# (tcp_rcv_state_process in net/ipv4/tcp_input.c, case TCP_LISTEN),
# where timer/fin-wait2's client host, with nothing on that port,
# answers NO_SOCKET. The RST's sequence number is the segment's
# acknowledgment, exactly what the client expects: in CLOSE_WAIT it sets
# EPIPE (tcp_reset), so the read still returns the FIN's end of file
# and the next write fails with EPIPE. TCP_LINGER2 counts whole seconds,
# and the orphan lasts at least 3.5 retransmission timeouts (tcp_fin_time).
scenario timer/fin-wait2-listener
title    "the server's FIN_WAIT2 times out; the client's late segment draws an RST from the listener"
note     "Sources: tcp(7) TCP_LINGER2; ip-sysctl.rst tcp_fin_timeout; RFC 9293 3.10.7.2; tcp_rcv_state_process in net/ipv4/tcp_input.c; tcp_fin_time in include/net/tcp.h"
slow     "TCP_LINGER2 counts whole seconds: at least 1s"
on       tcp

server setsockopt TCP_LINGER2 1     -> ok
server close                        -> ok
client read 16                      -> 0
expect state server FIN_WAIT2
sleep 1100ms
expect state server CLOSE
client write "late"                 -> 4
expect wire client>server P
expect wire server>client R
expect reason listener TCP_FLAGS
client read 16                      -> 0
client write "again"                -> EPIPE+SIGPIPE
