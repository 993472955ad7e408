# Seed 003, answer 1: a server reads one byte and closes with more unread.
# The rest of what the client sent is lost, and the client is told so.
scenario close-unread/partial-read
title    "server reads part of a request and closes; the client's next send gets ECONNRESET"
source   "003_8fdb2453c9e3390d.txt" "answer 1: a server which reads a single byte and closes"
on       tcp4 tcp6 unix unixpacket socketpair

client write "ab"           -> 2
server read 1               -> 1
server close                -> ok
expect tcp: wire server>client R
expect tcp: reason server TCP_ABORT_ON_CLOSE
client send "c" nosignal    -> ECONNRESET  local: EPIPE
