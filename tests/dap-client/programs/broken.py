# Does not compile (never imported: a breakpoint here is answered from a stat).
def f(:
    pass
