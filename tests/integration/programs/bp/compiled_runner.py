# Runs compiled.py outside the import system: `run_path`, `exec` or both
# (argv[1]), then calls what it defined again.
import os
import runpy
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = os.path.join(HERE, "compiled.py")
mode = sys.argv[1] if len(sys.argv) > 1 else "both"
if mode in ("run_path", "both"):
    ns = runpy.run_path(TARGET)
    print("run_path again", ns["work"](10))
if mode in ("exec", "both"):
    with open(TARGET) as f:
        src = f.read()
    ns = {"__name__": "compiled_exec"}
    exec(compile(src, TARGET, "exec"), ns)
    print("exec again", ns["work"](20))
print("runner done")
