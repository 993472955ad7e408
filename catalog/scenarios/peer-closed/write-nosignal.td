# Seed 004: send() with MSG_NOSIGNAL on a socketpair whose other end is
# closed fails with EPIPE and raises no signal; the same write without the
# flag does raise SIGPIPE. Seed 001: with SIGPIPE ignored, write returns -1
# and errno EPIPE. A seqpacket socket never raises SIGPIPE here.
scenario peer-closed/write-nosignal
title    "MSG_NOSIGNAL: EPIPE without SIGPIPE"
source   "004_c1973e0406ec7011.txt" "test_socketpair: send with MSG_NOSIGNAL"
source   "001_85100a8f6e5c0c67.txt" "signal(SIGPIPE, SIG_IGN): write returns -1 with EPIPE"
on       tcp local

server close                -> ok
tcp: client send "a" nosignal -> 1
client send "a" nosignal    -> EPIPE
client send "a"             -> EPIPE+SIGPIPE  unixpacket: EPIPE
