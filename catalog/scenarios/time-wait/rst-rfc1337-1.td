# As time-wait/rst-rfc1337-0 with tcp_rfc1337 1: RFC 1337's remedy,
# "ignore RST segments in TIME-WAIT state". tcp_timewait_state_process
# drops the exact RST too, and the TIME_WAIT stays to answer an old SYN
# with its ACK; the client's host resets that ACK (no socket), and that
# RST is ignored as well (compare time-wait/assassination).
scenario time-wait/rst-rfc1337-1
title    "tcp_rfc1337 1: a TIME_WAIT ignores RSTs, and still answers an old SYN with its ACK"
note     "Sources: RFC 1337 (section 3, the remedy); tcp_timewait_state_process in net/ipv4/tcp_minisocks.c; ip-sysctl.rst tcp_rfc1337"
on       tcp

sysctl net.ipv4.tcp_rfc1337 1
server close                        -> ok
client read 16                      -> 0
client close                        -> ok
expect state server TIME_WAIT
inject client>server R
expect no wire server>client .
expect state server TIME_WAIT
inject client>server S seq=-1000
expect wire server>client .
expect no wire server>client S.
expect wire client>server R
expect state server TIME_WAIT
