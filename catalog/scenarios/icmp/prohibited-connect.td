scenario icmp/prohibited-connect
title    "ICMP prohibited unreachable answers the SYN: connect fails at once with EHOSTUNREACH"
net      routed
setup    listening
on       tcp

fault unreachable server prohibited
client connect listener     -> EHOSTUNREACH tcp6: EACCES
expect wire client>listener S
