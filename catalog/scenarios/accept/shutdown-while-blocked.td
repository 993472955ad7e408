# A thread blocked in accept is woken by a shutdown of the listener (rd or
# rdwr ends its listen, and accept fails with EINVAL), not by a close from
# another thread: the call holds the socket, which stays listening, and
# the accept goes on until a connection comes (here, until the lab's
# limit). An accept that a connection wakes gives its socket to the actor
# it names, which the next statements use.
scenario accept/shutdown-while-blocked
title    "an accept blocked in another thread: shutdown of the listener ends it with EINVAL, close does not"
note     "Sources: gVisor test/syscalls/linux/socket_inet_loopback.cc and tcp_socket.cc, an accept blocked while another thread shuts the listener down or closes it"
setup    none
on       tcp unix unixpacket
limit    500ms

l socket                      -> ok
l bind                        -> ok
l listen                      -> ok
l accept as s async           -> EINVAL
sleep 20ms
l shutdown rd                 -> ok
l2 socket                     -> ok
l2 bind                       -> ok
l2 listen                     -> ok
l2 accept as s2 async         -> blocked
sleep 20ms
l2 close                      -> ok
l3 socket                     -> ok
l3 bind                       -> ok
l3 listen                     -> ok
l3 accept as s3 async         -> ok
sleep 20ms
c socket                      -> ok
c connect l3                  -> ok
s3 write "x"                  -> 1
c read 16                     -> 1
