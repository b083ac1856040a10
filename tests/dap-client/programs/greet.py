# The program the DebugClient tests debug; the tests find lines by their
# `# LINE: name` markers.
import sys


def greet(name):
    message = "hello " + name  # LINE: greet
    return message

# LINE: comment

for who in ("world", "again"):  # LINE: loop
    print(greet(who))
print("done", file=sys.stderr)
