# SHUT_RD on TCP sends nothing: the peer may go on sending and the data is
# still delivered. A unix socket tells its peer, whose writes then fail.
scenario shutdown/rd
title    "shutdown(SHUT_RD): TCP's peer is not told and may still send; unix's peer gets EPIPE"
on       tcp local

client shutdown rd          -> ok
expect tcp: no wire client>server F
client read 16              -> 0
server write "late"         -> 4  local: EPIPE+SIGPIPE  unixpacket: EPIPE
client read 16              -> 4  local: 0
server shutdown rd          -> ok
client write "x"            -> 1  local: EPIPE+SIGPIPE  unixpacket: EPIPE
