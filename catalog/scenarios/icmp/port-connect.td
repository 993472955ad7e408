scenario icmp/port-connect
title    "ICMP port unreachable answers the SYN: connect fails at once with ECONNREFUSED"
net      routed
setup    listening
on       tcp

fault unreachable server port
client connect listener     -> ECONNREFUSED
expect wire client>listener S
