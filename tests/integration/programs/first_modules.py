# Prints the names in sys.modules at the program's first line, one per line
# (test_startup.py: what the debugger's start-up added to them).
import sys

sys.stdout.write("".join(name + "\n" for name in sorted(sys.modules)))
