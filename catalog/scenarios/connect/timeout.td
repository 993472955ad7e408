# A connect to a host that does not answer: the kernel retransmits the SYN
# tcp_syn_retries times with exponential backoff from TCP_TIMEOUT_INIT
# (1s, RFC 6298 2.1), then fails with ETIMEDOUT (tcp_write_timeout in
# net/ipv4/tcp_timer.c). With tcp_syn_retries 1: 1s + 2s = 3s; the
# default, 6, takes 1+2+4+8+16+32+64 = 127s.
scenario connect/timeout
title    "connect to a host that does not answer: SYN retransmissions, then ETIMEDOUT"
note     "Sources: RFC 6298 2.1 and 5.5; ip-sysctl.rst tcp_syn_retries; tcp_write_timeout in net/ipv4/tcp_timer.c"
slow     "the first SYN retransmission comes after 1s, TCP_TIMEOUT_INIT: at least 3s"
net      direct
setup    listening
limit    5s
on       tcp

sysctl client net.ipv4.tcp_syn_retries 1
fault drop server
client connect listener     -> ETIMEDOUT
expect took >= 3s
