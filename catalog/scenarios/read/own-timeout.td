# A receive timeout the program sets itself (SO_RCVTIMEO) ends a blocking
# read with EAGAIN when it runs out: the kernel's answer, not the lab's
# limit, which is longer.
scenario read/own-timeout
title    "SO_RCVTIMEO set by the program: the read fails with EAGAIN after it"
on       tcp local

client setsockopt SO_RCVTIMEO 100 -> ok
client read 16              -> EAGAIN
expect took >= 100ms
expect took < 1s
client getsockopt SO_RCVTIMEO -> 100
