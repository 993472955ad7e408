# The router answers for a server that is gone: ICMP host unreachable, and
# the connect fails at once instead of retrying its SYN.
scenario net/host-unreachable
title "the router answers for the server: connect fails with EHOSTUNREACH"
net   routed
on    tcp
setup none

l socket at server
l bind                      -> ok
l listen                    -> ok
c socket
fault unreachable server
c connect l                 -> EHOSTUNREACH
fault heal server
c2 socket at client
c2 connect l                -> ok
l accept as s               -> ok   # lives on the server host, like l
