"""Calls the functions of hook_lib.py whose breakpoint lines the inserted
checks cannot serve (a `for` header, a comprehension's continuation line),
after the eval-frame hook has gone."""
import hook_lib


def work(i):
    return i + 1


total = work(0)  # BREAK: start
total += hook_lib.looping([5])
total += sum(hook_lib.squares([2]))
total += hook_lib.plain(1)
print("total", total)  # BREAK: done
