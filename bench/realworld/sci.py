"""NumPy/SciPy/pandas work of a few seconds (bench/realworld.py, program
`sci`): array arithmetic, linear algebra, optimisation, groupby/merge.
Prints BENCH {"ns": ...} (the time after the imports) and a checksum."""
import json
import sys
import time

t_start = time.perf_counter_ns()
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy import linalg, optimize  # noqa: E402

t0 = time.perf_counter_ns()
rng = np.random.default_rng(12345)
check = 0.0
for rep in range(3):
    a = rng.standard_normal((400, 400))
    b = rng.standard_normal(400)
    x = linalg.solve(a @ a.T + 400 * np.eye(400), b)
    p, l, u = linalg.lu(a)
    w = np.linalg.eigvalsh(a + a.T)
    check += float(x.sum() + w[-1] + u.trace())
    v = rng.random(1_000_000)
    check += float(np.sqrt(v).sum() + np.sort(v)[500_000] + np.cumsum(v)[-1])

    res = optimize.minimize(optimize.rosen, np.full(12, 1.3),
                            jac=optimize.rosen_der, method="BFGS")
    check += float(res.fun)
    root = optimize.brentq(lambda t: np.cos(t) - t, 0.0, 1.0)
    check += root

    n = 200_000
    df = pd.DataFrame({"k": rng.integers(0, 500, n),
                       "g": rng.integers(0, 7, n),
                       "v": rng.random(n)})
    agg = df.groupby(["k", "g"])["v"].agg(["sum", "mean", "count"])
    keys = pd.DataFrame({"k": np.arange(500), "w": rng.random(500)})
    merged = df.merge(keys, on="k", how="left")
    merged["vw"] = merged["v"] * merged["w"]
    piv = merged.pivot_table(index="g", values="vw", aggfunc="sum")
    check += float(agg["sum"].sum() + piv["vw"].sum())
t1 = time.perf_counter_ns()
print("checksum %.6f" % check)
print("BENCH " + json.dumps({"ns": t1 - t0, "imports_ns": t0 - t_start}))
sys.stdout.flush()
