# Seed 004: "if the server calls shutdown with SHUT_WR before it tries to
# write, it will actually get the EPIPE error".
scenario shutdown/wr-then-write
title    "writing after one's own shutdown(SHUT_WR): EPIPE"
source   "004_c1973e0406ec7011.txt" "shutdown(s_sock, SHUT_WR) then send"
on       tcp local

server shutdown wr          -> ok
server send "a" nosignal    -> EPIPE
server write "a"            -> EPIPE+SIGPIPE  unixpacket: EPIPE
client read 16              -> 0
client write "still open"   -> 10
server read 16              -> 10
