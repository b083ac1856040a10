#!/usr/bin/env python3
"""Runs the integration tests against one debuggee interpreter.

    run.py --adapter build/dev/adapter/dapper-adapter \
           --python /usr/bin/python3.11 [--transport stdio|tcp|both] [-k PATTERN]

The last line printed is "N passed, N failed" (", N skipped" when any).
Exit status: 0 when every test passed, 1 otherwise, 77 (CTest's
SKIP_RETURN_CODE) when the interpreter does not exist.

Standard library only; runs on the driver interpreter (Python 3.8+), not on
the interpreter under test.
"""

import argparse
import atexit
import ctypes
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402

TEST_MODULES = ["test_schema", "test_cli", "test_session"]
SKIP = 77


class Result(unittest.TextTestResult):
    """Adds the DAP transcript of a failed test to its report."""

    def _add_transcript(self, entries, test):
        transcript = getattr(test, "transcript", None)
        if not callable(transcript) or not entries or entries[-1][0] is not test:
            return
        try:
            text = transcript()
        except Exception as e:  # a report must never hide the failure
            text = "(no transcript: %r)" % (e,)
        if text:
            entries[-1] = (test, entries[-1][1] + "\nSession transcript:\n"
                           + text + "\n")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._add_transcript(self.failures, test)

    def addError(self, test, err):
        super().addError(test, err)
        self._add_transcript(self.errors, test)


def iter_tests(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from iter_tests(t)
        else:
            yield t


def become_subreaper():
    """Orphaned grandchildren of the adapter become our children (not
    init's), so the tests can reap them and tell a zombie the adapter
    forgot from one merely waiting for init. Linux only; best effort."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_CHILD_SUBREAPER = 36
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--adapter", required=True,
                   help="the dapper-adapter binary")
    p.add_argument("--python", required=True,
                   help="the debuggee interpreter")
    p.add_argument("--transport", choices=["stdio", "tcp", "both"],
                   default="both")
    p.add_argument("-k", dest="patterns", action="append", default=[],
                   help="only tests whose name contains this (repeatable; "
                   "* wildcards as in unittest -k)")
    p.add_argument("--module", dest="modules", action="append", default=[],
                   help="test module to run (repeatable; default: %s)"
                   % ", ".join(TEST_MODULES))
    p.add_argument("-v", "--verbose", action="store_true")
    p.add_argument("--failfast", action="store_true")
    args = p.parse_args(argv)

    python = os.path.abspath(args.python)
    if not (os.path.isfile(python) and os.access(python, os.X_OK)):
        print("SKIPPED: interpreter %s does not exist" % args.python)
        return SKIP
    adapter = os.path.abspath(args.adapter)
    if not (os.path.isfile(adapter) and os.access(adapter, os.X_OK)):
        print("error: adapter %s does not exist (build it first)"
              % args.adapter, file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    try:
        version = subprocess.run(
            [python, "-c", "import sys; print(sys.version.split()[0])"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30,
            stdin=subprocess.DEVNULL).stdout.decode(errors="replace").strip()
    except (OSError, subprocess.TimeoutExpired) as e:
        print("SKIPPED: interpreter %s does not run: %s" % (args.python, e))
        return SKIP

    harness.CONFIG.adapter = adapter
    harness.CONFIG.python = python
    become_subreaper()
    # the 3.11 instrumentation cache on disk: a directory of this run,
    # never the user's (the adapter and the programs inherit it). Through
    # XDG_CACHE_HOME, not DAPPER_CACHE_DIR: the tests check that no DAPPER_
    # variable of the debugger's reaches the programs.
    cache = tempfile.mkdtemp(prefix="dapper-test-cache.")
    atexit.register(shutil.rmtree, cache, True)
    os.environ["XDG_CACHE_HOME"] = cache
    os.environ.pop("DAPPER_CACHE_DIR", None)

    loader = unittest.TestLoader()
    if args.patterns:
        loader.testNamePatterns = [
            pat if "*" in pat else "*%s*" % pat for pat in args.patterns]
    suite = unittest.TestSuite()
    for name in args.modules or TEST_MODULES:
        module = __import__(name)
        for test in iter_tests(loader.loadTestsFromModule(module)):
            transport = getattr(type(test), "transport", None)
            if transport and args.transport not in ("both", transport):
                continue
            suite.addTest(test)

    print("dapper integration tests: adapter %s, python %s (%s), "
          "transport %s, %d tests"
          % (adapter, python, version, args.transport, suite.countTestCases()))
    sys.stdout.flush()
    if suite.countTestCases() == 0:
        print("no tests match %s" % " ".join(args.patterns))
        print("0 passed, 0 failed")
        return 1

    runner = unittest.TextTestRunner(stream=sys.stdout, resultclass=Result,
                                     verbosity=2 if args.verbose else 1,
                                     failfast=args.failfast)
    started = time.monotonic()
    result = runner.run(suite)
    elapsed = time.monotonic() - started

    failed_tests = {id(t) for t, _ in result.failures + result.errors}
    failed = len(failed_tests) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    # A class skipped in setUpClass is one entry (an _ErrorHolder) that
    # testsRun does not count.
    skipped_run = len([t for t, _ in result.skipped
                       if not isinstance(t, unittest.suite._ErrorHolder)])
    expected = len(result.expectedFailures)
    passed = result.testsRun - len(
        {id(t) for t, _ in result.failures + result.errors
         if not isinstance(t, unittest.suite._ErrorHolder)}) \
        - skipped_run - len(result.unexpectedSuccesses) - expected
    print("python %s: %.1fs" % (version, elapsed))
    summary = "%d passed, %d failed" % (passed, failed)
    if skipped:
        summary += ", %d skipped" % skipped
    if expected:
        summary += ", %d known failures (expectedFailure)" % expected
    print(summary)
    sys.stdout.flush()
    return 0 if failed == 0 and result.wasSuccessful() else 1

if __name__ == "__main__":
    sys.exit(main())
