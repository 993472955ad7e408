# Reading a pipe's write end fails at once: the descriptor is not open for
# reading.
scenario read/write-end
title    "a read on a pipe's write end fails at once with EBADF"
on       pipe

client read 16              -> EBADF
expect took < 1s
