# Target of the fault tests (test_faults.py). Writes only to files in
# argv[1] (its stdout may be a broken pipe when the adapter is killed):
# "pid" at the start, "done" at its end. argv[2] is the mode:
#   plain    stops at the `main` breakpoint if one is set, then ends
#   loop     runs `loop` until the file "go" exists (deadline 20 s)
#   fork     forks; the child passes the `child` line, writes "child-<pid>"
#   closefd  closes descriptor 3 (the runtime's channel), then goes on
#   segv     dies of SIGSEGV after the `crash` line
#   osexit   leaves with os._exit(7) after the `exit` line
import os
import signal
import sys
import time

where, mode = sys.argv[1], sys.argv[2]


def write(name, text=""):
    with open(os.path.join(where, name), "w") as f:
        f.write(text)


write("pid", str(os.getpid()))
if mode == "loop":
    deadline = time.monotonic() + 20
    while not os.path.exists(os.path.join(where, "go")):
        n = 1  # BREAK: loop
        time.sleep(0.02)
        if time.monotonic() > deadline:
            break
elif mode == "fork":
    child = os.fork()
    if child == 0:
        n = 2  # BREAK: child
        write("child-%d" % os.getpid(), "ran")
        os._exit(0)
    _, status = os.waitpid(child, 0)
    write("child-status", str(status))
elif mode == "closefd":
    try:
        os.close(3)
        write("closed", "yes")
    except OSError as e:
        write("closed", "no: %s" % e)
elif mode == "segv":
    n = 4  # BREAK: crash
    os.kill(os.getpid(), signal.SIGSEGV)
elif mode == "osexit":
    n = 5  # BREAK: exit
    os._exit(7)
n = 3  # BREAK: main
write("done", "yes")
