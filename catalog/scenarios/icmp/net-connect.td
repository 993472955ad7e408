scenario icmp/net-connect
title    "ICMP net unreachable answers the SYN: connect fails at once with ENETUNREACH"
net      routed
setup    listening
on       tcp

fault unreachable server net
client connect listener     -> ENETUNREACH
expect wire client>listener S
