# tcp_abort_on_overflow decides what happens to the final ACK of a
# handshake that finds the accept queue full: the SYN was taken while
# there was room (accept/overflow-abort-* show that a SYN to a full queue
# is dropped first), and the queue filled before the ACK came. With 1,
# tcp_check_req (net/ipv4/tcp_minisocks.c) answers the ACK with an RST:
# the client, which took its connection for established, reads
# ECONNRESET. The kernel's reason is INVALID_SYN (listen_overflow goes to
# embryonic_reset, which gives every RST it sends that name), not a name
# of its own for the overflow; the tracepoint said the same for the same
# overflow made with plain sockets, a client whose TCP_DEFER_ACCEPT held
# its final ACK back for 200ms while two others filled the queue.
#
# How the ACK comes late here: the router answers the server's SYN-ACK
# with an ICMP error, which leaves the request waiting in SYN_RECV (of the
# answers the lab makes, tcp_req_err drops it only for IPv4 net and host
# unreachable and for the ICMPv6 errors icmpv6_err_convert calls fatal,
# so IPv4 gets port unreachable and IPv6 address unreachable). Meanwhile
# two connections made on the server host itself, which the fault does
# not touch, fill the queue of listen(1) (full above the backlog,
# sk_acceptq_is_full). The refusal is then replaced with a narrower link
# (MTU 1280, which a handshake's segments pass) rather than healed, so
# that the lab does not wait for the client's SYN_SENT to end while it
# settles the heal, and the client's SYN is sent again: inject
# first>listener S seq=-1 is the same SYN, as the client's kernel would
# retransmit it a second later (TCP_TIMEOUT_INIT). A retransmitted SYN
# makes the server resend its SYN-ACK (tcp_check_req, inet_rtx_syn_ack);
# the client completes the handshake, and its ACK meets the full queue.
# The server answers a retransmitted SYN at most once per
# tcp_invalid_ratelimit (500ms), and the client's kernel, still in
# SYN_SENT, retransmits its own SYN every second, which on a loaded
# machine can come just before the inject: 0 lifts the limit.
scenario accept/overflow-ack-abort-1
title    "the handshake's final ACK meets a full accept queue: RST with tcp_abort_on_overflow 1"
note     "Sources: ip-sysctl.rst tcp_abort_on_overflow; listen(2) (backlog); tcp_check_req in net/ipv4/tcp_minisocks.c; tcp_req_err in net/ipv4/tcp_ipv4.c; RFC 9293 3.5"
net      routed
setup    none
on       tcp

sysctl server net.ipv4.tcp_abort_on_overflow 1
sysctl server net.ipv4.tcp_invalid_ratelimit 0
listener socket                     -> ok
listener bind                       -> ok
listener listen 1                   -> ok
tcp4: fault unreachable client port
tcp6: fault unreachable client host
first socket                        -> ok
first nonblock on                   -> ok
first connect listener              -> EINPROGRESS
expect state first SYN_SENT
fill socket at server               -> ok
fill connect listener               -> ok
fill2 socket at server              -> ok
fill2 connect listener              -> ok
expect recvq listener 2
fault unreachable client fragmentation
inject first>listener S seq=-1
expect wire listener>first S.
expect wire first>listener .
expect wire listener>first R
expect reason listener INVALID_SYN
expect state first CLOSE
first read 16                       -> ECONNRESET
