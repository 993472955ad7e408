scenario icmp/prohibited-established
title    "ICMP prohibited unreachable on an established connection"
net      routed
on       tcp

client setsockopt TCP_USER_TIMEOUT 300 -> ok
fault unreachable server prohibited
client write "hello?"       -> 6
client read 16              -> EHOSTUNREACH tcp6: EACCES
expect took >= 300ms
expect state client CLOSE
