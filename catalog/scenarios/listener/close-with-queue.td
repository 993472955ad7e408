# A listener closed with connections its kernel completed but nobody
# accepted: each is reset, and the client learns it on its next read.
scenario listener/close-with-queue
title    "listener closed with unaccepted connections: the clients are reset"
setup    listening
on       tcp unix unixpacket

client connect listener     -> ok
client write "queued"       -> 6
listener close              -> ok
expect tcp: wire listener>client R
client read 16              -> ECONNRESET
client read 16              -> 0
