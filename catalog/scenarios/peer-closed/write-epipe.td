# Seed 000: "EPIPE ... when one writes to a socket that has already been
# closed" (b.close; a.write => EPIPE on all OSes), and seed 004's
# socketpair and pipe programs. On a pipe or a unix socket the kernel knows
# the other end is gone; TCP only learns it from the peer's RST.
scenario peer-closed/write-epipe
title    "writing after the peer closed: EPIPE and SIGPIPE at once locally, after one RST on TCP"
source   "000_325bdd3517f7f05a.txt" "EPIPE example"
source   "004_c1973e0406ec7011.txt" "test_socketpair and test_pipe"
on       all

server close                -> ok
client write "foo"          -> EPIPE+SIGPIPE  tcp: 3  unixpacket: EPIPE  seed/tcp: EPIPE
expect tcp: wire server>client R
tcp: client write "foo"     -> EPIPE+SIGPIPE
