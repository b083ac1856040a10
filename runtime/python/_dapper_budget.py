"""The time budget per value of the dapper runtime (docs/runtime.md, "Time
budget"), for the value rendering of _dapper_values.py.

A request that renders values gives each piece of program code it runs (a
__repr__, a getter, len(), a renderer) its own share of evaluateTimeout,
run on a helper thread the stopped thread waits for with a timeout. A
slow one fails only that variable ("<repr timed out after 1 s>"); the
helper is left behind to finish it and a fresh one serves the rest.

Loaded by `_dapper_support` by absolute path (never through sys.path or
sys.modules), like the other runtime modules, with the inspection.
"""
_rt = None

VALUE_SHARE = 0.2    # of evaluateTimeout, per value
REQUEST_SHARE = 0.8  # of evaluateTimeout, for everything a request renders
MAX_STUCK = 8        # helpers left running slow code before we stop trying

_budget = {"timeout": 5.0}
_deadlines = {}      # thread ident -> end of its request's share
MAX_IDLE = 4         # helpers kept waiting for work
_helpers = {"idle": [], "stuck": [], "idents": set()}


def init(rt):
    global _rt
    _rt = rt
    import os
    os.register_at_fork(after_in_child=_forget_helpers)


def _forget_helpers():
    """In a forked child the helper threads do not exist."""
    _helpers["idle"] = []
    _helpers["stuck"] = []
    _helpers["idents"] = set()


class TimedOut(Exception):
    """A value's program code ran out of its share; str() is the value."""


def set_timeout(seconds):
    """evaluateTimeout from `configure`."""
    if isinstance(seconds, (int, float)) and seconds > 0:
        _budget["timeout"] = float(seconds)


def begin_request():
    """Starts the budget of a request that renders values (this thread's;
    two threads stopped at once each have theirs)."""
    import _thread
    import time
    _deadlines[_thread.get_ident()] = time.monotonic() + \
        _budget["timeout"] * REQUEST_SHARE


def end_request():
    import _thread
    _deadlines.pop(_thread.get_ident(), None)


class _Helper:
    """A thread (inside the debugger, not a program thread) that runs one
    piece of program code at a time for the stopped thread."""

    def __init__(self):
        import _thread
        self.wake = _thread.allocate_lock()
        self.wake.acquire()
        self.job = None
        self.retired = False
        self.running = False
        _rt._spawn(self._loop)

    def _loop(self):
        import _thread
        _helpers["idents"].add(_thread.get_ident())
        try:
            while not self.retired:
                if not self.wake.acquire(True, 30):
                    continue
                job, self.job = self.job, None
                if job is None:
                    continue
                self.running = True
                try:
                    job[1] = (True, job[0]())
                except BaseException as e:  # noqa: B902 - handed over
                    job[1] = (False, e)
                self.running = False
                job[2].release()
        finally:
            _helpers["idents"].discard(_thread.get_ident())


def _fmt_seconds(t):
    return ("%.2f" % t).rstrip("0").rstrip(".")


def budgeted(fn, what="repr"):
    """fn() run with a value's share of the time budget: its result, or its
    exception re-raised, or TimedOut."""
    import _thread
    import time
    if _thread.get_ident() in _helpers["idents"]:
        return fn()  # already inside a budgeted call
    share = max(0.05, _budget["timeout"] * VALUE_SHARE)
    deadline = _deadlines.get(_thread.get_ident())
    if deadline is not None:
        share = min(share, deadline - time.monotonic())
        if share <= 0:
            raise TimedOut("<%s not run: the request's time budget of %s s "
                           "is spent>" % (what,
                                          _fmt_seconds(_budget["timeout"])))
    stuck = [h for h in _helpers["stuck"] if h.running]
    _helpers["stuck"] = stuck
    if len(stuck) >= MAX_STUCK:
        raise TimedOut("<%s not run: %d earlier ones are still running>"
                       % (what, len(stuck)))
    # One helper per waiting thread: two threads stopped at once each take
    # their own.
    idle = _helpers["idle"]
    try:
        h = idle.pop() if idle else _Helper()
    except RuntimeError:  # no thread can be started: no budget then
        return fn()
    done = _thread.allocate_lock()
    done.acquire()
    # The helper sees the stopped thread's context variables (decimal's
    # context, a framework's request state), not its threading.local data.
    import _contextvars
    job = [(lambda ctx: lambda: ctx.run(fn))(_contextvars.copy_context()),
           None, done]
    h.job = job
    h.wake.release()
    if not done.acquire(True, share):
        h.retired = True
        _helpers["stuck"].append(h)
        raise TimedOut("<%s timed out after %s s>" % (what,
                                                      _fmt_seconds(share)))
    if len(idle) < MAX_IDLE:
        idle.append(h)
    else:
        h.retired = True
        h.wake.release()  # its loop sees no job and ends
    ok, res = job[1]
    if ok:
        return res
    raise res
