# The client resets a connection that waits in the accept queue.
scenario accept/reset-before-accept
title  "a connection reset before accept"
source "002_c6fcfc34c2b6fccd.txt" "Econnaborted"
on     tcp
setup  listening

client connect listener     -> ok
client linger 0             -> ok
client close                -> ok
expect wire client>listener R.
listener accept             -> ok     seed: ECONNABORTED documented
server read 16              -> ECONNRESET
