#!/usr/bin/env python3
"""One side of one case: prog.py CASE ROLE ADDR PORT. Prints TRUTH lines."""
import asyncio, errno, json, os, select, signal, socket, ssl, struct, sys, time

case, role, addr, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
DIR = os.environ["REALPROGRAMS_CERT"]  # where run.py made cert.pem and key.pem


def truth(what, res):
    print("TRUTH " + json.dumps({"case": case, "role": role, "op": what, "got": res}), flush=True)


def name(e):
    if isinstance(e, ssl.SSLError):
        return type(e).__name__
    if isinstance(e, OSError) and e.errno:
        return errno.errorcode[e.errno]
    return type(e).__name__


def act(what):
    print("ACT " + what, flush=True)
    sys.stdin.readline()


def do(what, f):
    try:
        r = f()
    except Exception as e:
        truth(what, name(e))
        return None
    if isinstance(r, bytes):
        truth(what, "EOF" if r == b"" else "%d bytes" % len(r))
    else:
        truth(what, "ok")
    return r


def linger0(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def readable(s):
    select.select([s], [], [])


def recv_until(s, end=b"\r\n\r\n"):
    b = b""
    while end not in b:
        d = s.recv(4096)
        if not d:
            break
        b += d
    return b


# ---- servers: take the accepted socket
def srv(c):
    if case in ("orderly-client-first",):
        c.recv(100); c.sendall(b"resp"); do("recv", lambda: c.recv(100)); c.close()
    elif case in ("orderly-server-first", "orderly-server-first6"):
        c.recv(100); c.sendall(b"resp"); c.close(); truth("close", "ok")
    elif case in ("close-unread-read", "close-unread-read6", "close-unread-write", "asyncio-close-unread"):
        readable(c); time.sleep(0.05); c.close(); truth("close", "unread")
    elif case in ("linger0-server", "linger0-server6"):
        c.recv(100); linger0(c); c.close(); truth("close", "linger0")
    elif case == "linger0-client":
        c.recv(100); c.sendall(b"resp"); do("recv", lambda: c.recv(100)); c.close()
    elif case == "sigkill-server-unread":
        readable(c); truth("killed", "SIGKILL"); os.kill(os.getpid(), signal.SIGKILL)
    elif case == "sigkill-server-read":
        c.recv(100); truth("killed", "SIGKILL"); os.kill(os.getpid(), signal.SIGKILL)
    elif case == "sigkill-client-unread":
        c.sendall(b"x" * 100); time.sleep(0.3); do("send", lambda: c.send(b"more")); time.sleep(0.1)
        do("recv", lambda: c.recv(100)); c.close()
    elif case in ("vanish-user-timeout", "keepalive-timeout", "icmp-established"):
        time.sleep(4.5); c.close()
    elif case == "unread-after-close":
        c.recv(100); c.sendall(b"x" * 100000); c.close(); truth("close", "ok")
    elif case == "unread-after-lingering-close":
        c.recv(100); c.sendall(b"x" * 100000); c.shutdown(socket.SHUT_WR); do("recv", lambda: c.recv(100)); c.close()
    elif case == "icmp-transient":
        do("recv", lambda: c.recv(100)); do("send", lambda: c.send(b"ok")); time.sleep(1); c.close()
    elif case == "keepalive-race":
        recv_until(c); c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok")
        time.sleep(0.2); c.close(); truth("close", "idle keep-alive closed")
    elif case == "half-close":
        do("recv-all", lambda: recv_until(c, b"\0never")); c.sendall(b"reply"); c.close()
    elif case in ("tls-close-notify", "tls-plain-close"):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(DIR + "/cert.pem", DIR + "/key.pem")
        t = ctx.wrap_socket(c, server_side=True)
        t.recv(100); t.sendall(b"resp")
        if case == "tls-close-notify":
            do("unwrap", lambda: t.unwrap().close())
        else:
            t.close(); truth("close", "no close_notify")
    elif case == "http-reset":
        recv_until(c); c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789"); time.sleep(0.1)
        linger0(c); c.close(); truth("close", "linger0 mid-body")
    else:
        raise SystemExit("no server for " + case)


def conn(a=None, p=None, opts=()):
    s = socket.socket(fam, socket.SOCK_STREAM)
    for lvl, o, v in opts:
        s.setsockopt(lvl, o, v)
    s.connect((a or addr, p or port))
    return s


def cli():
    if case == "orderly-client-first":
        s = conn(); s.sendall(b"req"); s.recv(100); s.close(); truth("close", "ok")
    elif case in ("orderly-server-first", "orderly-server-first6"):
        s = conn(); s.sendall(b"req"); s.recv(100); do("recv", lambda: s.recv(100)); s.close()
    elif case in ("close-unread-read", "close-unread-read6"):
        s = conn(); s.sendall(b"hello"); time.sleep(0.3); do("recv", lambda: s.recv(100)); s.close()
    elif case == "close-unread-write":
        s = conn(); s.sendall(b"hello"); time.sleep(0.3); do("send", lambda: s.send(b"again"))
        do("send", lambda: s.send(b"again")); s.close()
    elif case == "asyncio-close-unread":
        async def main():
            r, w = await asyncio.open_connection(addr, port)
            w.write(b"hello"); await w.drain(); await asyncio.sleep(0.3)
            try:
                d = await r.read(100)
                truth("read", "EOF" if d == b"" else "data")
            except Exception as e:
                truth("read", name(e))
            w.close()
        asyncio.run(main())
    elif case in ("linger0-server", "linger0-server6"):
        s = conn(); s.sendall(b"req"); time.sleep(0.3); do("recv", lambda: s.recv(100)); s.close()
    elif case == "linger0-client":
        s = conn(); s.sendall(b"req"); s.recv(100); linger0(s); s.close(); truth("close", "linger0")
    elif case == "sigkill-server-unread":
        s = conn(); s.sendall(b"hello"); time.sleep(0.3); do("recv", lambda: s.recv(100)); s.close()
    elif case == "sigkill-server-read":
        s = conn(); s.sendall(b"hello"); time.sleep(0.3); do("recv", lambda: s.recv(100)); s.close()
    elif case == "sigkill-client-unread":
        s = conn(); readable(s); truth("killed", "SIGKILL"); os.kill(os.getpid(), signal.SIGKILL)
    elif case == "refused" or case == "refused6":
        do("connect", lambda: conn())
    elif case == "syn-timeout":
        do("connect", lambda: conn())
    elif case == "icmp-connect" or case == "icmp-connect6":
        do("connect", lambda: conn())
    elif case == "vanish-user-timeout":
        s = conn(opts=[(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, 1000)]); s.sendall(b"a")
        time.sleep(0.1); act("blackhole"); do("send", lambda: s.send(b"data")); do("recv", lambda: s.recv(100)); s.close()
    elif case == "keepalive-timeout":
        s = conn(opts=[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1), (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1),
                       (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1), (socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 2)])
        s.sendall(b"a"); time.sleep(0.1); act("blackhole"); do("recv", lambda: s.recv(100)); s.close()
    elif case == "icmp-established":
        s = conn(opts=[(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, 1500)]); s.sendall(b"a")
        time.sleep(0.1); act("unreachable"); do("send", lambda: s.send(b"data")); do("recv", lambda: s.recv(100)); s.close()
    elif case in ("unread-after-close", "unread-after-lingering-close"):
        s = conn(); s.sendall(b"GET"); s.recv(10); time.sleep(0.3); s.close(); truth("close", "10 of 100000 bytes read")
    elif case == "icmp-transient":
        s = conn(); act("unreachable"); do("send", lambda: s.send(b"data")); time.sleep(0.3); act("reachable")
        do("recv", lambda: s.recv(100)); time.sleep(1.5)
    elif case == "keepalive-race":
        s = conn(); s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"); s.recv(1000); time.sleep(0.4)
        do("send", lambda: s.send(b"GET /2 HTTP/1.1\r\nHost: x\r\n\r\n")); time.sleep(0.1)
        do("recv", lambda: s.recv(1000)); do("recv", lambda: s.recv(1000)); do("send", lambda: s.send(b"x")); s.close()
    elif case == "half-close":
        s = conn(); s.sendall(b"req"); s.shutdown(socket.SHUT_WR); do("recv", lambda: s.recv(100))
        do("recv", lambda: s.recv(100)); s.close()
    elif case in ("tls-close-notify", "tls-plain-close"):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); ctx.load_verify_locations(DIR + "/cert.pem"); ctx.check_hostname = False
        t = ctx.wrap_socket(conn(), suppress_ragged_eofs=False)
        t.sendall(b"req"); t.recv(100); time.sleep(0.1); do("recv", lambda: t.recv(100)); t.close()
    else:
        raise SystemExit("no client for " + case)


if role == "server":
    l = socket.socket(fam, socket.SOCK_STREAM)
    l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind((addr, port)); l.listen(5)
    print("READY", flush=True)
    c, _ = l.accept()
    srv(c)
else:
    cli()
