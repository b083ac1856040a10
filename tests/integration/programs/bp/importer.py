# Imports later.py only after the breakpoints are set.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
print("importing")
import later  # noqa: E402  # BREAK: import
print("value", later.value())
