# As accept/overflow-ack-abort-1 (which explains how the final ACK is
# made to come late), with tcp_abort_on_overflow 0, the default: the ACK
# that finds the queue full is dropped without a word (tcp_check_req
# marks the request acked and keeps it), and the client, whose connect
# has succeeded, knows nothing. The server retransmits its SYN-ACK on the
# request's timer, a second after the SYN came (TCP_TIMEOUT_INIT; the
# route's rto_min does not shorten it), and again 2s later; by then a
# connection has been accepted, so the client's answer finds room and
# completes the connection, which is accepted after the two that filled
# the queue. The sleep of 2.5s sees one of those retransmissions after
# the accept even when the steps before it took up to 3s, as they can on
# a loaded machine (an earlier one, before the accept, is dropped as the
# first ACK was).
scenario accept/overflow-ack-abort-0
title    "the handshake's final ACK meets a full accept queue: dropped with tcp_abort_on_overflow 0, the SYN-ACK retransmitted"
note     "Sources: ip-sysctl.rst tcp_abort_on_overflow; tcp_check_req in net/ipv4/tcp_minisocks.c; reqsk_timer_handler in net/ipv4/inet_connection_sock.c; RFC 6298 (the 1s initial timeout)"
slow     "the SYN-ACK retransmission waits TCP_TIMEOUT_INIT: 1s, and 3s for the next"
net      routed
setup    none
on       tcp

sysctl server net.ipv4.tcp_abort_on_overflow 0
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
expect no wire listener>first R
expect state first ESTABLISHED
expect recvq listener 2
first read 16 nonblock              -> EAGAIN
listener accept as s1               -> ok
sleep 2500ms
expect wire listener>first S.
expect wire first>listener .
expect recvq listener 2
listener accept as s2               -> ok
listener accept as s3               -> ok
first write "hi"                    -> 2
s3 read 16                          -> 2
