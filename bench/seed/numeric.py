"""NumPy/SciPy computation: dense linear algebra (solve, LU, eigenvalues,
SVD), FFTs (1-D real and 2-D complex) and an ODE solve (scipy.integrate's
solve_ivp on the Lorenz system, right-hand side in Python).

    python numeric.py [SCALE]

SCALE (default 1.0) scales the matrix size, the FFT length and the ODE
time span. Prints BENCH {"ns": time after the imports, ...} and a checksum.
"""
import json
import sys
import time

t_start = time.perf_counter_ns()
import numpy as np  # noqa: E402
from scipy import fft, integrate, linalg  # noqa: E402


def lorenz(t, y, sigma=10.0, rho=28.0, beta=8.0 / 3.0):
    return [sigma * (y[1] - y[0]), y[0] * (rho - y[2]) - y[1],
            y[0] * y[1] - beta * y[2]]


def main():
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    t0 = time.perf_counter_ns()
    rng = np.random.default_rng(2024)
    n = max(32, int(300 * scale))
    check = 0.0
    for _rep in range(2):
        a = rng.standard_normal((n, n))
        b = rng.standard_normal(n)
        x = linalg.solve(a @ a.T + n * np.eye(n), b)
        _p, _l, u = linalg.lu(a)
        w = linalg.eigvalsh(a + a.T)
        s = linalg.svdvals(a)
        check += float(x.sum() + w[-1] + u.trace() + s[0])
        sig = rng.standard_normal(max(1024, int(2 ** 19 * scale)))
        spec = fft.rfft(sig)
        check += float(np.abs(spec[:100]).sum())
        img = rng.standard_normal((max(64, int(512 * scale)),) * 2)
        check += float(np.abs(fft.ifft2(fft.fft2(img))).sum())
    sol = integrate.solve_ivp(lorenz, (0.0, max(1.0, 20.0 * scale)),
                              [1.0, 1.0, 1.0], rtol=1e-8, atol=1e-10)
    check += float(sol.y[:, -1].sum())
    t1 = time.perf_counter_ns()
    print("checksum %.6f rhs_calls %d" % (check, sol.nfev))
    print("BENCH " + json.dumps({"ns": t1 - t0, "imports_ns": t0 - t_start,
                                 "rhs_calls": int(sol.nfev)}), flush=True)


main()
