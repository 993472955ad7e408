# Seed 003, answer 2: "a FIN followed by an RST ... for a recv() call,
# this RST has no effect as there was a FIN before, recv() will report
# having read zero bytes."
scenario rst/after-fin
title    "RST after FIN: the read still reports EOF; a write reports the broken pipe"
source   "003_8fdb2453c9e3390d.txt" "answer 2, reason 1: the FIN is followed by an RST"
on       tcp

server shutdown wr          -> ok
expect wire server>client F
server linger 0             -> ok
server close                -> ok
expect wire server>client R
client read 16              -> 0
client write "x"            -> EPIPE+SIGPIPE
