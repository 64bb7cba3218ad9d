"""sklearn's mutual_info_regression (k=3) on the data bench/mi.mjs wrote; prints one JSON line.

Usage: python3 bench/mi_sklearn.py FILE N REPEATS
FILE holds float64 x (N values) then y (N values), little-endian.
"""
import json
import sys
import time

import numpy as np
from sklearn.feature_selection import mutual_info_regression

path, n, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
a = np.fromfile(path, dtype="<f8")
x, y = a[:n].reshape(-1, 1), a[n:]
mutual_info_regression(x, y, n_neighbors=3, random_state=0)  # warm-up
times, cpu = [], []
for r in range(repeats):
    c0, t0 = time.process_time(), time.perf_counter()
    mi = mutual_info_regression(x, y, n_neighbors=3, random_state=r)[0]
    times.append((time.perf_counter() - t0) * 1000)
    cpu.append((time.process_time() - c0) * 1000)
med = lambda v: sorted(v)[len(v) // 2]
print(json.dumps({"mi": float(mi), "ms": med(times), "cpu_ms": med(cpu), "times": times}))
