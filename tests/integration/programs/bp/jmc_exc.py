"""userUnhandled and what is library code (test_justmycode.py)."""
import inspect

import jmc_helper


class Thing:
    @property
    def broken(self):
        raise AttributeError("no")  # BREAK: prop_raise


def callback(key):
    raise KeyError(key)  # BREAK: cb_raise


def main():
    names = [n for n, _ in inspect.getmembers(Thing())]  # BREAK: members_line
    got = jmc_helper.guarded(callback, "k")  # BREAK: guarded_line
    print("broken" in names, got)


main()
