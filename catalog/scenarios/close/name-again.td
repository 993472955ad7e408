# A program that closes a socket and makes a new one often gets the same
# descriptor number back, and goes on under the same name: packetdrill's
# scripts do (close(3), then socket(...) = 3). An actor closed may so be
# made again; the closed socket, whose connection goes on without a
# descriptor (FIN_WAIT2, then TIME_WAIT), is client#1 from then on, and
# its packets and states are not the new socket's.
scenario close/name-again
title    "a new socket under a closed actor's name: the old connection goes on as client#1"
note     "Sources: packetdrill scripts, where socket() after close() returns the same descriptor number and the script goes on with it"
on       tcp unix unixpacket

client close                -> ok
expect tcp: state client FIN_WAIT2
client socket               -> ok
client connect listener     -> ok
listener accept as server2  -> ok
client write "hi"           -> 2
expect tcp: wire client>server2 P.
server2 read 16             -> 2
server read 16              -> 0
server close                -> ok
expect tcp: no wire server>client F
expect tcp: state client ESTABLISHED
