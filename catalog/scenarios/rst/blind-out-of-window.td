# A blind RST outside the receive window, beyond it or just before its
# left edge (RCV.NXT - 1): RFC 5961 3.2 and RFC 9293 3.10.7.4 say to
# drop it silently, and tcp_validate_incoming (net/ipv4/tcp_input.c)
# does: not even the duplicate ACK that an unacceptable segment without
# RST gets (RFC 9293 3.10.7.4 acknowledges those, and drops one with
# RST). The connection does not notice, and data still flows both
# ways. rst/blind-in-window shows an RST inside the window.
scenario rst/blind-out-of-window
title    "a blind RST outside the window is dropped without an answer"
note     "Sources: RFC 5961 3.2; RFC 9293 3.10.7.4; tcp_validate_incoming and tcp_sequence in net/ipv4/tcp_input.c"
on       tcp

client write "hello"                -> 5
server read 16                      -> 5
inject server>client R seq=+100000000
expect no wire client>server .
expect state client ESTABLISHED
inject server>client R seq=-1
expect no wire client>server .
expect state client ESTABLISHED
client read 16 nonblock             -> EAGAIN
client write "still"                -> 5
server read 16                      -> 5
server write "here"                 -> 4
client read 16                      -> 4
