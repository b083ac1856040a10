"""Jump targets and step-in targets of the dapper runtime (docs/runtime.md,
"Jump to a line" and "Step into a target").

Loaded by `_dapper_support` by absolute path, like _dapper_inspect.py.
Every request here runs in the context of a stopped thread, with its
"inside the debugger" flag set:

- `gotoTargets` (source, line): the line as one target (id = the line) when
  it has code of the function the stopped thread's top frame runs;
- `goto` (threadId, targetId): moves that frame's next line (CPython's
  `frame.f_lineno = n`, rt_goto.h says where it is allowed), or explains
  in the user's terms why Python refuses the jump;
- `stepInTargets` (frameId): the calls of the frame's current line, in
  source order, labelled with the callee's text; the C side keeps the
  offsets of each call instruction for `stepIn` with a targetId.
"""
import ast
import dis
import sys
import warnings

_rt = None
_support = None
RequestError = Exception

# Returned by a request handler whose response the thread sends later.
DEFERRED = object()


def init(rt, support):
    global _rt, _support, RequestError
    _rt = rt
    _support = support
    RequestError = support.RequestError


def _top(thread):
    frames = _support._stops.get(thread)
    if not frames:
        raise RequestError("thread %d is not stopped" % thread)
    return frames[0][0]


def _own_lines(code):
    """Lines with code of this code object itself (not nested ones)."""
    return {line for _s, _e, line in code.co_lines() if line is not None}


def _name(code):
    return getattr(code, "co_qualname", code.co_name)


def _where(code):
    lines = _own_lines(code)
    if code.co_name == "<module>":
        return "the module's top level"
    return "`%s` (lines %d-%d)" % (_name(code), code.co_firstlineno,
                                   max(lines) if lines else code.co_firstlineno)


# ---------------------------------------------------------------------------
# gotoTargets, goto

def _goto_targets(thread, args):
    source = _support.arg("gotoTargets", args, "source", "object",
                          'gotoTargets needs a "source" object')
    path = _support.arg("gotoTargets", source, "path", "string",
                        'gotoTargets needs "source.path"', label="source.path")
    line = _support.arg("gotoTargets", args, "line", "integer",
                        'gotoTargets needs a "line"')
    canon = _support.canonical(path)
    # The stopped thread's function first, then those of the parked ones.
    tops = [_top(thread)] + [frames[0][0] for tid, frames in
                             list(_support._stops.items())
                             if tid != thread and frames]
    for frame in tops:
        code = frame.f_code
        if _support.canonical(code.co_filename) == canon and \
                line in _own_lines(code):
            return {"targets": [{"id": line, "label": "line %d" % line,
                                 "line": line}]}
    return {"targets": []}  # not a line of a running function


def _blocks(path, line):
    """[(kind, first line, last line)] of the compound statements of the
    file that contain `line`, outermost first."""
    tree = _parse(path)
    if tree is None:
        return []
    kinds = {ast.For: "for", ast.AsyncFor: "async for", ast.With: "with",
             ast.AsyncWith: "async with", ast.Try: "try",
             ast.ExceptHandler: "except", ast.While: "while"}
    if hasattr(ast, "TryStar"):
        kinds[ast.TryStar] = "try"
    out = []
    for node in ast.walk(tree):
        kind = kinds.get(type(node))
        if kind is None or not node.lineno <= line <= node.end_lineno:
            continue
        if kind in ("for", "async for", "while", "with", "async with") \
                and line == node.lineno:
            continue  # the header line itself is outside its body
        if isinstance(node, ast.Try) and node.finalbody and \
                node.finalbody[0].lineno <= line:
            kind = "finally"
        out.append((kind, node.lineno, node.end_lineno))
    out.sort(key=lambda b: (b[1], -b[2]))
    return out


_WHY = {
    "for": "the loop's iterator exists only once the `for` line ran; jump "
           "to the `for` line (%d) instead",
    "async for": "the loop's iterator exists only once the `async for` line "
                 "ran; jump to that line (%d) instead",
    "with": "the context manager is entered only by the `with` line (%d)",
    "async with": "the context manager is entered only by the `async with` "
                  "line (%d)",
    "except": "an `except` block (line %d) runs only when it handles an "
              "exception",
    "finally": "a `finally` block (from line %d) is entered only by leaving "
               "its `try`",
}


def _article(word):
    return "an" if word[0] in "aeiou" else "a"


def _explain(frame, line, err):
    """The error message for a jump CPython refused (err: its ValueError)."""
    code = frame.f_code
    here = frame.f_lineno
    why = None
    inside_target = _blocks(code.co_filename, line)
    inside_here = _blocks(code.co_filename, here)
    entering = [b for b in inside_target if b not in inside_here]
    leaving = [b for b in inside_here if b not in inside_target]
    for kind, first, _last in reversed(entering):
        if kind in _WHY:
            why = "line %d is inside %s `%s` block that line %d is not " \
                  "in: Python cannot jump into it (%s)" % (
                      line, _article(kind), kind, here, _WHY[kind] % first)
            break
    if why is None:
        for kind, first, _last in reversed(leaving):
            if kind in ("except", "finally"):
                why = "line %d is inside %s `%s` block (line %d) that " \
                      "line %d is not in: Python cannot jump out of it" % (
                          here, _article(kind), kind, first, line)
                break
    if why is None:
        why = "Python refuses this jump"
    return "Cannot jump from line %d to line %d in %s: %s (Python: %s)." % (
        here, line, _where(code), why, err)


def attempt(frame, line):
    """Makes the jump now (the thread is inside a trace event of frame).
    Returns None, or the error message when Python refuses."""
    code = frame.f_code
    unbound = ()
    if sys.version_info >= (3, 12) and code.co_name != "<module>":
        have = frame.f_locals
        unbound = [n for n in code.co_varnames if n not in have]
    saved = frame.f_trace
    try:
        with warnings.catch_warnings():
            # 3.12+ binds None to unbound locals with a RuntimeWarning that
            # would go to the program's stderr: said on the console instead.
            warnings.simplefilter("ignore")
            if sys.version_info < (3, 12):
                # 3.11 checks that the frame has a Python trace function.
                frame.f_trace = _noop
            frame.f_lineno = line
    except ValueError as err:
        return _explain(frame, line, err)
    finally:
        if sys.version_info < (3, 12):
            frame.f_trace = saved
    if unbound:
        have = frame.f_locals
        now_none = [n for n in unbound if n in have and have[n] is None]
        if now_none:
            _support.send_output(
                "dapper: after the jump to line %d, %s %s None (Python binds "
                "None to local variables that were not assigned yet)\n" % (
                    line, ", ".join(now_none),
                    "is" if len(now_none) == 1 else "are"))
    return None


_POP_TOP = dis.opmap["POP_TOP"]


def attempt_deferred(frame, line):
    """attempt() at an opcode event right after the instrumented breakpoint
    check returned; False while the frame is on the POP_TOP of the check's
    result: with that value still on its stack CPython would take it for
    the stack of the block jumped into (a `with` block's exit)."""
    if frame.f_code.co_code[frame.f_lasti] == _POP_TOP:
        return False
    return attempt(frame, line)


def _noop(*_args):
    return _noop


def _goto(thread, args):
    line = _support.arg("goto", args, "targetId", "integer",
                        "targetId is required")
    frame = _top(thread)
    code = frame.f_code
    if line not in _own_lines(code):
        raise RequestError(
            "Cannot jump to line %d: it is not a line with code of %s, where "
            "thread %d is stopped; a jump stays in the running function "
            "(ask gotoTargets for the lines it accepts)" % (
                line, _where(code), thread))
    mode = _rt._goto_mode(frame)
    if mode is None:
        raise RequestError(
            "Cannot jump: thread %d did not stop at the start of a line (it "
            "stopped on an exception or a call), and Python jumps only from "
            "a line; step once, then jump" % thread)
    if mode == "later":
        _rt._goto_defer(line)  # made at the frame's next instruction
        return DEFERRED
    err = attempt(frame, line)
    if err is not None:
        raise RequestError(err)
    _rt._goto_restop(frame, line)
    return {}


# ---------------------------------------------------------------------------
# stepInTargets

_trees = {}  # path -> (source lines, ast tree or None)


def _parse(path):
    import linecache
    lines = linecache.getlines(path)
    hit = _trees.get(path)
    if hit is not None and hit[0] == lines:
        return hit[1]
    try:
        tree = ast.parse("".join(lines), path) if lines else None
    except (SyntaxError, ValueError):
        tree = None
    if len(_trees) > 64:
        _trees.clear()
    _trees[path] = (lines, tree)
    return tree


def _calls_by_position(path, line):
    """{(lineno, col, end_lineno, end_col): callee text} of the calls that
    start on `line` of the file."""
    import linecache
    tree = _parse(path)
    out = {}
    if tree is None:
        return out
    source = "".join(linecache.getlines(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.lineno == line:
            text = ast.get_source_segment(source, node.func) or "call"
            out[(node.lineno, node.col_offset, node.end_lineno,
                 node.end_col_offset)] = " ".join(text.split())
    return out


def _is_check(ins):
    """The instrumented backend's breakpoint check (a constant builtin)."""
    return ins.opname == "LOAD_CONST" and \
        getattr(ins.argval, "__name__", None) == "__dapper_bp__"


def _column(path, line, byte_col):
    """1-based character column of a UTF-8 byte offset on a line."""
    import linecache
    text = linecache.getline(path, line).encode("utf-8")
    return len(text[:byte_col].decode("utf-8", "replace")) + 1


def _calls(frame):
    """[(lo, hi, label, positions)] of the calls the frame's line still
    makes, in source order: lo/hi are the offsets of the call instruction
    (a callee's f_back.f_lasti is in [lo, hi) while it runs)."""
    code = frame.f_code
    line = frame.f_lineno
    lasti = frame.f_lasti
    known = _calls_by_position(code.co_filename, line)
    ins = list(dis.get_instructions(code))
    out = []
    check = False
    for i, x in enumerate(ins):
        if _is_check(x):
            check = True
            continue
        if not x.opname.startswith("CALL") or x.opname.startswith("CALL_INTR"):
            continue
        was_check, check = check, False
        pos = x.positions
        if was_check or pos is None or pos.lineno != line or x.offset <= lasti:
            continue
        key = (pos.lineno, pos.col_offset, pos.end_lineno, pos.end_col_offset)
        label = known.get(key)
        if label is None:
            continue  # not a call written in the source (a decorator, ...)
        hi = ins[i + 1].offset if i + 1 < len(ins) else len(code.co_code)
        out.append((x.offset, hi, label, key))
    out.sort(key=lambda c: (c[3][1], c[3][0]))
    return out


def _step_in_targets(thread, args):
    fid = _support.arg("stepInTargets", args, "frameId", "integer",
                       "frameId is required")
    hit = _support._frame_ids.get(fid)
    if hit is None or hit[0] != thread:
        raise RequestError("frame %s is not valid any more: frame ids last "
                           "until the program resumes" % fid)
    frame = hit[1]
    if frame is not _top(thread):
        return {"targets": []}  # stepIn steps the top frame only
    calls = _calls(frame)
    kept = _rt._set_step_targets(frame, [(lo, hi) for lo, hi, _l, _k in calls])
    calls = calls[:kept]  # the C side keeps a bounded number
    one = 1 if _support._inspect._settings.get("columnsStartAt1", True) else 0
    path = frame.f_code.co_filename
    targets = []
    for i, (_lo, _hi, label, key) in enumerate(calls):
        targets.append({
            "id": i + 1, "label": label, "line": key[0],
            "column": _column(path, key[0], key[1]) - 1 + one,
            "endLine": key[2],
            "endColumn": _column(path, key[2], key[3]) - 1 + one})
    return {"targets": targets}


requests = {
    "gotoTargets": _goto_targets,
    "goto": _goto,
    "stepInTargets": _step_in_targets,
}
