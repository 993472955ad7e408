# A client that binds its port (SO_REUSEADDR) and connects again to the
# same server after closing first makes a connection on the addresses of
# its own TIME_WAIT. Linux takes them over at once when the TIME_WAIT has
# a timestamp and the port was bound before connect (tcp_twsk_unique in
# net/ipv4/tcp_ipv4.c; without bind, tcp_tw_reuse decides and waits a
# second): the TIME_WAIT is gone, both old ends are CLOSE, and the
# packets on these addresses are the new connection's. A third socket on
# the same port is refused the 4-tuple: EADDRNOTAVAIL.
scenario time-wait/reuse
title    "connecting again from the port of one's own TIME_WAIT: the TIME_WAIT gives way to the new connection"
note     "Sources: tcp_twsk_unique and __inet_hash_connect in net/ipv4; ip-sysctl.rst tcp_tw_reuse; gVisor test/syscalls/linux/socket_inet_loopback.cc (TIME_WAIT reuse tests)"
setup    none
on       tcp

l socket                            -> ok
l bind                              -> ok
l listen                            -> ok
c socket                            -> ok
c setsockopt SO_REUSEADDR 1         -> ok
c bind                              -> ok
c connect l                         -> ok
l accept as s                       -> ok
c close                             -> ok
s close                             -> ok
expect state c TIME_WAIT
c2 socket                           -> ok
c2 setsockopt SO_REUSEADDR 1        -> ok
c2 bind c                           -> ok
c2 connect l                        -> ok
expect wire c2>l S
expect no wire c>s S
expect state c CLOSE
expect state s CLOSE
l accept as s2                      -> ok
c2 write "x"                        -> 1
expect wire c2>s2 P.
expect state s2 ESTABLISHED
c3 socket                           -> ok
c3 setsockopt SO_REUSEADDR 1        -> ok
c3 bind c                           -> ok
c3 connect l                        -> EADDRNOTAVAIL
