#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Times scipy.optimize.linear_sum_assignment on a matrix written by bench-lap.

Usage: scipy_lap.py MATRIX N [REPEAT]
MATRIX holds N x N raw little-endian doubles, row-major. Prints
"scipy n=N time_s=T cost=C" with the best time of REPEAT runs (CPU time of
the process, as bench-lap measures its own).
"""

import sys
import time

import numpy as np
from scipy.optimize import linear_sum_assignment


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    path, n = sys.argv[1], int(sys.argv[2])
    repeat = int(sys.argv[3]) if len(sys.argv) == 4 else 3

    cost = np.fromfile(path, dtype="<f8")
    if cost.size != n * n:
        sys.exit(f"{path}: {cost.size} values, expected {n * n}")
    cost = cost.reshape(n, n)

    best = float("inf")
    for _ in range(max(repeat, 1)):
        start = time.process_time()
        rows, cols = linear_sum_assignment(cost)
        best = min(best, time.process_time() - start)

    print(f"scipy n={n} time_s={best:.6f} cost={cost[rows, cols].sum():.6f}")


if __name__ == "__main__":
    main()
