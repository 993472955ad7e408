# Seed 002, ETIMEDOUT: the server host crashes; the client's TCP keeps
# retransmitting and, when it gives up, reports ETIMEDOUT. The kernel's
# default would take about 15 minutes (tcp_retries2); TCP_USER_TIMEOUT
# shortens it to 150ms.
scenario net/peer-vanished
title    "the server host vanishes; the client's retransmissions give up: ETIMEDOUT"
source   "002_c6fcfc34c2b6fccd.txt" "ETIMEDOUT: the server host crashes"
net      direct
on       tcp

client setsockopt TCP_USER_TIMEOUT 150 -> ok
fault drop server
client write "anyone?"      -> 7
expect no wire server>client R
client read 16              -> ETIMEDOUT
expect state client CLOSE
client write "again"        -> EPIPE+SIGPIPE
