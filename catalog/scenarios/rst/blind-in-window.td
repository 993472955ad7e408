# A blind RST: one made by someone who knows the 4-tuple but not the
# receiver's next expected sequence number (RFC 5961 2). RFC 793 reset a
# connection for any RST inside the window; RFC 5961 3.2, which Linux
# follows (tcp_validate_incoming in net/ipv4/tcp_input.c), resets it only
# for an RST exactly at RCV.NXT, and answers one elsewhere in the window
# with a challenge ACK (tcp_send_challenge_ack): an ACK carrying the right
# numbers, so that a real peer that did reset replies with an exact RST.
# The connection lives on, and data still flows; the exact RST then
# resets it, and the read reports ECONNRESET. The receiver sends no RST
# of its own (RFC 9293 3.10.7.4: an RST is never answered).
scenario rst/blind-in-window
title    "a blind RST inside the window draws a challenge ACK; only the exact one resets"
note     "Sources: RFC 5961 3.2; RFC 9293 3.10.7.4; tcp_validate_incoming and tcp_send_challenge_ack in net/ipv4/tcp_input.c"
on       tcp

client write "hello"                -> 5
server read 16                      -> 5
inject server>client R seq=+1000
expect wire client>server .
expect state client ESTABLISHED
client read 16 nonblock             -> EAGAIN
server write "still"                -> 5
client read 16                      -> 5
inject server>client R
expect no wire client>server .
expect no wire client>server R
expect state client CLOSE
client read 16                      -> ECONNRESET
client write "gone"                 -> EPIPE+SIGPIPE
