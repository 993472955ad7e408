# epoll level-triggered reports unread data on every wait; edge-triggered
# once per arrival, so a program that does not read everything waits
# forever on data it already has. The peer's close is a new edge. Once
# the descriptor is closed it has left the epoll instance: nothing more is
# reported, not even a hangup. A TCP peer's FIN is EPOLLIN|EPOLLRDHUP (our
# side can still send); a unix peer's close is a hangup as well; a pipe's
# read end sees only EPOLLHUP. A seqpacket read returns one record.
scenario epoll/edge-triggered
title    "epoll level and edge triggered: data, a second arrival, the peer's close, our close"
on       tcp local pipe

client write "a"                          -> 1
server epoll in timeout 0                 -> EPOLLIN
server epoll in timeout 0                 -> EPOLLIN
server epoll in edge timeout 0            -> EPOLLIN
server epoll in edge timeout 0            -> 0
client write "b"                          -> 1
server epoll in edge timeout 0            -> EPOLLIN
server read 16                            -> 2  unixpacket: 1
server epoll in edge timeout 50ms         -> 0
client close                              -> ok
server epoll in,rdhup edge timeout 0      -> EPOLLIN|EPOLLRDHUP  local: EPOLLHUP|EPOLLIN|EPOLLRDHUP  pipe: EPOLLHUP
server close                              -> ok
server epoll in,rdhup edge timeout 50ms   -> 0
