# Seed 004, first program: the client closes; the server, in CLOSE_WAIT
# with the FIN counted in its Recv-Q, sends one byte; the client's kernel
# no longer has a socket to give it to and answers with an RST, after
# which neither side has the connection.
scenario close-vs-shutdown/close
title    "close: the server's later send draws an RST and the connection is gone"
source   "004_c1973e0406ec7011.txt" "close(c_sock) then send on the server"
on       tcp

client close                -> ok
expect wire client>server F
expect state client FIN_WAIT2
expect state server CLOSE_WAIT
expect recvq server 1
server send "a" nosignal    -> 1
expect wire client>server R
expect state client CLOSE
expect state server CLOSE
