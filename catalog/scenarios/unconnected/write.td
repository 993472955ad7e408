# A write on a socket that was never connected. TCP treats it as a broken
# pipe, SIGPIPE included.
scenario unconnected/write
title    "write on a socket that was never connected"
setup    none
on       tcp unix unixpacket

a socket                    -> ok
a write "x"                 -> EPIPE+SIGPIPE  local: ENOTCONN
a send "x" nosignal         -> EPIPE  local: ENOTCONN
