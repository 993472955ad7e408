scenario icmp/net-established
title    "ICMP net unreachable on an established connection"
net      routed
on       tcp

client setsockopt TCP_USER_TIMEOUT 300 -> ok
fault unreachable server net
client write "hello?"       -> 6
client read 16              -> ENETUNREACH
expect took >= 300ms
expect state client CLOSE
