# A read blocked in one thread while another thread acts on the socket:
# shutdown(SHUT_RD) wakes it with 0, but close does not — the blocked call
# holds the socket, so it stays open (no FIN is sent) and the read waits
# on until its timeout (here the step limit). Programs that close a socket
# to stop a reading thread must shut it down first. The limit leaves the
# steps between an async read and what ends it half a second, which a
# loaded machine needs: a 20ms sleep was seen to take 157ms.
scenario read/close-while-blocked
title    "a read blocked in another thread: shutdown ends it, close does not"
on       tcp local
limit    500ms

server read 16 async      -> 0
sleep 20ms
server shutdown rd        -> ok
client read 16 async      -> blocked
sleep 20ms
client close              -> ok
expect tcp: no wire client>server F
expect tcp: state client ESTABLISHED
