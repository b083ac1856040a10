"""A module the hot workload imports: the "breakpoint in another file" lives
here, in a function the benchmark never calls."""


def elsewhere(x):
    y = x * 3  # BENCH:other
    return y
