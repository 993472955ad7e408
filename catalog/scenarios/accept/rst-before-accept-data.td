# As accept/rst-before-accept, with a request sent before the reset: does
# the server get to read it?
scenario accept/rst-before-accept-data
title    "RST before accept with data: what the accepted socket still holds"
source   "002_c6fcfc34c2b6fccd.txt" "ECONNABORTED: RST after the handshake, before accept"
setup    listening
on       tcp unix unixpacket

client connect listener     -> ok
client write "hello"        -> 5
client linger 0             -> ok
client close                -> ok
expect tcp: wire client>listener R
listener accept             -> ok  seed: ECONNABORTED
server read 16              -> 5
server read 16              -> ECONNRESET  local: 0
