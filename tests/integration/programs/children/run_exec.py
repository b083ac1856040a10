"""child.py started three more ways: os.spawnv (fork + execv), os.posix_spawn,
and finally os.execv replacing this process."""
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
child = os.path.join(here, "child.py")
rc = os.spawnv(os.P_WAIT, sys.executable, [sys.executable, child, "1"])
print("spawnv exit", rc, flush=True)
pid = os.posix_spawn(sys.executable, [sys.executable, child, "2"], os.environ)
print("posix_spawn exit", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), flush=True)
os.execv(sys.executable, [sys.executable, child, "3"])
