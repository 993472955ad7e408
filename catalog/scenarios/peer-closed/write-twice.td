# Seeds 001 and 003 (Unix Network Programming): after the peer's FIN, the
# first write succeeds and draws an RST; the second gets EPIPE and raises
# SIGPIPE. The RST arrived in CLOSE_WAIT, which Linux reports as EPIPE, not
# ECONNRESET.
scenario peer-closed/write-twice
title    "two writes after the peer's FIN: the first draws an RST, the second gets EPIPE+SIGPIPE"
source   "001_85100a8f6e5c0c67.txt" "broken pipe: first write gets an RST, the next one SIGPIPE"
source   "003_8fdb2453c9e3390d.txt" "question: writing twice to a closed socket"
source   "002_c6fcfc34c2b6fccd.txt" "EPIPE paragraph"
on       tcp

server close                -> ok
expect wire server>client F
expect state client CLOSE_WAIT
expect state server FIN_WAIT2
client write "one"          -> 3
expect wire server>client R
expect state client CLOSE
client write "two"          -> EPIPE+SIGPIPE
client write "three"        -> EPIPE+SIGPIPE
