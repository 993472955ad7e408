# SHUT_WR on each side in turn: each FIN ends one direction only.
scenario shutdown/wr
title    "shutdown(SHUT_WR) on each side ends one direction at a time"
on       tcp local

client shutdown wr          -> ok
expect tcp: wire client>server F
server read 16              -> 0
server write "reply"        -> 5
client read 16              -> 5
server shutdown wr          -> ok
expect tcp: wire server>client F
client read 16              -> 0
expect tcp: state client TIME_WAIT
