# The peer closes without reading what we sent: it answers with RST, not FIN,
# and the reader is told ECONNRESET instead of end of file.
scenario close-unread/read
title    "peer closes with unread data; the reader gets ECONNRESET"
source   "000_325bdd3517f7f05a.txt" "example 1"
source   "000_325bdd3517f7f05a.txt" "example 2"
note     "OS X answers 0 (end of file) according to the seed."
on       tcp4 tcp6 unix socketpair

client write "hello"     -> 5
server close                          # "hello" is still unread
expect tcp: wire server>client R
expect tcp: reason server TCP_ABORT_ON_CLOSE
client read 16           -> ECONNRESET   darwin: 0 documented
client read 16           -> 0
expect tcp: state client CLOSE
