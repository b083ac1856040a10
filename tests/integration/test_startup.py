"""The runtime's start-up leaves the program's sys.modules as the plain
interpreter would have it (counted, not timed; bench/startup.py times it):
at the program's first line, the modules present through the adapter and
not in a plain run of the same program are at most the runtime's own
extension, `atexit` (its exit handler) and the boot script's
`sitecustomize` entry; `threading` only when the program imports it (the
runtime hooks it then). Before, a debugged program found json,
re, enum, ast, dis, importlib.util, sysconfig and their imports there
(about 40 modules), which a program can notice (`'json' in sys.modules`)
and which cost every start-up tens of milliseconds."""

import unittest

from harness import CONFIG, DapTestCase, program, run_direct

PROGRAM = program("first_modules.py")
# _posixsubprocess: a built-in C module (no Python code runs), wrapped so
# that Python child processes get the runtime (subProcess, the default).
RUNTIME_MODULES = {"_dapper_runtime", "atexit", "sitecustomize", "_posixsubprocess"}


def plain_modules(argv):
    p = run_direct(argv, timeout=30)
    if p.returncode != 0:
        raise AssertionError("%s failed: %s" % (argv, p.stderr.decode()))
    return set(p.stdout.decode().split())


class StartupModulesTests(DapTestCase):
    transport = "stdio"

    def test_modules_at_the_first_line(self):
        plain = plain_modules([CONFIG.python, PROGRAM])
        self.assertIn("sys", plain)
        r = self.run_program(self.launch_args(program=PROGRAM))
        self.assertEqual(r.exit_code, 0)
        debugged = set(r.out("stdout").split())
        self.assertIn("_dapper_runtime", debugged,
                      "the program did not run under the runtime")
        added = debugged - plain
        self.assertEqual(added - RUNTIME_MODULES, set(),
                         "modules the runtime's start-up added to the "
                         "program's sys.modules (all added: %s)"
                         % sorted(added))
        for name in ("json", "re", "enum", "ast", "dis", "sysconfig",
                     "importlib.util", "threading"):
            self.assertEqual(name in debugged, name in plain, name)


if __name__ == "__main__":
    unittest.main()
