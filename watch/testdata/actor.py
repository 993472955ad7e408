# A socket actor for watch's tests: it runs one command a line from stdin
# and answers "ok [N]" or "err ERRNO_NAME" on stdout. Python ignores
# SIGPIPE, so a write to a reset connection answers "err EPIPE".
import errno
import select
import socket
import struct
import sys

socks = {}


def reply(s):
    print(s, flush=True)


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


reply("ready")
for line in sys.stdin:
    w = line.split()
    if not w:
        continue
    try:
        if w[0] == "listen":
            ls = socket.socket(family(w[1]), socket.SOCK_STREAM)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind((w[1], int(w[2])))
            ls.listen(8)
            socks["l"] = ls
            reply("ok")
        elif w[0] == "accept":
            s, _ = socks["l"].accept()
            socks["s"] = s
            reply("ok")
        elif w[0] == "connect":
            c = socket.socket(family(w[1]), socket.SOCK_STREAM)
            socks["s"] = c
            c.connect((w[1], int(w[2])))
            reply("ok")
        elif w[0] == "send":
            reply("ok %d" % socks["s"].send(b"x" * int(w[1])))
        elif w[0] == "recv":
            reply("ok %d" % len(socks["s"].recv(int(w[1]))))
        elif w[0] == "readable":
            r, _, _ = select.select([socks["s"]], [], [], 5)
            reply("ok %d" % len(r))
        elif w[0] == "usertimeout":
            socks["s"].setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, int(w[1]))
            reply("ok")
        elif w[0] == "keepalive":
            s = socks["s"]
            s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, int(w[1]))
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, int(w[2]))
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, int(w[3]))
            reply("ok")
        elif w[0] == "linger0":
            socks["s"].setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            reply("ok")
        elif w[0] == "close":
            socks.pop(w[1] if len(w) > 1 else "s").close()
            reply("ok")
        elif w[0] == "exit":
            break
        else:
            reply("err unknown command " + w[0])
    except OSError as e:
        reply("err " + errno.errorcode.get(e.errno, str(e.errno)))
