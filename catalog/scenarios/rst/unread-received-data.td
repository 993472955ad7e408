# An RST arrives while data the peer sent earlier is still unread in our
# receive queue. Is it still there to read?
scenario rst/unread-received-data
title    "RST arrives while received data is unread: the connection is closed, yet the data is still read first"
on       tcp

server write "hello"        -> 5
server linger 0             -> ok
server close                -> ok
expect wire server>client R
expect state client CLOSE
client read 16              -> 5
client read 16              -> ECONNRESET
client read 16              -> 0
