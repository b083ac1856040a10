# Alternates stdout and stderr writes (through sys.stdout/sys.stderr and
# straight to the file descriptors); each stream must keep its own order.
import os
import sys

N = 300
for i in range(N):
    if i % 3 == 0:
        os.write(1, b"out %d\n" % i)
        os.write(2, b"err %d\n" % i)
    else:
        print("out %d" % i, flush=True)
        print("err %d" % i, file=sys.stderr, flush=True)
    if i % 50 == 0:
        sys.stdout.flush()
        sys.stderr.flush()
