# Writes about 10 MB of UTF-8 text to stdout, with non-ASCII characters
# (2, 3 and 4 byte sequences), in writes whose sizes do not line up with
# character or line boundaries. Deterministic: the test runs it directly too.
import sys

TOTAL = 10 * 1024 * 1024
WORDS = ["hello", "héllo", "wörld", "✓", "日本語", "😀", "Ωmega", "naïve",
         "x" * 37, "ĳ", "—", "€uro"]


def lines():
    i = 0
    size = 0
    while size < TOTAL:
        n = (i * 7919) % 23 + 1
        words = [WORDS[(i + k) % len(WORDS)] for k in range(n)]
        line = ("%07d " % i + " ".join(words) + "\n").encode("utf-8")
        size += len(line)
        yield line
        i += 1


def main():
    out = sys.stdout.buffer
    pending = bytearray()
    sizes = [1, 4093, 65537, 3, 131071, 17]
    k = 0
    for line in lines():
        pending += line
        while len(pending) >= sizes[k % len(sizes)]:
            n = sizes[k % len(sizes)]
            out.write(pending[:n])
            del pending[:n]
            k += 1
    out.write(pending)
    out.flush()


main()
