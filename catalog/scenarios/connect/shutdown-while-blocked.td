# A connect waits for the handshake (TCP) or for room in the listener's
# backlog (unix); here the backlog is full, so the SYN is dropped and the
# connect blocks. A shutdown from another thread ends a TCP connect: the
# socket leaves SYN_SENT (tcp_disconnect) and connect fails with
# ECONNRESET, sending nothing. A unix connect is not woken by a shutdown.
# A close from another thread ends neither: the call holds the socket.
scenario connect/shutdown-while-blocked
title    "a connect blocked in another thread: shutdown ends it on TCP (ECONNRESET), close does not"
note     "Sources: gVisor test/syscalls/linux/tcp_socket.cc, a blocking connect to a full backlog closed or shut down from another thread"
setup    none
on       tcp unix
limit    500ms

l socket                      -> ok
l bind                        -> ok
l listen 0                    -> ok
c1 socket                     -> ok
c1 connect l                  -> ok
c socket                      -> ok
c connect l async             -> ECONNRESET   unix: blocked
expect tcp: wire c>l S
sleep 20ms
expect tcp: state c SYN_SENT
c shutdown rdwr               -> ok
expect tcp: no wire c>l R
expect tcp: state c CLOSE
c2 socket                     -> ok
c2 connect l async            -> blocked
sleep 20ms
c2 close                      -> ok
expect tcp: no wire c2>l F
