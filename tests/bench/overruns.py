"""Prints the overruns a running pollhook counted: the sum of its
pollhook_overruns_total lines, read from its management API's /metrics; or
the sum of another family's lines (FAMILY, e.g. pollhook_polls_total).

Usage: python3 tests/bench/overruns.py PORT [FAMILY]   (the API on 127.0.0.1:PORT)
"""
import sys
import urllib.request

opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
body = opener.open("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=30).read().decode()
family = sys.argv[2] if len(sys.argv) > 2 else "pollhook_overruns_total"
print(sum(int(float(line.split()[-1])) for line in body.splitlines()
          if line.startswith(family + "{") or line.startswith(family + " ")))
