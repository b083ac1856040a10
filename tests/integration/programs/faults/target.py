# Target of the fault tests (test_faults.py). Writes only to files in
# argv[1] (its stdout may be a broken pipe when the adapter is killed):
# "pid" at the start, "done" at its end. argv[2] is the mode:
#   plain    stops at the `main` breakpoint if one is set, then ends
#   loop     runs `loop` until the file "go" exists (deadline 20 s)
#   fork     forks; the child passes the `child` line, writes "child-<pid>"
#   closefd  closes descriptor 3 (the runtime's channel), then goes on
#   segv     dies of SIGSEGV after the `crash` line
#   osexit   leaves with os._exit(7) after the `exit` line
#   atexit   ends with sys.exit(3); its atexit handler writes "in-atexit" and
#            waits for the file "go-atexit", then as the interpreter
#            finalizes (a __del__ run as sys.modules is emptied) it writes
#            "finalizing" and waits for "go-final" (deadlines 20 s)
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
elif mode == "atexit":
    import atexit
    import types

    def wait_for(mark, go, os=os, time=time, OSError=OSError):
        # Only what is bound here: module globals vanish as the interpreter
        # finalizes.
        os.close(os.open(mark, os.O_CREAT | os.O_WRONLY, 0o644))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                os.stat(go)
                return
            except OSError:
                time.sleep(0.02)

    class Finalizing:
        def __del__(self, wait_for=wait_for,
                    mark=os.path.join(where, "finalizing"),
                    go=os.path.join(where, "go-final")):
            wait_for(mark, go)

    # Freed as the interpreter finalizes (sys.modules is emptied then).
    keeper = types.ModuleType("_faults_keeper")
    keeper.finalizing = Finalizing()
    sys.modules[keeper.__name__] = keeper
    del keeper
    atexit.register(wait_for, os.path.join(where, "in-atexit"),
                    os.path.join(where, "go-atexit"))
n = 3  # BREAK: main
write("done", "yes")
if mode == "atexit":
    sys.exit(3)
