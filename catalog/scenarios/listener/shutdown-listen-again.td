# shutdown(SHUT_RD) of a listening socket ends its listen: the
# connections waiting in its queue are reset (inet_csk_listen_stop),
# connects to its port are refused, and accept fails with EINVAL. The
# socket can listen again. Bound to port 0, it has let the port go
# (tcp_disconnect releases a port the socket did not choose), and
# listen takes another: the listener is known by that one.
scenario listener/shutdown-listen-again
title    "shutdown rd of a listener: queue reset, connects refused, and listen again on a new port"
note     "Sources: inet_shutdown and tcp_disconnect in net/ipv4; gVisor test/syscalls/linux/socket_inet_loopback.cc TCPListenShutdownListen"
setup    none
on       tcp

l socket                    -> ok
tcp4: l bind "127.0.0.1:0"  -> ok
tcp6: l bind "[::1]:0"      -> ok
l listen                    -> ok
c socket                    -> ok
c connect l                 -> ok
l shutdown rd               -> ok
expect wire l>c R
expect state l CLOSE
c read 16                   -> ECONNRESET
l accept as s               -> EINVAL
l listen                    -> ok
expect state l LISTEN
c2 socket                   -> ok
c2 connect l                -> ok
l accept as s2              -> ok
