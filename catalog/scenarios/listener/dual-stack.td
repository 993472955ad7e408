# An IPv6 socket bound to [::] takes IPv4 connections too, unless
# IPV6_V6ONLY: the IPv4 client's SYN reaches it, and the accepted socket is
# an IPv6 one whose addresses are IPv4-mapped (::ffff:127.0.0.1), while the
# wire carries IPv4. With IPV6_V6ONLY 1 no socket takes the IPv4 SYN: the
# kernel answers it with RST, and the connect is refused. An IPv4 socket
# has no IPV6_V6ONLY to set.
scenario listener/dual-stack
title    "a [::] listener takes an IPv4 client unless IPV6_V6ONLY, which refuses it"
note     "Sources: ipv6(7) IPV6_V6ONLY; gVisor test/syscalls/linux/socket_inet_loopback.cc, its V6Any listener with a V4Loopback or V4MappedLoopback connector, and IPV6_V6ONLY"
setup    none
on       tcp6

l socket                          -> ok
l getsockopt IPV6_V6ONLY          -> 0
l bind "[::]:0"                   -> ok
l listen                          -> ok
c socket tcp4                     -> ok
c connect l                       -> ok
expect wire c>l S
expect wire l>c S.
expect state c ESTABLISHED
l accept as s                     -> ok
c write "v4"                      -> 2
expect wire c>s P.
s read 16                         -> 2
s close                           -> ok
expect wire s>c F.
expect state c CLOSE_WAIT
l2 socket                         -> ok
l2 setsockopt IPV6_V6ONLY 1       -> ok
l2 bind "[::]:0"                  -> ok
l2 listen                         -> ok
c2 socket tcp4                    -> ok
c2 setsockopt IPV6_V6ONLY 1       -> ENOPROTOOPT
c2 connect l2                     -> ECONNREFUSED
expect wire c2>l2 S
expect wire l2>c2 R.
c3 socket                         -> ok
c3 connect l2                     -> ok
l2 accept as s3                   -> ok
