# Seed 002, ECONNABORTED paragraph: the client resets a connection that
# the server's kernel has completed but the server has not yet accepted.
# The seed says POSIX requires accept() to fail with ECONNABORTED; Linux
# hands the dead connection to accept() and reports the reset on it.
scenario accept/rst-before-accept
title    "RST before accept: Linux's accept() succeeds and the reset shows on the first read"
source   "002_c6fcfc34c2b6fccd.txt" "ECONNABORTED: RST after the handshake, before accept"
setup    listening
on       tcp unix unixpacket

client connect listener     -> ok
client linger 0             -> ok
client close                -> ok
expect tcp: wire client>listener R
listener accept             -> ok  seed: ECONNABORTED
server read 16              -> ECONNRESET  local: 0
server read 16              -> 0
