# Writes SIZE bytes of deterministic ASCII lines to stdout as fast as it can,
# then its byte count and SHA-256 to stderr: test_load.py, item 2.
import hashlib
import sys

SIZE = int(sys.argv[1])
h = hashlib.sha256()
out = sys.stdout.buffer
written = 0
n = 0
while written < SIZE:
    line = b"%09d " % n + b"abcdefghijklmnopqrstuvwxyz0123456789" * 27 + b"\n"
    line = line[:SIZE - written]
    out.write(line)
    h.update(line)
    written += len(line)
    n += 1
out.flush()
sys.stderr.write("burst %d %s\n" % (written, h.hexdigest()))
sys.stderr.flush()
