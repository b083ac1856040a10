# Jump to a line (goto) and step into one call of a line (stepIn targetId).
trail = []


def skip_one():
    value = "initial"  # BREAK: skip_start
    value = "assigned"  # BREAK: skip_assign
    trail.append(value)  # BREAK: skip_after
    return value


def rerun():
    counter = 0  # BREAK: rerun_start
    counter += 1  # BREAK: rerun_add
    trail.append(counter)  # BREAK: rerun_after
    return counter


def loop():
    total = 0  # BREAK: loop_start
    for i in range(3):  # BREAK: loop_for
        total += i  # BREAK: loop_body
    return total  # BREAK: loop_end


def other():
    return "other"  # BREAK: other_body


def g(v):
    trail.append("g")  # BREAK: g_first
    return v + 1


def h(v):
    trail.append("h")  # BREAK: h_first
    return v * 10


def f(a, b):
    trail.append("f")  # BREAK: f_first
    return a + b


class Box:
    def method(self, v):
        trail.append("method")  # BREAK: method_first
        return v


def calls():
    box = Box()  # BREAK: calls_start
    x = f(g(1), h(2)) + box.method(len("ab"))  # BREAK: calls_line
    trail.append(x)  # BREAK: calls_after
    return x


def blocks():
    seen = []  # BREAK: blocks_start
    with open(__file__) as f:  # BREAK: blocks_with
        seen.append(f.name != "")  # BREAK: blocks_with_body
    try:
        seen.append(1)  # BREAK: blocks_try_body
    except ValueError:
        seen.append(2)  # BREAK: blocks_except_body
    return seen  # BREAK: blocks_end


def raises():
    try:
        raise ValueError("no jump from here")  # BREAK: raise_line
    except ValueError:
        return "caught"  # BREAK: caught


if __import__("sys").argv[1:] == ["raises"]:
    print("raises", raises())
else:
    print("skip_one", skip_one())
    print("rerun", rerun())
    print("loop", loop())
    print("other", other())
    print("calls", calls())
    print("blocks", blocks())
    print("trail", trail)
