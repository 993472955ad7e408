# The server host vanishes (its link goes down): nothing answers the
# client's retransmissions, and TCP_USER_TIMEOUT decides when to give up.
scenario net/peer-vanished
title "the server host vanishes; the client's retransmissions give up: ETIMEDOUT"
note  "without TCP_USER_TIMEOUT the kernel retries for about 15 minutes (tcp_retries2)"
net   direct
on    tcp

client setsockopt TCP_USER_TIMEOUT 300   -> ok
fault drop server
client write "anyone?"                   -> 7
expect no wire server>client R
client read 16                           -> ETIMEDOUT
expect state client CLOSE
