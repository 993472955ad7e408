# Seed 000, examples 3 and 4: the same close with unread data, but we write
# instead of reading. On TCP the RST has arrived and the write reports it;
# a unix stream socket has no RST and reports a broken pipe. A seqpacket
# socket reports the reset, and its broken pipe raises no SIGPIPE.
scenario close-unread/write
title    "peer closes with our data unread; the next write gets ECONNRESET on TCP, EPIPE on unix"
source   "000_325bdd3517f7f05a.txt" "example 3 (PF_LOCAL write) and example 4 (TCP write)"
source   "003_8fdb2453c9e3390d.txt" "answer 1, the ECONNRESET case"
on       tcp4 tcp6 unix unixpacket socketpair

client write "hello"        -> 5
server close                -> ok
expect tcp: wire server>client R
client write "world"        -> ECONNRESET  local: EPIPE+SIGPIPE  unixpacket: ECONNRESET  darwin/tcp: 5 documented  darwin/local: EPIPE documented
client write "world"        -> EPIPE+SIGPIPE  unixpacket: EPIPE
