# Seed 002: "No route to host (soft error) causes an ICMP error that is
# inaccessible to the destination ... The client will retry multiple times
# at a scheduled time, an error is returned after a certain number of
# times." On a connection already made, ICMP unreachable is a soft error:
# TCP keeps retransmitting, and when it gives up it reports the ICMP's
# error rather than ETIMEDOUT.
scenario net/host-unreachable-established
title    "ICMP unreachable on an established connection: retransmissions, then EHOSTUNREACH"
source   "002_c6fcfc34c2b6fccd.txt" "EHOSTUNREACH ENETUNREACH: a soft error, returned after retries"
net      routed
on       tcp

client setsockopt TCP_USER_TIMEOUT 400 -> ok
fault unreachable server
client write "hello?"       -> 6
client read 16              -> EHOSTUNREACH
expect state client CLOSE
