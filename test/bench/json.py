#!/usr/bin/env python3
"""memstrace benchmark: build a ~50 MB JSON string with json.dumps and parse
it back with json.loads.  The allocator's mmap/munmap/brk traffic from the
large string and the many small objects is what the tracers see.
Usage: json.py [MEGABYTES]   (default 50)"""
import os
import sys

# This file is called json.py: keep its own directory off the import path so
# that "import json" finds the standard library module, not this script.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]
import json  # noqa: E402


def main():
    target = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    # One record serialises to about 160 bytes.
    n = target * 1024 * 1024 // 160
    records = [
        {
            "id": i,
            "name": "record-%08d" % i,
            "score": i * 0.5,
            "active": i % 3 == 0,
            "tags": ["alpha", "beta", "gamma"][: i % 4],
            "nested": {"x": i, "y": -i, "label": "n%d" % (i % 1000)},
        }
        for i in range(n)
    ]
    text = json.dumps(records)
    back = json.loads(text)
    if len(back) != n or back[-1]["id"] != n - 1:
        print("json.py: round trip mismatch", file=sys.stderr)
        return 1
    print("json.py: %.1f MB, %d records" % (len(text) / 1e6, n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
