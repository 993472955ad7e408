# Seed 002: "EAGAIN ... Sending: the remaining space in the sending buffer
# is smaller than the size of the sending package". The first write moves
# what fits (how much depends on buffer sizes, so it is recorded, not
# expected); the next finds no room.
scenario write/nonblock-full
title    "a non-blocking write into full buffers: EAGAIN"
source   "002_c6fcfc34c2b6fccd.txt" "EAGAIN, sending"
on       tcp unix socketpair pipe

client nonblock on          -> ok
client write 16777216
client write 65536          -> EAGAIN
