# Exits with the status given as the first argument: sys.exit(int(argv[1])).
import sys

print("exiting with", sys.argv[1])
sys.exit(int(sys.argv[1]))
