"""Non-Python children: their environment is the user's (no runtime
variables, PYTHONPATH as the user set it); and a Python child."""
import os
import subprocess
import sys

out = subprocess.run(["/bin/sh", "-c", "env"], capture_output=True, text=True).stdout
seen = sorted(line.split("=", 1)[0] for line in out.splitlines()
              if line.startswith(("DAPPER_", "PYTHONPATH=", "PYTHONUNBUFFERED=")))
print("sh env:", " ".join(seen) or "-", flush=True)
for line in out.splitlines():
    if line.startswith("PYTHONPATH="):
        print("sh PYTHONPATH:", line.split("=", 1)[1], flush=True)
pid = os.posix_spawn("/bin/sh", ["sh", "-c", 'echo "posix_spawn sh:'
                                  ' ${DAPPER_CHILD_SOCKET:-no-socket} ${PYTHONPATH:-no-pythonpath}"'],
                     os.environ)
os.waitpid(pid, 0)
rc = subprocess.run([sys.executable, "-c", "import os; print('python child sees', "
                     "os.environ.get('PYTHONPATH'), [k for k in os.environ if k.startswith('DAPPER_')], "
                     "flush=True); raise SystemExit(6)"]).returncode
print("python child exit", rc, flush=True)
