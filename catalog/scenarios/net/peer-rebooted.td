# Seed 002: "After the server is restarted, all the previous connection
# information does not exist ... the client will respond RST", and RST
# generation condition 3: "TCP receives a segment that does not have a
# connection at all ... Recipient's return ECONNRESET."
scenario net/peer-rebooted
title    "the server host reboots and forgets the connection: the next segment draws an RST"
source   "002_c6fcfc34c2b6fccd.txt" "the server restarted: RST, and RST generation condition 3"
net      direct
on       tcp

fault reboot server
expect no wire server>client R
expect no wire server>client F
client write "still there?" -> 12
expect wire server>client R
expect reason server NO_SOCKET
client read 16              -> ECONNRESET
