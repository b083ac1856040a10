"""A small program for the demo session: arguments, output on both streams,
an exit code."""
import sys


def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a  # BREAK: demo


def main(argv):
    n = int(argv[1]) if len(argv) > 1 else 10
    for i in range(n):
        print(f"fib({i}) = {fib(i)}")
    print("done: π ≈ 3.14159", file=sys.stderr)
    return 0 if n < 20 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
