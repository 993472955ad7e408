# Seed 001 says a killed peer process sends RST rather than FIN, so that
# reads get "connection reset by peer". A process's exit closes its
# descriptors exactly as close() does (the lab closes the server here):
# with nothing unread the kernel sends a FIN, and the reader sees EOF.
scenario exit/no-unread
title    "a peer process that exits with nothing unread sends FIN, not RST"
source   "001_85100a8f6e5c0c67.txt" "connection reset by peer: only when the peer process is killed"
on       tcp

server close                -> ok
expect wire server>client F
expect no wire server>client R
client read 16              -> 0  seed: ECONNRESET
