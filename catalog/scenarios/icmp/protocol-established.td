scenario icmp/protocol-established
title    "ICMP protocol unreachable on an established connection"
net      routed
on       tcp

client setsockopt TCP_USER_TIMEOUT 300 -> ok
fault unreachable server protocol
client write "hello?"       -> 6
client read 16              -> ENOPROTOOPT tcp6: EPROTO
expect took >= 300ms
expect state client CLOSE
