"""Starts child.py with the same interpreter through subprocess, or another
interpreter named in argv[1]; prints the child's exit code."""
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
python = sys.argv[1] if len(sys.argv) > 1 else sys.executable
rc = subprocess.run([python, os.path.join(here, "child.py"), "21"]).returncode
print("parent saw child exit", rc, flush=True)
sys.exit(rc + 10)
