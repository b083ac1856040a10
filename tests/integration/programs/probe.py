# Prints, as one line of JSON, what a program can see of how it was
# started. The tests compare it with the same probe run by the plain
# interpreter. Also copied into packages (for -m) at test time.
import json
import os
import sys


def _report(g):
    env = os.environ
    spec = g.get("__spec__")
    return {
        "argv": sys.argv,
        "path0": sys.path[0],
        "path": sys.path,
        "name": g.get("__name__"),
        "file": g.get("__file__"),
        "spec": getattr(spec, "name", None),
        "cwd": os.getcwd(),
        "executable": sys.executable,
        "FOO": env.get("FOO"),
        "REMOVED": env.get("REMOVED"),
        "HOME": env.get("HOME"),
        "has_PYTHONPATH": "PYTHONPATH" in env,
        "PYTHONPATH": env.get("PYTHONPATH"),
        "PYTHONUNBUFFERED": env.get("PYTHONUNBUFFERED"),
        "dapper_vars": sorted(k for k in env if k.startswith("DAPPER_")),
        "utf8_mode": sys.flags.utf8_mode,
    }


print(json.dumps(_report(globals()), sort_keys=True))
