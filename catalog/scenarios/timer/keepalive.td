# RFC 1122 4.2.3.6 (keep-alives) and tcp(7): after TCP_KEEPIDLE seconds
# of silence the kernel probes, TCP_KEEPINTVL seconds apart, and after
# TCP_KEEPCNT unanswered probes reports ETIMEDOUT (tcp_keepalive_timer in
# net/ipv4/tcp_timer.c). The options count whole seconds, at least 1, so
# the failure cannot come sooner than idle + count * interval = 2s. The
# defaults (tcp_keepalive_time 7200, _intvl 75, _probes 9) would take
# 2h11m15s.
scenario timer/keepalive
title    "keepalive finds a silent peer: ETIMEDOUT after idle + count x interval"
note     "Sources: RFC 1122 4.2.3.6; tcp(7) TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT; tcp_keepalive_timer in net/ipv4/tcp_timer.c"
slow     "keepalive counts whole seconds: at least 2s"
net      direct
limit    4s
on       tcp

client setsockopt SO_KEEPALIVE 1  -> ok
client setsockopt TCP_KEEPIDLE 1  -> ok
client setsockopt TCP_KEEPINTVL 1 -> ok
client setsockopt TCP_KEEPCNT 1   -> ok
fault drop server
client read 16              -> ETIMEDOUT
expect reason client TCP_KEEPALIVE_TIMEOUT
expect state client CLOSE
