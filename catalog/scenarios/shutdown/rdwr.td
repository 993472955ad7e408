# SHUT_RDWR on each side: a FIN, EOF for the peer, EPIPE for a later
# write of one's own.
scenario shutdown/rdwr
title    "shutdown(SHUT_RDWR): the peer reads EOF and our own writes get EPIPE"
on       tcp local

client shutdown rdwr        -> ok
expect tcp: wire client>server F
server read 16              -> 0
client write "x"            -> EPIPE+SIGPIPE  unixpacket: EPIPE
client read 16              -> 0
server shutdown rdwr        -> ok
server write "x"            -> EPIPE+SIGPIPE  unixpacket: EPIPE
