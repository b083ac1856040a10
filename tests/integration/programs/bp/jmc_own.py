"""The runtime's own code between two user frames (test_justmycode.py): with
child processes on, os.posix_spawn is the runtime's wrapper
(_dapper_children.py), which calls the path's __fspath__ back."""
import os


class Target:
    def __fspath__(self):
        return "/bin/true"  # BREAK: fspath_line


def main():
    env, target = dict(os.environ), Target()
    pid = os.posix_spawn(target, ["true"], env)  # BREAK: spawn_line
    os.waitpid(pid, 0)  # BREAK: wait_line
    print("spawned")  # BREAK: after_line


main()
