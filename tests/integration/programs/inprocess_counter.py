"""Starts the debugger itself with dapper.listen(0) and counts.

argv: MODE LIMIT. MODE "wait": dapper.wait_for_client() before counting,
then dapper.breakpoint(). Prints its address, then one line per step with
whether a client is attached. Exits with code 7."""
import sys
import time

import dapper


def step(count):
    value = count * 10  # BREAK
    return value


mode, limit = sys.argv[1], int(sys.argv[2])
dapper.breakpoint()  # no client yet: does nothing
host, port = dapper.listen(0)
print("listening", host, port, "client", dapper.is_client_connected(), flush=True)
if mode == "wait":
    print("attached", dapper.wait_for_client(20), dapper.is_client_connected(), flush=True)
    dapper.breakpoint()
    resumed = "after the breakpoint"  # AFTER
count = 0
while count < limit:
    count += 1
    step(count)
    print("tick", count, "client", dapper.is_client_connected(), flush=True)
    time.sleep(0.02)
print("finished", count, flush=True)
sys.exit(7)
