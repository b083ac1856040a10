"""A module of the program that `rules` can exclude (test_justmycode.py)."""


def apply(fn, value):
    result = fn(value)  # BREAK: apply_body
    return result


def guarded(fn, value):
    try:
        return fn(value)
    except KeyError:
        return "caught"
