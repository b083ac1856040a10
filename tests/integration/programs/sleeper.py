# Runs "forever" with a child process; prints both pids as JSON so the
# test can check that ending the session ends both.
import json
import os
import subprocess
import sys
import time

child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
print(json.dumps({"pid": os.getpid(), "child": child.pid}), flush=True)
time.sleep(120)
