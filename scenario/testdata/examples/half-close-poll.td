# A half-close is not an error: the reader sees end of file, and can still
# write.
scenario half-close/poll
title  "after the peer's shutdown wr, poll reports POLLIN|POLLRDHUP and read returns 0"
on     tcp unix
limit  500ms

server shutdown wr                    -> ok
expect tcp: wire server>client F.
client poll in,rdhup timeout 100ms    -> POLLIN|POLLRDHUP
client read 16 nonblock               -> 0
client write 3                        -> 3
expect tcp: state server FIN_WAIT2
expect tcp: recvq server 3
server read 16 timeout 200ms          -> 3
server read 16 timeout 200ms          -> EAGAIN
