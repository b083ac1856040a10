import json
import os
import sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def hook(d):
    raise RuntimeError("from user hook")  # BREAK: hook_raise


try:
    json.loads('{"a": 1}', object_hook=hook)
except RuntimeError:
    print("handled")
