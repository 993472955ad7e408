# Urgent data: send with MSG_OOB marks its last byte urgent. On TCP the
# segment carries URG and the urgent pointer; the receiver is told
# (POLLPRI) and reads that byte apart with recv MSG_OOB, while a plain read
# returns the bytes around it; a second recv MSG_OOB, with nothing urgent
# left, is EINVAL. With SO_OOBINLINE the byte stays in the stream: recv
# MSG_OOB is EINVAL, and a read stops at the urgent mark, so the byte comes
# with the next read. Linux's unix stream sockets do the same (since 5.15,
# CONFIG_AF_UNIX_OOB).
scenario read/urgent-data
title    "urgent data (send oob): read apart with read oob, or in the stream with SO_OOBINLINE"
note     "Sources: tcp(7) and socket(7) on MSG_OOB and SO_OOBINLINE; packetdrill's tcp/urgent tests; gVisor test/syscalls/linux/tcp_socket.cc OOB tests"
on       tcp unix
limit    500ms

client send "ab"                  -> 2
client send "x" oob               -> 1
expect tcp: wire client>server PU.
expect tcp: no wire server>client U
server poll in,pri timeout 0      -> POLLIN|POLLPRI
server read 1 oob                 -> 1
server read 16 nonblock           -> 2
server read 16 nonblock           -> EAGAIN
server read 1 oob                 -> EINVAL
server setsockopt SO_OOBINLINE 1  -> ok
client send "cd"                  -> 2
client send "y" oob               -> 1
server read 1 oob                 -> EINVAL
server read 16 nonblock           -> 2
server read 16 nonblock           -> 1
