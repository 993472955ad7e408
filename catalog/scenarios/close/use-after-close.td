# Using a descriptor after one's own close(): the descriptor no longer
# exists, whatever happened to the connection.
scenario close/use-after-close
title    "write, read and close after one's own close: EBADF"
on       all

client close                -> ok
client write "x"            -> EBADF
client read 16              -> EBADF
client close                -> EBADF
