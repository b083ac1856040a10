"""Target of test_conditions.py: runs probe lines with a table of values.

    python conds.py CONDS_JSON

Conditional logpoints (set by the test) on the `# BREAK:` lines print
"<id> <seq>" when the runtime finds their condition true. The program
computes what Python says for every (condition, evaluation) itself and
prints it as one `EXPECT {json}` line at the end, so the test compares the
runtime's answers (C predicate or Python) with Python's."""
import json
import sys

w = 5  # a global: conditions naming it are not fast-local ones
SEQ = 0


class Weird:
    """Compares equal to and less than everything."""

    def __eq__(self, other):
        return True

    def __lt__(self, other):
        return True

    __hash__ = object.__hash__


class MyInt(int):
    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


VALUES = [
    0, 1, -1, 5, 9, 10, 255, 256, -5, 2**30 - 1, 2**30, -(2**30), 2**31, 2**53,
    2**53 + 1, 2**62, 2**63 - 1, 2**63, -(2**63) - 1, 2**100, -(2**100),
    0.0, -0.0, 0.5, 1.0, 1.5, -1.5, 9.99, float("nan"), float("inf"),
    float("-inf"), 1e300, 2.0**53, 2.0**63,
    "", "a", "b", "abc", "ab", "A", "é", "\U0001f600", "aa",
    None, True, False,
    [], (1,), Weird(), MyInt(3),
]


def expected_value(cond, local_vars):
    """What the runtime must answer: the condition evaluated like the
    Python path does (an error counts as true)."""
    try:
        return bool(eval(cond, globals(), local_vars))
    except Exception:
        return True


def probe(v):
    return v  # BREAK: probe


def probe_unbound(flag):
    if flag:
        v = 7
    return flag  # BREAK: unbound


def rebound(n):
    v = 0
    out = []
    for k in range(n):
        v = [3, 1.5, "a", None, True, 2**70, -2][k % 7]
        out.append(v)  # BREAK: rebound
    return out


def main():
    global SEQ
    conds = json.loads(sys.argv[1])
    expect = []  # [marker, seq, [true condition indexes]]
    for value in VALUES:
        SEQ += 1
        expect.append(["probe", SEQ, [i for i, c in enumerate(conds)
                                      if expected_value(c, {"v": value})]])
        probe(value)
    for flag in (False, True, False):
        SEQ += 1
        loc = {"flag": flag}
        if flag:
            loc["v"] = 7
        expect.append(["unbound", SEQ, [i for i, c in enumerate(conds)
                                        if expected_value(c, loc)]])
        probe_unbound(flag)
    SEQ += 1
    values = rebound(21)
    for k, value in enumerate(values):
        expect.append(["rebound", SEQ * 1000 + k,
                       [i for i, c in enumerate(conds)
                        if expected_value(c, {"v": value, "k": k, "n": 21})]])
    print("EXPECT " + json.dumps(expect), flush=True)
    done = 1  # BREAK: done
    return done


main()
