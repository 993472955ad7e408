# Seed 002: "If an intermediate router determines that the server host is
# no longer reachable, it will generally respond to the Destination
# Unreachable ICMP message. The error returned ... is EHOSTUNREACH." A
# connect gets the error at once: it is fatal for a connection not yet
# made.
scenario net/host-unreachable
title    "a router answers ICMP host unreachable: connect fails with EHOSTUNREACH"
source   "002_c6fcfc34c2b6fccd.txt" "ETIMEDOUT paragraph: an intermediate router answers Destination Unreachable"
net      routed
setup    listening
on       tcp

fault unreachable server
client connect listener     -> EHOSTUNREACH
expect wire client>listener S
fault heal server
