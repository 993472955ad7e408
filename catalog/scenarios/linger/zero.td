# Seed 003, answer 2, and seed 004's last program: SO_LINGER with a zero
# time makes close() abort the connection with an RST, and the peer's
# next send fails with ECONNRESET. A unix socket has no such abort.
# Linux sends this RST from tcp_disconnect(), which names the reason
# TCP_STATE; TCP_ABORT_ON_LINGER is for a linger timeout that expires.
scenario linger/zero
title    "SO_LINGER 0: close sends RST; the peer's send gets ECONNRESET"
source   "003_8fdb2453c9e3390d.txt" "answer 2: set the linger time to zero"
source   "004_c1973e0406ec7011.txt" "struct linger lo = { 1, 0 } then close"
on       tcp local

client linger 0             -> ok
client close                -> ok
expect tcp: wire client>server R
expect tcp: no wire client>server F
expect tcp: reason client TCP_STATE
expect tcp: state server CLOSE
server send "a" nosignal    -> ECONNRESET  local: EPIPE
server send "a" nosignal    -> EPIPE
