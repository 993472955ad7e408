# A seqpacket socket sends records whole: one larger than the send buffer
# can never go, and the kernel says so instead of blocking.
scenario write/seqpacket-too-big
title    "a seqpacket record larger than the send buffer: EMSGSIZE"
on       unixpacket

client write 16777216        -> EMSGSIZE
client write 1024            -> 1024
server read 16777216         -> 1024
