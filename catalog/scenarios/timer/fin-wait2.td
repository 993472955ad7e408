# tcp(7) TCP_LINGER2: "the lifetime of orphaned FIN_WAIT2 state sockets";
# when it ends the kernel forgets the connection without a packet
# (tcp_time_wait/tcp_fin_time in net/ipv4/tcp_minisocks.c and
# tcp_timer.c). The peer, still in CLOSE_WAIT, then writes: its late
# segment finds no socket and draws an RST (RFC 9293 3.10.7.1). An RST in
# CLOSE_WAIT sets EPIPE, not ECONNRESET (tcp_reset in
# net/ipv4/tcp_input.c): the read still returns the FIN's end of file,
# and the next write fails with EPIPE. The default, tcp_fin_timeout, is
# 60s.
scenario timer/fin-wait2
title    "the FIN_WAIT2 timeout (TCP_LINGER2) ends an orphan; the peer's late segment draws an RST"
note     "Sources: tcp(7) TCP_LINGER2; ip-sysctl.rst tcp_fin_timeout; RFC 9293 3.10.7.1"
slow     "TCP_LINGER2 counts whole seconds: at least 1s"
net      direct
on       tcp

client setsockopt TCP_LINGER2 1 -> ok
client close                -> ok
expect state client FIN_WAIT2
sleep 1100ms
expect state client CLOSE
server write "late"         -> 4
expect wire server>client P
expect wire client>server R
expect reason client NO_SOCKET
server read 16              -> 0
server write "again"        -> EPIPE+SIGPIPE
