"""Instrumented code for the `instrumented` breakpoint backend (3.11).

Loaded by the runtime next to _dapper_support.py (by absolute path, never
through sys.path) and always called from C with the thread's "inside the
debugger" flag set. Cold paths only: it runs when breakpoints change and when
module code of a file with breakpoints is about to run (an import, the
main script, runpy, exec(): the `exec` audit event).

How a breakpoint becomes bytecode (docs/runtime.md, "instrumented"):
the file is parsed, and before each statement that starts on a breakpoint
line one statement per breakpoint is inserted:

    __dapper_bp__(id, 0)                      # no condition
    try:                                      # condition inlined
        if (condition): __dapper_bp__(id, 0)
    except Exception: __dapper_bp__(id, 1)    # condition raised
    __dapper_bp__(0, 3)                       # several breakpoints: the
                                              # runtime evaluates the line

`__dapper_bp__` and `Exception` are not names: the compiler sees two sentinel
string constants, which are replaced in co_consts by the runtime's C builtin
and by the Exception class after compiling. So the check costs no globals
lookup and the program cannot shadow it. A condition that would change the
function's variables (a name of an enclosing scope, a walrus) is not inlined
(`__dapper_bp__(id, 2)`: the runtime evaluates it). Lines the insertion
cannot express (a `for`/`while` header, a continuation line, a comprehension
or lambda line) and functions whose recompiled code differs from the loaded
code (the file changed) are reported as fallback codes: the runtime traces
their frames instead.
"""
import ast
import bisect
import gc
import opcode
import sys
import types
import warnings
import weakref

_bp = None            # the C builtin called by instrumented code
_canonical = None     # _dapper_support.canonical
SENTINEL = "\x00dapper-breakpoint\x00"
SENTINEL_EXC = "\x00dapper-exception\x00"
_RESUME = opcode.opmap["RESUME"]

_orig = {}            # id(instrumented code) -> (instrumented, original)
_trees = {}           # canonical path -> (stat key, code tree | None)
_instr_cache = {}     # canonical path -> (key, bps signature, result)
_gens = []            # weakrefs to suspended generators that need tracing


def init(bp_builtin, canonical):
    global _bp, _canonical
    _bp = bp_builtin
    _canonical = canonical


# ---------------------------------------------------------------------------
# compiling

def _source(canon):
    import os
    st = os.stat(canon)
    with open(canon, "rb") as f:
        return (st.st_mtime_ns, st.st_size), f.read()


def _walk(code):
    """Every code object of the tree, depth first, parents first."""
    todo = [code]
    while todo:
        c = todo.pop()
        yield c
        todo.extend(reversed([k for k in c.co_consts
                              if isinstance(k, types.CodeType)]))


def _key(code):
    return (code.co_qualname, code.co_firstlineno, code.co_name)


def _index(top):
    out = {}
    for c in _walk(top):
        out.setdefault(_key(c), []).append(c)
    return out


def _cached_code(canon, key):
    """The code of the file's .pyc when it was written from this source
    (timestamp header: mtime and size match): what importing compiled,
    read without compiling again. None otherwise."""
    import importlib.util
    import marshal
    try:
        with open(importlib.util.cache_from_source(canon), "rb") as f:
            data = f.read()
    except (OSError, ValueError, NotImplementedError):
        return None
    if len(data) < 16 or data[:4] != importlib.util.MAGIC_NUMBER or \
            int.from_bytes(data[4:8], "little") != 0 or \
            int.from_bytes(data[8:12], "little") != \
            (key[0] // 1000000000) & 0xFFFFFFFF or \
            int.from_bytes(data[12:16], "little") != key[1] & 0xFFFFFFFF:
        return None
    try:
        code = marshal.loads(data[16:])
    except (EOFError, ValueError, TypeError):
        return None
    return code if isinstance(code, types.CodeType) else None


def _plain_tree(canon):
    """The uninstrumented recompile of the file, cached per (mtime, size)."""
    try:
        key, src = _source(canon)
    except OSError:
        return None, None, None
    hit = _trees.get(canon)
    if hit is not None and hit[0] == key:
        return key, src, hit[1]
    top = _cached_code(canon, key)
    if top is None:
        try:
            top = compile(src, canon, "exec", dont_inherit=True)
        except (SyntaxError, ValueError):
            top = None
    _trees[canon] = (key, top)
    return key, src, top


def _call(bp_id, state, node):
    return ast.Expr(ast.Call(ast.Constant(SENTINEL),
                             [ast.Constant(bp_id), ast.Constant(state)], []))


def _checks(bps, no_inline):
    """The statements inserted for the breakpoints of one line. Several
    breakpoints on one line (two moved onto the same line) are one check
    the runtime evaluates (state 3): one stop with every id that fires."""
    if len(bps) > 1:
        return [_call(0, 3, None)]
    out = []
    for bp_id, _line, cond in bps:
        if cond is None or bp_id in no_inline:
            out.append(_call(bp_id, 2 if cond is not None else 0, None))
            continue
        try:
            test = ast.parse("(%s)" % cond, mode="eval").body
        except SyntaxError:
            out.append(_call(bp_id, 2, None))  # the runtime reports it
            continue
        out.append(ast.Try(
            body=[ast.If(test=test, body=[_call(bp_id, 0, None)], orelse=[])],
            handlers=[ast.ExceptHandler(type=ast.Constant(SENTINEL_EXC),
                                        name=None,
                                        body=[_call(bp_id, 1, None)])],
            orelse=[], finalbody=[]))
    return out


_LOOPS = (ast.For, ast.AsyncFor, ast.While)


_BLOCKS = (ast.stmt, ast.excepthandler, ast.match_case)


def _insert(tree, by_line, no_inline):
    """Inserts the checks before each statement starting on a breakpoint
    line (a loop header executes once per iteration: not expressible).
    Only the statements whose lines span a breakpoint line are visited
    (a big file with one breakpoint: a few nodes, not the whole tree)."""
    lines = sorted(by_line)

    def spans(node):
        lo = getattr(node, "lineno", None)
        if lo is None:
            return True
        i = bisect.bisect_left(lines, lo)
        return i < len(lines) and lines[i] <= (node.end_lineno or lo)

    done = set()
    todo = [tree]
    while todo:
        node = todo.pop()
        todo.extend(c for c in ast.iter_child_nodes(node)
                    if isinstance(c, _BLOCKS) and spans(c))
        for field in ("body", "orelse", "finalbody"):
            stmts = getattr(node, field, None)
            if not isinstance(stmts, list) or not stmts or \
                    not isinstance(stmts[0], ast.stmt):
                continue
            new = []
            for s in stmts:
                line = s.lineno
                if line in by_line and line not in done and \
                        not isinstance(s, _LOOPS):
                    done.add(line)
                    for c in _checks(by_line[line], no_inline):
                        for n in ast.walk(c):
                            n.lineno = n.end_lineno = line
                            n.col_offset = s.col_offset
                            n.end_col_offset = s.col_offset
                        new.append(c)
                new.append(s)
            setattr(node, field, new)
    return tree


_NO_STATEMENTS = ("<listcomp>", "<setcomp>", "<dictcomp>", "<genexpr>",
                  "<lambda>")


def _hosts(top, unsupported):
    """{(name, first line)} of the functions, classes or module whose body
    gets the entry check for the unsupported code objects: each one
    itself, or the nearest enclosing scope that has statements (a
    comprehension or lambda runs inside it)."""
    out = set()
    if not unsupported:
        return out
    todo = [(top, [])]
    while todo:
        c, parents = todo.pop()
        chain = parents + [c]
        if _key(c) in unsupported:
            host = next(h for h in reversed(chain)
                        if h.co_name not in _NO_STATEMENTS)
            out.add((host.co_name, host.co_firstlineno))
        todo.extend((k, chain) for k in c.co_consts
                    if isinstance(k, types.CodeType))
    return out


def _insert_entries(tree, hosts):
    """Inserts `__dapper_bp__(0, 4)` at the start of each host's body
    (after its docstring and `from __future__` imports): the runtime
    traces the frames of the file's unsupported code from the first call
    of one on, and not before (docs/runtime.md, "instrumented")."""
    def first_line(node):
        return min([node.lineno] + [d.lineno for d in node.decorator_list])

    starts = sorted(line for _n, line in hosts)

    def spans(node):  # only the statements around a host are visited
        lo = getattr(node, "lineno", None)
        if lo is None:
            return True
        lo = min([lo] + [d.lineno for d in getattr(node, "decorator_list", [])])
        i = bisect.bisect_left(starts, lo)
        return i < len(starts) and starts[i] <= (node.end_lineno or lo)

    todo = [tree]
    while todo:
        node = todo.pop()
        todo.extend(c for c in ast.iter_child_nodes(node)
                    if isinstance(c, _BLOCKS) and spans(c))
        if isinstance(node, ast.Module):
            if not any(n == "<module>" for n, _l in hosts):
                continue
            line = 1
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                               ast.ClassDef)):
            if (node.name, first_line(node)) not in hosts:
                continue
            line = node.lineno
        else:
            continue
        body = node.body
        at = 0
        if body and isinstance(body[0], ast.Expr) and \
                isinstance(body[0].value, ast.Constant) and \
                isinstance(body[0].value.value, str):
            at = 1
        while at < len(body) and isinstance(body[at], ast.ImportFrom) and \
                body[at].module == "__future__":
            at += 1
        check = _call(0, 4, None)
        for n in ast.walk(check):
            n.lineno = n.end_lineno = line
            n.col_offset = n.end_col_offset = 0
        body.insert(at, check)
    return tree


def _patch_consts(code):
    """Replaces the sentinels by the builtin / Exception, in the whole tree."""
    consts = []
    changed = False
    for k in code.co_consts:
        if isinstance(k, types.CodeType):
            nk = _patch_consts(k)
            changed |= nk is not k
            consts.append(nk)
        elif isinstance(k, str) and k == SENTINEL:
            consts.append(_bp)
            changed = True
        elif isinstance(k, str) and k == SENTINEL_EXC:
            consts.append(Exception)
            changed = True
        else:
            consts.append(k)
    return code.replace(co_consts=tuple(consts)) if changed else code


def _traceable_lines(code):
    """Lines that produce line events in this code object itself (not the
    instructions up to its RESUME, e.g. a generator's prologue). From
    co_lines() (dis.get_instructions is ~30x slower, and this runs for
    every code object of a file with breakpoints)."""
    b = code.co_code  # caches zeroed: opcodes at even offsets
    start = None
    for i in range(0, len(b), 2):
        if b[i] == _RESUME:
            start = i + 2
            break
    if start is None:
        return set()
    return {line for _s, end, line in code.co_lines()
            if line is not None and end > start}


def _served_lines(code):
    """Lines where this code object calls the breakpoint builtin."""
    import dis
    out = set()
    for ins in dis.get_instructions(code):
        if ins.opname == "LOAD_CONST" and ins.argval is _bp and \
                ins.positions is not None:
            out.add(ins.positions.lineno)
    return out


def _same_shape(a, b):
    return (a.co_varnames == b.co_varnames and a.co_freevars == b.co_freevars
            and a.co_cellvars == b.co_cellvars)


def _instrumented_tree(canon, bps):
    """(plain index, instrumented index, unsupported keys) for the file, or
    None when it cannot be compiled. bps: [(id, line, condition|None)]."""
    key, src, plain = _plain_tree(canon)
    if plain is None:
        return None
    sig = tuple(bps)
    hit = _instr_cache.get(canon)
    if hit is not None and hit[0] == key and hit[1] == sig:
        return hit[2]
    by_line = {}
    for bp in bps:
        by_line.setdefault(bp[1], []).append(bp)
    plain_ix = _index(plain)
    no_inline = set()
    result = None
    for _attempt in range(2):
        try:
            tree = _insert(ast.parse(src, canon), by_line, no_inline)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "'str' object is not callable"
                top = compile(tree, canon, "exec", dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError):
            return None
        top = _patch_consts(top)
        instr_ix = _index(top)
        bad = set()
        for k, plains in plain_ix.items():
            instrs = instr_ix.get(k, [])
            if len(instrs) != len(plains):
                bad.add(k)
                continue
            for p, i in zip(plains, instrs):
                if not _same_shape(p, i):
                    bad.add(k)
        if bad and _attempt == 0:
            # conditions that change a function's variables: not inlined
            for k in bad:
                for p in plain_ix[k]:
                    mine = _traceable_lines(p)
                    no_inline |= {b[0] for b in bps if b[1] in mine}
            continue
        unsupported = set(bad)
        lines = set(by_line)
        for k, instrs in instr_ix.items():
            for i in instrs:
                want = _traceable_lines(i) & lines
                if want and want - _served_lines(i):
                    unsupported.add(k)
        hosts = _hosts(top, unsupported)
        if hosts:
            # their frames are traced, but only once one has started
            try:
                tree = _insert_entries(tree, hosts)  # compile left it as is
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    top = compile(tree, canon, "exec", dont_inherit=True)
            except (SyntaxError, ValueError, RecursionError):
                return None
            top = _patch_consts(top)
            instr_ix = _index(top)
        result = (plain_ix, instr_ix, unsupported, hosts)
        break
    _instr_cache[canon] = (key, sig, result)
    return result


def _bp_lines_in(code, lines):
    return bool(_traceable_lines(code) & lines)


def _subtree_has(code, lines):
    return any(_bp_lines_in(c, lines) for c in _walk(code))


# ---------------------------------------------------------------------------
# replacing live code

def _match(orig, trees):
    """The instrumented counterpart of a loaded code object, or None when
    the recompile does not match it."""
    plain_ix, instr_ix = trees[0], trees[1]
    k = _key(orig)
    plains = plain_ix.get(k, [])
    for n, p in enumerate(plains):
        if p.co_code != orig.co_code or p.co_names != orig.co_names or \
                not _same_shape(p, orig):
            continue
        pw, ow = list(_walk(p)), list(_walk(orig))
        if len(pw) != len(ow) or any(
                a.co_code != b.co_code or not _same_shape(a, b)
                for a, b in zip(pw, ow)):
            continue
        return instr_ix[k][n]
    return None


def _original(code):
    hit = _orig.get(id(code))
    if hit is not None and hit[0] is code:
        return hit[1]
    return code


def is_instrumented(code):
    hit = _orig.get(id(code))
    return hit is not None and hit[0] is code


def _classify(new, trees, lines, instr, lazy, entry):
    """Sorts the code objects of an instrumented subtree: the ones that
    serve their breakpoint lines themselves, the ones that need tracing
    once an entry check ran (lazy), the ones with an entry check."""
    for c in _walk(new):
        if (c.co_name, c.co_firstlineno) in trees[3]:
            entry.append(c)
        if not _bp_lines_in(c, lines):
            continue
        if _key(c) in trees[2]:
            lazy.append(c)
        else:
            instr.append(c)


def instrument_code(canon, code, bps):
    """The instrumented version of a code object about to run (a module
    being imported, the main script), as (new code, instrumented codes,
    fallback codes, lazy fallback codes, codes with an entry check); new
    code is None when nothing changes. Lazy ones need tracing only once an
    entry check ran (none of their frames can be running yet)."""
    lines = {b[1] for b in bps}
    instr, fallback, lazy, entry = [], [], [], []
    if not lines or is_instrumented(code):
        return None, instr, fallback, lazy, entry
    trees = _instrumented_tree(canon, bps)
    new = _match(code, trees) if trees is not None else None
    if new is None:
        fallback.extend(c for c in _walk(code) if _bp_lines_in(c, lines))
        return None, instr, fallback, lazy, entry
    if not _subtree_has(new, lines):
        return None, instr, fallback, lazy, entry
    _orig[id(new)] = (new, code)
    _classify(new, trees, lines, instr, lazy, entry)
    return new, instr, fallback, lazy, entry


def _running_frames():
    me = sys._getframe()
    for ident, f in sys._current_frames().items():
        while f is not None:
            if f is me:
                break
            yield ident, f
            f = f.f_back


_module_canon = {}     # a module's __file__ -> canonical (start-up only)


def _imported(canon):
    """True when a module in sys.modules was loaded from the file."""
    for mod in list(sys.modules.values()):
        f = getattr(mod, "__file__", None)
        if not isinstance(f, str):
            continue
        c = _module_canon.get(f)
        if c is None:
            c = _module_canon[f] = _canonical(f)
        if c == canon:
            return True
    return False


def update(canon, bps, instrument, early=False):
    """Breakpoints of a file changed (bps: [(id, line, condition|None)]).
    Replaces `__code__` of the file's live functions (instrument=True) or
    restores them, and finds what must be traced: frames already running
    code that does not serve the breakpoint lines, and suspended
    generators/coroutines running such code. Returns (instrumented codes,
    fallback codes, idents of threads running fallback frames, lazy
    fallback codes, codes with an entry check: see instrument_code).
    early: the program has not started yet."""
    lines = {b[1] for b in bps}
    if early and instrument and not _imported(canon):
        # before the program's first line no code of a file that was not
        # imported can exist: nothing to replace, no heap scan
        return [], [], [], [], []
    # compiled at the first live function of the file: none before the
    # program imports it (breakpoints set at start-up cost no compile)
    trees, compiled = None, not (instrument and lines)
    instr, fallback, served = [], [], set()
    lazy, entry = [], []
    gens = []
    for obj in gc.get_objects():
        t = type(obj)
        if t is types.FunctionType:
            cur = obj.__code__
            if _canonical(cur.co_filename) != canon:
                continue
            orig = _original(cur)
            new = None
            if not compiled:
                trees, compiled = _instrumented_tree(canon, bps), True
            if trees is not None:
                new = _match(orig, trees)
                if new is None:
                    fallback.extend(c for c in _walk(orig)
                                    if _bp_lines_in(c, lines))
                elif not _subtree_has(new, lines):
                    new = None
            target = new if new is not None else orig
            if target is not cur:
                try:
                    obj.__code__ = target
                except (ValueError, TypeError):
                    fallback.extend(c for c in _walk(orig)
                                    if _bp_lines_in(c, lines))
                    continue
            if new is not None:
                _orig[id(new)] = (new, orig)
                if id(new) not in served:
                    served.add(id(new))
                    _classify(new, trees, lines, instr, lazy, entry)
        elif t in (types.GeneratorType, types.CoroutineType,
                   types.AsyncGeneratorType):
            gens.append(obj)
    if not lines:
        return [], [], [], [], []
    served_codes = {id(c) for c in instr}
    need = {}  # id(code) -> code

    def needs(code):
        return _canonical(code.co_filename) == canon and \
            id(code) not in served_codes and _bp_lines_in(code, lines)

    threads = set()
    for ident, f in _running_frames():
        code = f.f_code
        if _canonical(code.co_filename) != canon:
            continue
        if needs(code):
            need[id(code)] = code
            threads.add(ident)
        # closures the running (old) code creates later (a function or
        # loop that defines them again; module code ran its `def`s once)
        if code.co_name != "<module>":
            for c in _walk(code):
                if c is not code and needs(c):
                    need[id(c)] = c
    del _gens[:]
    for g in gens:
        frame = getattr(g, "gi_frame", None) or getattr(g, "cr_frame", None) \
            or getattr(g, "ag_frame", None)
        if frame is None:
            continue
        if needs(frame.f_code):
            need[id(frame.f_code)] = frame.f_code
            _gens.append(weakref.ref(g))
    fallback.extend(need.values())
    # a lazy code running already (an older frame) is traced from now on
    lazy = [c for c in lazy if id(c) not in need]
    return instr, fallback, sorted(threads), lazy, entry


def restore_all():
    """Gives every function its original code back (backend removed)."""
    for obj in gc.get_objects():
        if type(obj) is types.FunctionType:
            cur = obj.__code__
            orig = _original(cur)
            if orig is not cur:
                try:
                    obj.__code__ = orig
                except (ValueError, TypeError):
                    pass
    _orig.clear()
    _instr_cache.clear()
    del _gens[:]
