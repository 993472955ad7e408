scenario icmp/port-established
title    "ICMP port unreachable on an established connection"
net      routed
on       tcp

client setsockopt TCP_USER_TIMEOUT 300 -> ok
fault unreachable server port
client write "hello?"       -> 6
client read 16              -> ECONNREFUSED
expect took >= 300ms
expect state client CLOSE
