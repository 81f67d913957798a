#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The assignment solvers against SciPy's linear_sum_assignment on the same
# random city instances (TARGETS P6, P7). Builds nothing: point it at a build
# directory configured with -Dserver=true, preferably -Dbuildtype=release.
#
# Usage: bench/bench-solver.sh [BUILDDIR]      (default ./build)
# Environment: SIZES  problem sizes n (orders = drivers), default "500 1000 2000 4000"
#                     ("2000 4000" with BENCH_QUICK=1)
#              KS     candidates per order and per driver for the sparse solves, default "16,32"
#              REPEAT runs per solve, best time kept, default 3 (2 with BENCH_QUICK=1)
#              SEED   instance seed, default 1
# The tables go to stderr, the results to stdout as bench/README.md describes.
set -eu

builddir=${1:-./build}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
  sizes=${SIZES:-2000 4000}
  repeat=${REPEAT:-2}
else
  sizes=${SIZES:-500 1000 2000 4000}
  repeat=${REPEAT:-3}
fi
ks=${KS:-16,32}
seed=${SEED:-1}
here=$(cd "$(dirname "$0")" && pwd)
bench=$builddir/bench/bench-lap
# The PATH python3 may be a pyenv one without SciPy.
python=/usr/bin/python3

if [ ! -x "$bench" ]; then
  echo "$bench not found: configure $builddir with -Dserver=true and build it" >&2
  exit 1
fi

if ! "$python" -c 'import numpy, scipy.optimize' 2>/dev/null; then
  echo "Installing python3-scipy and python3-numpy" >&2
  sudo=
  if [ "$(id -u)" -ne 0 ]; then
    sudo=sudo
  fi
  $sudo apt-get install -y python3-scipy python3-numpy >&2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

{
  echo "bench-solver: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 |
    sed 's/^ *//'), SciPy $("$python" -c 'import scipy; print(scipy.__version__)'),"
  echo "seed $seed, best of $repeat runs, build $builddir"
  echo
} >&2

for n in $sizes; do
  "$bench" --seed "$seed" --repeat "$repeat" --k "$ks" --matrix "$tmp/cost.bin" "$n" \
    >> "$tmp/ours.txt"
  "$python" "$here/scipy_lap.py" "$tmp/cost.bin" "$n" "$repeat" >> "$tmp/scipy.txt"
  rm -f "$tmp/cost.bin"
done

awk '
function field(name,    i, kv) {
  for (i = 2; i <= NF; i++) {
    split($i, kv, "=")
    if (kv[1] == name)
      return kv[2]
  }
  return ""
}
function abs(x) { return x < 0 ? -x : x }
function max(a, b) { return a > b ? a : b }

FNR == NR { n = field("n"); scipy_time[n] = field("time_s"); scipy_cost[n] = field("cost"); next }

$1 == "dense" {
  n = field("n")
  order[++n_sizes] = n
  time = field("time_s"); cost = field("cost")
  equal = abs(cost - scipy_cost[n]) <= 1e-9 * max(max(abs(cost), abs(scipy_cost[n])), 1)
  dense[n] = sprintf("%6d %9.4f %9.4f %6.2f %16.4f %16.4f  %s", n, time, scipy_time[n],
                     time / scipy_time[n], cost, scipy_cost[n], equal ? "yes" : "NO")
  dense_assigned[n] = field("assigned")
}

$1 == "sparse" {
  n = field("n")
  assigned = field("assigned"); cost = field("cost")
  if (assigned == dense_assigned[n])
    gap = sprintf("%+8.3f", 100 * (cost - scipy_cost[n]) / scipy_cost[n])
  else
    gap = sprintf("%8s", "n/a")
  sparse[++n_sparse] = sprintf("%6d %4d %8d %9.4f %7.3f %6d/%-6d %s %9.4f", n, field("k"),
                               field("edges"), field("time_s"), field("time_s") / scipy_time[n],
                               assigned, n, gap, field("knn_s"))
}

END {
  print "Dense (P6: ratio = ours / SciPy <= 0.5 at n = 2000, 4000; identical optimal cost)"
  printf "%6s %9s %9s %6s %16s %16s  %s\n", "n", "ours s", "SciPy s", "ratio", "our cost",
         "SciPy cost", "equal"
  for (i = 1; i <= n_sizes; i++)
    print dense[order[i]]
  if (n_sparse == 0)
    exit
  print ""
  print "Sparse on k-nearest candidates: each order'"'"'s k nearest drivers + each driver'"'"'s"
  print "k nearest orders (P7: ratio = sparse / SciPy dense <= 0.1 at n = 4000;"
  print "gap to the dense optimum <= 1%)"
  printf "%6s %4s %8s %9s %7s %13s %8s %9s\n", "n", "k", "edges", "time s", "ratio",
         "assigned", "gap %", "knn s"
  for (i = 1; i <= n_sparse; i++)
    print sparse[i]
  print ""
  print "time s: building and solving the sparse problem; knn s (not timed): finding candidates"
  print "by brute force from the dense matrix. gap: n/a when fewer orders were assigned."
}
' "$tmp/scipy.txt" "$tmp/ours.txt" > "$tmp/tables.txt"
cat "$tmp/tables.txt" >&2

# The results, read back from the tables: P6 for every dense n >= 2000, P7 for
# each k at the largest n.
awk -v OFS='\t' '
/^Dense/ { section = "dense"; next }
/^Sparse/ { section = "sparse"; next }
section == "dense" && NF == 7 && $1 ~ /^[0-9]+$/ { scipy[$1] = $3 }
section == "dense" && NF == 7 && $1 ~ /^[0-9]+$/ && $1 >= 2000 {
  print "P6", "dense assignment solver, n = " $1, $2 " s", "SciPy linear_sum_assignment",
        $3 " s", $4, "≤ 0.5× SciPy time, identical optimal cost",
        ($4 <= 0.5 && $7 == "yes") ? "met" : "not met"
}
section == "sparse" && NF == 8 && $1 ~ /^[0-9]+$/ { sparse[++n_sparse] = $0; largest = $1 }
END {
  for (i = 1; i <= n_sparse; i++) {
    split(sparse[i], f, " ")
    if (f[1] != largest)
      continue
    gap = f[7] == "n/a" ? "n/a (fewer assigned)" : f[7] " %"
    print "P7", "sparse solver on k = " f[2] " nearest candidates, n = " f[1],
          f[4] " s, gap " gap, "SciPy dense on the same instance", scipy[f[1]] " s", f[5],
          "≤ 0.1× SciPy dense time, cost within 1%",
          (f[5] <= 0.1 && f[7] != "n/a" && f[7] <= 1.0) ? "met" : "not met"
  }
}
' "$tmp/tables.txt"
