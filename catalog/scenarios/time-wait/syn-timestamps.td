# As time-wait/syn, with the SYNs carrying a timestamp option (RFC 7323),
# as Linux's own do (tcp_timestamps 1, the default, and the connection
# used them). The TIME_WAIT keeps the last TSval the client sent
# (tw_ts_recent), and tcp_timewait_state_process judges a SYN by it
# before its sequence number: an older TSval is PAWS's old duplicate
# (RFC 7323 5.3, tcp_paws_reject) and draws the TIME_WAIT's ACK even
# with a sequence number above the old connection's; a newer TSval is a
# new incarnation even with a sequence number below it (RFC 6191).
# ts=N is the client's last TSval plus N, in its clock's milliseconds.
# tcp_rfc1337 1 for the reason time-wait/syn gives: the client's host
# answers the ACK with an RST, which would otherwise end the TIME_WAIT.
scenario time-wait/syn-timestamps
title    "a SYN to a TIME_WAIT 4-tuple is judged by its timestamp first: older is refused, newer accepted"
note     "Sources: RFC 7323 5.3 (PAWS); RFC 6191; tcp_timewait_state_process and tcp_paws_reject in net/ipv4/tcp_minisocks.c and include/net/tcp.h"
on       tcp

sysctl net.ipv4.tcp_rfc1337 1
server close                        -> ok
client read 16                      -> 0
client close                        -> ok
expect state server TIME_WAIT
inject client>server S seq=+1000 ts=-1000
expect wire server>client .
expect no wire server>client S.
expect state server TIME_WAIT
inject client>server S seq=-1000 ts=+1000
expect wire server>client S.
expect state server CLOSE
