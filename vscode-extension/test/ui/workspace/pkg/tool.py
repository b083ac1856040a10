import sys


def main(argv):
    total = 0
    for i, word in enumerate(argv):
        total += len(word)
    print("total", total, argv)
    return 0


sys.exit(main(sys.argv[1:]))
