# A blocking read with nothing coming never returns by itself. The lab ends
# it at the step's limit and goes on.
scenario read/blocked
title    "a blocking read with nothing coming stays blocked"
limit    50ms
on       all

server read 16              -> blocked
client write "late"         -> 4
server read 16              -> 4
