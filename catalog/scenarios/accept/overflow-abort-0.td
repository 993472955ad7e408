# The accept queue of a listen(fd, 0) holds one connection
# (sk_acceptq_is_full: more than the backlog). tcp_conn_request
# (net/ipv4/tcp_input.c) drops a SYN that arrives while the queue is
# full, before tcp_abort_on_overflow is looked at: that sysctl only
# decides what happens to the final ACK of a handshake whose SYN came in
# while there was room (tcp_check_req: RST with 1, ignored with 0). So a
# new client's connect gets no answer at all, whatever the sysctl says.
scenario accept/overflow-abort-0
title    "the accept queue is full: a new SYN is dropped, with tcp_abort_on_overflow 0"
note     "Sources: listen(2) (backlog); tcp_conn_request and tcp_check_req in net/ipv4/tcp_input.c and tcp_minisocks.c; ip-sysctl.rst tcp_abort_on_overflow"
setup    none
on       tcp

sysctl net.ipv4.tcp_abort_on_overflow 0
listener socket             -> ok
listener bind               -> ok
listener listen 0           -> ok
first socket                -> ok
first connect listener      -> ok
expect recvq listener 1
second socket               -> ok
second nonblock on          -> ok
second connect listener     -> EINPROGRESS
expect wire second>listener S
expect no wire listener>second S.
expect no wire listener>second R
expect state second SYN_SENT
