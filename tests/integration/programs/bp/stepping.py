# Stepping: into and over calls, out of functions, off the end.
def callee(v):
    w = v * 2  # BREAK: callee_first
    return w  # BREAK: callee_return


def caller():
    a = callee(1)  # BREAK: call
    b = callee(a)  # BREAK: call2
    return a + b  # BREAK: caller_return


r = caller()  # BREAK: main_call
print("stepped", r)  # BREAK: after_main_call
last = r + 1  # BREAK: last
