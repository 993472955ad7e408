# TCP Fast Open: with the namespace's tcp_fastopen letting a client send
# data without a cookie and a server take it (0x207: client and server on,
# no cookie needed either way), sendto(2) with MSG_FASTOPEN connects and
# puts the data in the SYN, and the listener's accepted socket has it at
# once. Without TCP_FASTOPEN on the listener the data waits for the
# handshake: the SYN's data is not acknowledged, and the client sends it
# again after.
scenario connect/fastopen
title    "TCP Fast Open: data in the SYN, with and without TCP_FASTOPEN on the listener"
setup    none
on       tcp

sysctl net.ipv4.tcp_fastopen 519
l socket                          -> ok
l bind                            -> ok
l setsockopt TCP_FASTOPEN 16      -> ok
l listen                          -> ok
c socket                          -> ok
c connect l fastopen "hello"      -> 5
expect wire l>c S.
expect no wire c>l P.
l accept as s                     -> ok
s read 16                         -> 5
l2 socket                         -> ok
l2 bind                           -> ok
l2 listen                         -> ok
c2 socket                         -> ok
c2 connect l2 fastopen "hello"    -> 5
expect wire c2>l2 P.
l2 accept as s2                   -> ok
s2 read 16                        -> 5
