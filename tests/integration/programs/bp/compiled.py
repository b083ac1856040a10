# Run by compiled_runner.py through runpy.run_path and through
# exec(compile(source, path, "exec")), never imported.
def work(n):
    total = n * 2  # BREAK: work
    return total


class Box:
    def size(self, k):
        return k + 1  # BREAK: size


top = work(3)  # BREAK: top
print("compiled", top, Box().size(top))
