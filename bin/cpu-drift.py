#!/usr/bin/env python3
"""How steady this machine's own speed is: the same fixed loop of work, timed N times (default 100) 0.4 s apart, on
an otherwise idle machine. On the 2-core development VM the loop takes 70-95 ms (max/min 1.35): two benchmark runs a
few minutes apart can differ by that much with nothing else changed, which is why bin/bench-interleaved.sh
alternates the systems it compares. Usage: python3 bin/cpu-drift.py [N]"""
import sys
import time

n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
times = []
for _ in range(n):
    start = time.perf_counter()
    total = 0
    for i in range(1_000_000):
        total += i * i
    times.append(time.perf_counter() - start)
    time.sleep(0.4)
times.sort()
print(f"{n} runs of the same loop: min {times[0] * 1000:.1f} ms, median {times[n // 2] * 1000:.1f} ms, "
      f"p90 {times[int(n * 0.9)] * 1000:.1f} ms, max {times[-1] * 1000:.1f} ms, max/min {times[-1] / times[0]:.2f}")
