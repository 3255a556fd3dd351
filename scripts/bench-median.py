#!/usr/bin/env python3
"""The median wall time, in milliseconds, of 100 whole-process runs of the command given as
arguments (its output discarded; a failing run stops the benchmark). For make bench."""
import subprocess
import sys
import time

times = []
for _ in range(100):
    start = time.perf_counter()
    subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
    times.append((time.perf_counter() - start) * 1000)
times.sort()
print(f"{times[50]:.2f}")
