# Seed 000: "read() returning 0: the other side has closed the connection,
# and there is no outstanding outgoing data".
scenario peer-closed/read-eof
title    "peer closes with nothing unread; a read returns 0 (EOF)"
source   "000_325bdd3517f7f05a.txt" "read() returning 0"
on       all

client close                -> ok
expect tcp: wire client>server F
expect tcp: no wire client>server R
server read 16              -> 0
server read 16              -> 0
