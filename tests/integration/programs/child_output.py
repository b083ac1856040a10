# A child process inherits the program's stdout: its output reaches the
# user like the parent's.
import subprocess
import sys

sys.stdout.write("parent start\n")
sys.stdout.flush()
subprocess.run([sys.executable, "-c", "print('from the child')"], check=True)
print("parent done")
