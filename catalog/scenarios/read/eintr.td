# Seed 002: "EINTR: errno = 4, interrupted system call. The operation
# should continue."
scenario read/eintr
title    "a blocking read interrupted by a signal: EINTR, and the read can be retried"
source   "002_c6fcfc34c2b6fccd.txt" "EINTR"
note     "The lab's sockets carry SO_RCVTIMEO, so the kernel does not restart the read after the signal handler."
on       all

server read 16 interrupt 20ms -> EINTR
client write "retry"        -> 5
server read 16              -> 5
