# Seed 002: "ECONNREFUSED: the RST received in the SYN_SENT state usually
# indicates that the other party does not have the corresponding
# listening service", and RST generation condition 1.
scenario connect/refused
title    "connect to an address nobody listens on: RST, ECONNREFUSED"
source   "002_c6fcfc34c2b6fccd.txt" "ECONNREFUSED, and RST generation condition 1"
setup    none
on       tcp unix unixpacket

listener socket             -> ok
listener bind               -> ok
client socket               -> ok
client connect listener     -> ECONNREFUSED
expect tcp: wire client>listener S
expect tcp: wire listener>client R
expect tcp: reason listener NO_SOCKET
client getsockopt SO_ERROR  -> 0
