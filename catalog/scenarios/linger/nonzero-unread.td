# Unread data beats linger: with bytes in its own receive queue, close()
# sends an RST whatever the linger time.
scenario linger/nonzero-unread
title    "SO_LINGER 1s with data unread: close still sends RST"
on       tcp

server write "unread"       -> 6
client linger 1             -> ok
client close                -> ok
expect wire client>server R
expect reason client TCP_ABORT_ON_CLOSE
server read 16              -> ECONNRESET
