# The other half of seed 001's observation: a killed process that had
# unread data resets its connections. It is the unread data, not the kill.
scenario exit/unread
title    "a peer process that exits with data unread sends RST"
source   "001_85100a8f6e5c0c67.txt" "connection reset by peer: only when the peer process is killed"
on       tcp

client write "unread"       -> 6
server close                -> ok
expect wire server>client R
expect reason server TCP_ABORT_ON_CLOSE
client read 16              -> ECONNRESET
