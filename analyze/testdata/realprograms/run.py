#!/usr/bin/env python3
"""Runs every case between real programs (prog.py, curl, wget, python's
http.server) in the namespaces ar-c, ar-r, ar-s that topo.sh makes, under four
captures (client, router's client side, router's server side with a snap
length of 96, server), then runs teardown analyze --json on each capture.

usage (root): run.py OUTDIR   (TEARDOWN names the binary, default teardown)
then: cmp.py OUTDIR
"""
import json, os, signal, subprocess, sys, time

D = os.path.dirname(os.path.abspath(__file__))
TD = os.environ.get("TEARDOWN", "teardown")
V4, V6 = "198.18.2.1", "2001:db8:2::1"
DROP4, DROP6 = "198.18.2.2", "2001:db8:2::2"
UN4, UN6 = "198.18.2.3", "2001:db8:2::3"

# name, server address, server kind, client kind, action before the client starts
CASES = [
    ("orderly-client-first", V4, "py", "py", None),
    ("orderly-server-first", V4, "py", "py", None),
    ("orderly-server-first6", V6, "py", "py", None),
    ("close-unread-read", V4, "py", "py", None),
    ("close-unread-read6", V6, "py", "py", None),
    ("close-unread-write", V4, "py", "py", None),
    ("asyncio-close-unread", V4, "py", "py", None),
    ("linger0-server", V4, "py", "py", None),
    ("linger0-server6", V6, "py", "py", None),
    ("linger0-client", V4, "py", "py", None),
    ("sigkill-server-unread", V4, "py", "py", None),
    ("sigkill-server-read", V4, "py", "py", None),
    ("sigkill-client-unread", V4, "py", "py", None),
    ("refused", V4, None, "py", None),
    ("refused6", V6, None, "py", None),
    ("curl-refused", V4, None, "curl", None),
    ("syn-timeout", DROP4, None, "py", "blackhole"),
    ("icmp-connect", UN4, None, "py", "unreachable"),
    ("icmp-connect6", UN6, None, "py", "unreachable"),
    ("curl-icmp", UN4, None, "curl", "unreachable"),
    ("vanish-user-timeout", DROP4, "py", "py", None),
    ("keepalive-timeout", DROP4, "py", "py", None),
    ("icmp-established", UN4, "py", "py", None),
    ("keepalive-race", V4, "py", "py", None),
    ("unread-after-close", V4, "py", "py", None),
    ("unread-after-lingering-close", V4, "py", "py", None),
    ("icmp-transient", UN4, "py", "py", None),
    ("half-close", V4, "py", "py", None),
    ("tls-close-notify", V4, "py", "py", None),
    ("tls-plain-close", V4, "py", "py", None),
    ("curl-http10", V4, "http", "curl", None),
    ("wget-http10", V6, "http", "wget", None),
    ("curl-http-reset", V4, "http-reset", "curl", None),
]


def ns(n, *cmd):
    return ["ip", "netns", "exec", n] + list(cmd)


def sh(*cmd):
    subprocess.run(cmd, check=False, stderr=subprocess.DEVNULL)


def router(action, a, undo=False):
    six = ":" in a
    fam = ["-6"] if six else []
    pfx = a + ("/128" if six else "/32")
    op = "del" if undo else "add"
    if action == "blackhole":
        sh("ip", "-n", "ar-r", *fam, "route", op, "blackhole", pfx)
        sh("ip", "-n", "ar-r", *fam, "rule", op, "from", pfx, "blackhole")
    elif action == "unreachable":
        sh("ip", "-n", "ar-r", *fam, "route", op, "unreachable", pfx)


def capture(n, dev, path, snap=262144):
    p = subprocess.Popen(ns(n, "tcpdump", "-n", "-U", "--immediate-mode", "-s", str(snap), "-i", dev, "-w", path),
                         stderr=subprocess.PIPE, text=True)
    while "listening on" not in p.stderr.readline():
        pass
    return p


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else D + "/out"
    os.makedirs(out, exist_ok=True)
    os.environ["REALPROGRAMS_CERT"] = out
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", out + "/key.pem",
                    "-out", out + "/cert.pem", "-days", "2", "-subj", "/CN=198.18.2.1"], check=True, capture_output=True)
    subprocess.run([D + "/topo.sh", "up"], check=True)
    caps = []
    truths = {}
    try:
        caps = [("client", capture("ar-c", "c0", out + "/client.pcap")),
                ("middle", capture("ar-r", "c1", out + "/middle.pcap")),
                ("snap96", capture("ar-r", "s1", out + "/snap96.pcap", 96)),
                ("server", capture("ar-s", "s0", out + "/server.pcap"))]
        for i, (name, addr, skind, ckind, pre) in enumerate(CASES):
            port = 31001 + i
            truths[port] = (name, [])
            srv = None
            if skind == "py":
                srv = subprocess.Popen(ns("ar-s", "python3", D + "/prog.py", name, "server", addr, str(port)),
                                       stdout=subprocess.PIPE, text=True)
            elif skind == "http":
                srv = subprocess.Popen(ns("ar-s", "python3", "-c",
                    "import http.server,sys,os,socket;os.chdir(sys.argv[3]);"
                    "C=type('S',(http.server.HTTPServer,),{'address_family':socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET});"
                    "s=C((sys.argv[1],int(sys.argv[2])),http.server.SimpleHTTPRequestHandler);"
                    "print('READY',flush=True);s.handle_request();print('TRUTH '+'{\"op\":\"serve\",\"got\":\"ok\",\"role\":\"server\"}')",
                    addr, str(port), out), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            elif skind == "http-reset":
                srv = subprocess.Popen(ns("ar-s", "python3", D + "/prog.py", "http-reset", "server", addr, str(port)),
                                       stdout=subprocess.PIPE, text=True)
            if srv:
                assert srv.stdout.readline().strip() == "READY"
            if pre:
                router(pre, addr)
            host = "[%s]" % addr if ":" in addr else addr
            if ckind == "py":
                cmd = ns("ar-c", "python3", D + "/prog.py", name, "client", addr, str(port))
            elif ckind == "curl":
                cmd = ns("ar-c", "curl", "-sS", "-o", "/dev/null", "http://%s:%d/" % (host, port))
            elif ckind == "wget":
                cmd = ns("ar-c", "wget", "-q", "-O", "/dev/null", "--tries=1", "http://%s:%d/" % (host, port))
            cli = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            acted = []
            for line in cli.stdout:
                if line.startswith("ACT "):
                    a = line.split()[1]
                    if a == "reachable":
                        router("unreachable", addr, undo=True); acted.remove("unreachable")
                    else:
                        router(a, addr); acted.append(a)
                    cli.stdin.write("\n"); cli.stdin.flush()
                elif line.startswith("TRUTH "):
                    truths[port][1].append(json.loads(line[6:]))
            err = cli.stderr.read().strip()
            rc = cli.wait()
            if ckind != "py":
                truths[port][1].append({"role": "client", "op": ckind, "got": "exit %d %s" % (rc, err)})
            if srv:
                try:
                    so, _ = srv.communicate(timeout=6)
                except subprocess.TimeoutExpired:
                    srv.kill(); so, _ = srv.communicate()
                for line in so.splitlines():
                    if line.startswith("TRUTH "):
                        truths[port][1].append(json.loads(line[6:]))
            for a in acted + ([pre] if pre else []):
                router(a, addr, undo=True)
            print(name, port, [(t["role"], t["op"], t["got"]) for t in truths[port][1]], flush=True)
        time.sleep(0.5)
    finally:
        for _, p in caps:
            p.send_signal(signal.SIGINT)
            p.wait()
        subprocess.run([D + "/topo.sh", "down"])
    json.dump({str(k): v for k, v in truths.items()}, open(out + "/truth.json", "w"), indent=1)
    for point, _ in [("client", 0), ("middle", 0), ("snap96", 0), ("server", 0)]:
        r = subprocess.run([TD, "analyze", "--json", out + "/" + point + ".pcap"], capture_output=True, text=True)
        with open(out + "/" + point + ".jsonl", "w") as f:
            f.write(r.stdout)


main()
