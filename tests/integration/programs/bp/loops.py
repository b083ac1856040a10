# Loops for conditions, hit counts and logpoints. Each iteration prints
# its number before the marked lines run, so a stop shows which one it is.
import sys

ITERATIONS = 6


def hits():
    for i in range(1, ITERATIONS + 1):
        print("iteration", i)
        count = i  # BREAK: each
        h_eq = i  # BREAK: hit_plain
        h_eq2 = i  # BREAK: hit_eq
        h_gt = i  # BREAK: hit_gt
        h_ge = i  # BREAK: hit_ge
        h_lt = i  # BREAK: hit_lt
        h_le = i  # BREAK: hit_le
        h_mod = i  # BREAK: hit_mod
        bad = i  # BREAK: hit_bad
    return count


def conditions():
    for i in range(1, ITERATIONS + 1):
        print("cond", i)
        c = i  # BREAK: cond
        e = i  # BREAK: cond_error
        both = i  # BREAK: cond_hit


def logs():
    items = {"a": 1}
    for i in range(1, 4):
        msg = i  # BREAK: log


hits()
conditions()
logs()

# BREAK: comment_line

moved = 1  # BREAK: moved_target
print("loops done")  # BREAK: done
sys.exit(0)
# BREAK: no_code_after
