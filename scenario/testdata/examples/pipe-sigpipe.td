# Writing when nobody can read any more: EPIPE, and SIGPIPE unless the
# write asks for none.
scenario write-after-close/sigpipe
title  "write after the reader closed fails with EPIPE and raises SIGPIPE"
source "000_325bdd3517f7f05a.txt" "EPIPE"
source "004_c1973e0406ec7011.txt"
on     pipe socketpair unix

server close
client write "a"            -> EPIPE+SIGPIPE
client send "a" nosignal    -> EPIPE   pipe: ENOTSOCK
