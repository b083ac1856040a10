"""justMyCode: user code called back from library code (test_justmycode.py)."""
import contextlib
import heapq
import json
import os
import sys
import textwrap

import jmc_helper


def by_len(word):
    return len(word)  # BREAK: key_body


def neg_len(word):
    return -len(word)  # BREAK: neg_body


def hook(obj):
    obj["seen"] = True  # BREAK: hook_body
    return obj


@contextlib.contextmanager
def managed():
    print("enter")  # BREAK: cm_body
    yield 1


def main(text):
    words = sorted(textwrap.wrap(text, 8), key=by_len)  # BREAK: sorted_line
    data = json.loads('{"a": 1}', object_hook=hook)  # BREAK: json_line
    path = os.path.join("a", "b")  # BREAK: join_line
    big = heapq.nsmallest(1, words, key=neg_len)  # BREAK: heapq_line
    with managed() as n:  # BREAK: with_line
        n += 1  # BREAK: with_body
    size = jmc_helper.apply(by_len, "four")  # BREAK: helper_line
    print(words, data, path, big, n, size)  # BREAK: print_line


main(sys.argv[1] if len(sys.argv) > 1 else "alpha beta gamma")
