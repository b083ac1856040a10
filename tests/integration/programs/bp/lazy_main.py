"""Imports lazy_mod after its first line (test_breakpoints.py, LazyTests)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
print("start")  # BREAK: main_first
import lazy_mod  # noqa: E402

print("work", lazy_mod.work(3))  # BREAK: main_call
