"""Per-step cost: K `next` requests over trivial lines.

    python steps.py K [--imports]

The harness stops on the tagged line and sends `next` K times, timing each
`next` -> `stopped` round trip on its side (each step runs one trivial line
of the loop below), then continues. Prints
BENCH {"workload": "steps", "k": K}.
"""
import json
import sys


def main(argv):
    k = int(argv[0])
    if "--imports" in argv[1:]:
        import _imports  # noqa: F401  (a few hundred modules loaded)
    x = 0  # BENCH:first
    for _ in range(k + 1):
        x += 1
    print("BENCH " + json.dumps({"workload": "steps", "k": k, "x": x}),
          flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
