"""Imported by lazy_main.py after its first line: breakpoints set before
the program starts are checked when this module loads (lazy verification,
docs/runtime.md "Breakpoint lines")."""
# BREAK: before_value
VALUE = 7  # BREAK: value


def work(n):
    # BREAK: in_func_comment
    total = n * VALUE  # BREAK: in_func_code
    return total


# BREAK: past_end
