# Prints the file descriptors a child process inherits when the program
# does not close them (close_fds=False): a debug session must not leak its
# own descriptors (DAP socket, listening socket, runtime channel) into them.
import subprocess
import sys

subprocess.run([sys.executable, "-c",
                "import os; print(sorted(int(f) for f in os.listdir('/proc/self/fd')))"],
               close_fds=False, check=True)
