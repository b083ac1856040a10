"""Imported by hook_idle.py; none of these functions is ever called."""


def plain(n):
    total = 0
    total += n  # BREAK: lib_plain
    return total


def looping(items):
    total = 0
    for x in items:  # BREAK: lib_for
        total += x
    return total


def squares(items):
    return [x * x  # BREAK: lib_cont
            for x in items]
