#!/usr/bin/env python3
"""Prints, for each case, what the programs got and what teardown analyze said at each capture point."""
import json, sys
out = sys.argv[1]
truth = json.load(open(out + "/truth.json"))
res = {}
for pt in ["client", "middle", "snap96", "server"]:
    for l in open(out + "/" + pt + ".jsonl"):
        j = json.loads(l)
        p = str(j["resp_p"])
        if p not in truth: p = str(j["orig_p"])
        if p not in truth: print("??", pt, l[:120]); continue
        res.setdefault(p, {}).setdefault(pt, []).append(j)
for p, (name, ts) in truth.items():
    print("==", name, "|", "; ".join("%s %s %s" % (t["role"], t["op"], t["got"]) for t in ts))
    for pt in ["client", "middle", "snap96", "server"]:
        for j in res.get(p, {}).get(pt, []):
            c = j["cause"]
            print("   %-7s %-5s %-9s %-14s %-10s %-22s %-6s %s" % (pt, j["zeek"]["conn_state"], j["zeek"]["history"], j["ended_how"], j["ended_by"], c["id"], c["confidence"], j["errno"]["orig"] + "/" + j["errno"]["resp"]))
        if not res.get(p, {}).get(pt): print("   %-7s (nothing)" % pt)
