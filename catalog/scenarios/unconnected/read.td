# A read on a socket that was never connected.
scenario unconnected/read
title    "read on a socket that was never connected"
setup    none
on       tcp unix unixpacket

a socket                    -> ok
a read 16                   -> ENOTCONN  unix: EINVAL
a read 16 nonblock          -> ENOTCONN  unix: EINVAL
