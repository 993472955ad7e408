# Nobody listens: the connecting side is refused at once.
scenario connect/refused
title  "connecting to a bound socket that does not listen is refused"
source "002_c6fcfc34c2b6fccd.txt" "Econnrefused"
on     tcp unix
setup  none
limit  1s

l socket
l bind                      -> ok
c socket
c connect l                 -> ECONNREFUSED
expect tcp: wire l>c R.
c getsockopt SO_ERROR       -> 0
