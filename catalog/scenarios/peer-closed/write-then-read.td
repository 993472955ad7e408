# Seed 002, ECONNRESET paragraph: the server process ends first (FIN); the
# client, not noticing, sends a request, which the server's kernel answers
# with an RST, and then reads the reply. The read reports end of file, not
# the reset: the FIN came first ("server terminated prematurely").
scenario peer-closed/write-then-read
title    "server gone: the client's request draws an RST and its read returns EOF"
source   "002_c6fcfc34c2b6fccd.txt" "ECONNRESET: service process terminated earlier than the client"
on       tcp

server close                -> ok
expect state server FIN_WAIT2
expect state client CLOSE_WAIT
client write "request"      -> 7
expect wire server>client R
client read 16              -> 0
client write "again"        -> EPIPE+SIGPIPE
