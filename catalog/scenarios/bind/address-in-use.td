# bind to an address a socket already holds: the same address, and the
# wildcard over it, get EADDRINUSE; an address the host does not have gets
# EADDRNOTAVAIL. A failed bind leaves the socket unbound, so the next one
# may succeed. A unix path is held by its file.
scenario bind/address-in-use
title    "bind to an address in use, to the wildcard over it, and to one the host lacks"
setup    none
on       tcp4 tcp6 unix unixpacket

a socket                                -> ok
b socket                                -> ok
c socket                                -> ok
tcp4:  a bind "127.0.0.1:47391"         -> ok
tcp6:  a bind "[::1]:47391"             -> ok
local: a bind "a.sock"                  -> ok
a listen                                -> ok
tcp4:  b bind "127.0.0.1:47391"         -> EADDRINUSE
tcp4:  c bind "0.0.0.0:47391"           -> EADDRINUSE
tcp4:  c bind "198.18.0.1:0"            -> EADDRNOTAVAIL
tcp6:  b bind "[::1]:47391"             -> EADDRINUSE
tcp6:  c bind "[::]:47391"              -> EADDRINUSE
tcp6:  c bind "[2001:db8::1]:0"         -> EADDRNOTAVAIL
tcp6:  c bind "127.0.0.1:0"             -> EINVAL
local: b bind "a.sock"                  -> EADDRINUSE
local: c bind "no-such-dir/a.sock"      -> ENOENT
b bind                                  -> ok
