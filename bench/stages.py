#!/usr/bin/env python3
"""Where a node's cold request path spends its time, read off the stage marks it writes (src/core/stage_marks.h).

usage: stages.py FILE...   (the PATH.<pid> files of a run with QUORUM_STAGES=PATH)

Takes the file with the most requests (the node under test; others are helpers of the run), drops the first
three requests (connections and caches warming), and prints, for each stage in order, the median time since
the first stage marked and the median step from the stage before, in microseconds."""
import statistics
import sys

STAGES = ['arrived', 'head read', 'body read', 'handler called', 'authorized', 'request tracked', 'body parsed',
          'routed', 'stream begun', 'try started', 'upstream body made', 'client called', 'connection taken',
          'writing', 'written', 'engine response head']


def requests(path):
    rows = []
    with open(path) as f:
        for line in f:
            fields = line.split()
            if len(fields) == len(STAGES) + 1:
                rows.append([int(x) for x in fields[1:]])
    return rows


def main(paths):
    rows = max((requests(p) for p in paths), key=len, default=[])
    # Only requests whose arrival was marked (their first stage), after three of warming.
    rows = [r for r in rows if r[0] == 0][3:]
    if not rows:
        sys.exit('stages.py: no requests with every stage in ' + ' '.join(paths))
    print('%-22s %14s %10s   (%d requests, medians)' % ('stage', 'since arrival', 'step', len(rows)))
    previous = 0.0
    for i, name in enumerate(STAGES):
        values = [r[i] / 10 for r in rows if r[i] >= 0]
        if not values:
            continue
        at = statistics.median(values)
        print('%-22s %11.1f us %7.1f us' % (name, at, at - previous))
        previous = at


if __name__ == '__main__':
    main(sys.argv[1:])
