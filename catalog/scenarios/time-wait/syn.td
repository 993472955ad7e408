# The server closes first, so its end of the connection waits in
# TIME_WAIT (RFC 9293 3.3.2; 60s on Linux, TCP_TIMEWAIT_LEN). RFC 1122
# 4.2.2.13 lets a TIME_WAIT reopen the connection for a new SYN if it
# gives the new incarnation an initial sequence number above the old
# one's, and returns to TIME_WAIT should the SYN turn out an old
# duplicate. tcp_timewait_state_process (net/ipv4/tcp_minisocks.c) takes
# a SYN whose sequence number is above the old connection's, when there
# are no timestamps to judge by (the injected SYNs carry none;
# time-wait/syn-timestamps has them): it ends the TIME_WAIT and hands
# the SYN to the listener, whose SYN-ACK starts the new connection 65537
# past the old one's end (isn = tw_snd_nxt + 65535 + 2). A SYN at or
# below the TIME_WAIT's next expected number is answered with the
# TIME_WAIT's ACK, which repeats where the old connection ended (RFC 9293
# 3.10.7.4).
#
# The client's socket is gone, so its host answers both the ACK and the
# SYN-ACK with an RST (NO_SOCKET). With tcp_rfc1337 0, Linux's default,
# that RST would end the TIME_WAIT at the first ACK (the kernel, not the
# lab, does it: time-wait/assassination); tcp_rfc1337 1 keeps it, so that
# the second and third SYN meet it too. tcp_invalid_ratelimit 0: the
# TIME_WAIT's ACKs to out-of-window segments are otherwise at most one
# per 500ms (tcp_timewait_check_oow_rate_limit), and the second would be
# swallowed.
scenario time-wait/syn
title    "a SYN to a TIME_WAIT 4-tuple: below or at its sequence, the old ACK; above, a new connection"
note     "Sources: RFC 9293 3.3.2 and 3.10.7.4; RFC 1122 4.2.2.13; tcp_timewait_state_process in net/ipv4/tcp_minisocks.c; ip-sysctl.rst tcp_rfc1337, tcp_invalid_ratelimit"
on       tcp

sysctl net.ipv4.tcp_rfc1337 1
sysctl net.ipv4.tcp_invalid_ratelimit 0
server close                        -> ok
client read 16                      -> 0
client close                        -> ok
expect state server TIME_WAIT
inject client>server S seq=-1000
expect wire server>client .
expect no wire server>client S.
expect wire client>server R
expect reason client NO_SOCKET
expect state server TIME_WAIT
inject client>server S
expect wire server>client .
expect no wire server>client S.
expect state server TIME_WAIT
inject client>server S seq=+1000
expect wire server>client S.
expect wire client>server R
expect reason client NO_SOCKET
expect state server CLOSE
