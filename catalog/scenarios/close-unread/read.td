# Seed 000, examples 1 and 2: data we sent is still unread when the peer
# closes. The kernel cannot deliver it, so it tells the reader the
# connection was reset instead of ending it cleanly.
scenario close-unread/read
title    "peer closes with our data unread; the reader gets ECONNRESET, then EOF"
source   "000_325bdd3517f7f05a.txt" "example 1 (PF_LOCAL read) and example 2 (TCP read)"
on       tcp4 tcp6 unix unixpacket socketpair

client write "hello"        -> 5
server close                -> ok
expect tcp: wire server>client R
expect tcp: reason server TCP_ABORT_ON_CLOSE
client read 16              -> ECONNRESET  darwin: 0 documented
expect tcp: state client CLOSE
client read 16              -> 0
