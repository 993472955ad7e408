# Seed 002: "EAGAIN ... Sending: the remaining space in the sending buffer
# is smaller than the size of the sending package". The first write moves
# what fits (how much depends on the kernel's buffer sizes, so it is
# recorded, not expected); the next finds no room.
#
# TCP is left out on purpose: its send space keeps changing after the
# writes stop, as the receiver collapses its queue and the sender's
# zero-window probes reopen the window, so whether a later write finds room
# depends on timers, not on the scenario.
scenario write/nonblock-full
title    "a non-blocking write into full buffers: EAGAIN"
source   "002_c6fcfc34c2b6fccd.txt" "EAGAIN, sending"
on       unix socketpair pipe

client nonblock on          -> ok
client write 16777216
client write 65536          -> EAGAIN
