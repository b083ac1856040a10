# Does not compile: breakpoints here are not verified.
def f(:
    pass
