# Dies of SIGSEGV (a subprocess would report returncode -11).
import os
import signal
import sys

print("about to crash", flush=True)
sys.stdout.flush()
os.kill(os.getpid(), signal.SIGSEGV)
