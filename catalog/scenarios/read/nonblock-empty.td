# Seed 002: "EAGAIN ... generally caused by non-blocking read/write.
# Receiving: ... errno 11 ... wait for the read to be triggered again."
scenario read/nonblock-empty
title    "a non-blocking read with nothing to read: EAGAIN"
source   "002_c6fcfc34c2b6fccd.txt" "EAGAIN, receiving"
on       all

tcp,local: server read 16 nonblock -> EAGAIN
server nonblock on          -> ok
server read 16              -> EAGAIN
client write "now"          -> 3
server read 16              -> 3
