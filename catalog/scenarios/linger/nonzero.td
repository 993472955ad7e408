# Seed 003, answer 2: a non-zero linger time lets close() wait for pending
# data to go out, then ends with a FIN: nothing is lost.
scenario linger/nonzero
title    "SO_LINGER 1s with data pending: close waits, sends it and a FIN"
source   "003_8fdb2453c9e3390d.txt" "answer 2: the linger time is the time close may block"
on       tcp local

client write "goodbye"      -> 7
client linger 1             -> ok
client close                -> ok
# The peer acknowledged the bytes before the close, so nothing is pending
# and close returns at once: the linger time bounds the wait, it is not a
# delay.
expect took < 1s
expect tcp: wire client>server F
expect tcp: no wire client>server R
server read 16              -> 7
server read 16              -> 0
