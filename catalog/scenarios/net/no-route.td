# Seed 002, ENETUNREACH: with no route to the server's network, the client's
# own kernel refuses at once; nothing goes on the wire.
scenario net/no-route
title    "no route to the server's network: connect fails at once with ENETUNREACH"
source   "002_c6fcfc34c2b6fccd.txt" "EHOSTUNREACH ENETUNREACH"
net      direct
setup    listening
on       tcp

fault noroute client
client connect listener     -> ENETUNREACH
expect no wire client>listener S
