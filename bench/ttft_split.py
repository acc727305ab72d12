#!/usr/bin/env python3
"""Where a proxy's time to first token goes, read off a loopback capture (bench/ttft_split.sh makes one).

usage: ttft_split.py PCAP

Finds the engine (the port that receives the most POSTs) and each proxy in front of it (every other port
that receives POSTs; one whose responses say `Server: nginx` is named nginx). For each request through a
proxy, in kernel timestamps of the packets, so nothing in the processes is slowed by the measuring:
  request path      the client's last request byte -> the proxy's request to the engine
  first-token path  the engine's first chunk with non-empty content -> the proxy's first such chunk
Prints medians and 90th percentiles in microseconds. Assumes one stream at a time (concurrency 1)."""
import collections
import re
import statistics
import subprocess
import sys

CONTENT = re.compile(rb'"content":"[^"]')


def packets(pcap):
    out = subprocess.run(['tshark', '-r', pcap, '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'tcp.srcport',
                          '-e', 'tcp.dstport', '-e', 'tcp.len', '-e', 'tcp.payload'],
                         capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        f = (line.split('\t') + [''] * 5)[:5]
        payload = bytes.fromhex(f[4].replace(':', '')) if f[4] else b''
        rows.append((float(f[0]), int(f[1]), int(f[2]), int(f[3] or 0), payload))
    rows.sort()
    return rows


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def show(name, values):
    if values:
        print(f'  {name:18s} n={len(values):3d}  p50={statistics.median(values) * 1e6:7.1f} us'
              f'  p90={pct(values, 0.9) * 1e6:7.1f} us')


def main():
    rows = packets(sys.argv[1])
    posts = collections.Counter(d for _, _, d, _, p in rows if p.startswith(b'POST'))
    if not posts:
        sys.exit('no POST requests in the capture')
    engine = posts.most_common(1)[0][0]
    # The engine's side: each request into it and its first content chunk, by the proxy's local port.
    engine_requests, engine_firsts, pending = [], [], {}
    for t, s, d, _, p in rows:
        if d == engine and p.startswith(b'POST'):
            pending[s] = t
        elif s == engine and d in pending and CONTENT.search(p):
            engine_requests.append(pending.pop(d))
            engine_firsts.append(t)
    for port in [p for p, n in posts.most_common() if p != engine and n > 5]:
        nginx = any(s == port and b'Server: nginx' in p for _, s, _, _, p in rows)
        requests, current = [], {}
        for t, s, d, n, p in rows:
            if d == port and p.startswith(b'POST'):
                current[s] = {'last': t}
                requests.append(current[s])
            elif d == port and n > 0 and s in current and 'first' not in current[s]:
                current[s]['last'] = t
            if s == port and d in current and 'first' not in current[d] and CONTENT.search(p):
                current[d]['first'] = t
        request_path, token_path = [], []
        for r in requests:
            if 'first' not in r:
                continue
            sent = [t for t in engine_requests if r['last'] <= t <= r['first']]
            firsts = [t for t in engine_firsts if r['last'] <= t <= r['first']]
            if sent and firsts:
                request_path.append(sent[0] - r['last'])
                token_path.append(r['first'] - firsts[-1])
        if not request_path:
            continue  # not a proxy in front of the engine
        print(f"{'nginx' if nginx else 'quorum node'} (port {port}):")
        show('request path', request_path)
        show('first-token path', token_path)


if __name__ == '__main__':
    main()
