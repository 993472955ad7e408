# shutdown() on a socket that was never connected: TCP refuses, a unix
# socket accepts it.
scenario unconnected/shutdown
title    "shutdown on a socket that was never connected"
setup    none
on       tcp unix unixpacket

a socket                    -> ok
a shutdown wr               -> ENOTCONN  local: ok
a shutdown rdwr             -> ENOTCONN  local: ok
