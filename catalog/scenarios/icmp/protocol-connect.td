scenario icmp/protocol-connect
title    "ICMP protocol unreachable answers the SYN: connect fails at once with ENOPROTOOPT"
net      routed
setup    listening
on       tcp

fault unreachable server protocol
client connect listener     -> ENOPROTOOPT tcp6: EPROTO
expect wire client>listener S
