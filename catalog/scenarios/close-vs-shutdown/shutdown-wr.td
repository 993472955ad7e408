# Seed 004, second program: shutdown(SHUT_WR) instead of close. The FIN is
# the same, but the client keeps its socket and can still receive: the
# server's byte is acknowledged, not reset, and both ends stay half-open.
scenario close-vs-shutdown/shutdown-wr
title    "shutdown(SHUT_WR): the server's later send is acknowledged and the client can read it"
source   "004_c1973e0406ec7011.txt" "shutdown(c_sock, SHUT_WR) then send on the server"
on       tcp

client shutdown wr          -> ok
expect wire client>server F
expect state client FIN_WAIT2
expect state server CLOSE_WAIT
server send "a" nosignal    -> 1
expect no wire client>server R
expect wire client>server .
expect state client FIN_WAIT2
expect recvq client 1
expect recvq server 1
server read 16              -> 0
client read 16              -> 1
