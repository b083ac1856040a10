"""Instrumented code for the `instrumented` breakpoint backend (3.11).

Loaded by the runtime next to _dapper_support.py (by absolute path, never
through sys.path) and always called from C with the thread's "inside the
debugger" flag set. Cold paths only: it runs when breakpoints change and when
module code of a file with breakpoints is about to run (an import, the
main script, runpy, exec(): the `exec` audit event).

How a breakpoint becomes bytecode (docs/runtime.md, "instrumented"):
the outermost function around the breakpoint line that is not inside
another function (or the class, for a class-body line) is parsed from its
own lines (at their line numbers, under headers for its classes; the
whole file only for module-level lines), and before each statement that
starts on a breakpoint line one statement per breakpoint is inserted:

    __dapper_bp__(line, 0)                    # no condition
    try:                                      # condition inlined
        if (condition): __dapper_bp__(line, 0)
    except Exception: __dapper_bp__(line, 1)  # condition raised
    __dapper_bp__(0, 3)                       # several breakpoints: the
                                              # runtime evaluates the line

The check names its line, not the breakpoint's id (ids change at every
setBreakpoints; the runtime finds the line's breakpoint when it is called),
so the compiled code depends on the lines and conditions only: what the
cache keeps is the code that is installed, and nothing else of a compile is
kept (no tree, no source, no plain recompile: a fingerprint of it).

`__dapper_bp__` and `Exception` are not names: the compiler sees two sentinel
string constants, which are replaced in co_consts by the runtime's C builtin
and by the Exception class after compiling. So the check costs no globals
lookup and the program cannot shadow it. A condition that would change the
function's variables (a name of an enclosing scope, a walrus) is not inlined
(`__dapper_bp__(line, 2)`: the runtime evaluates it). Lines the insertion
cannot express (a `for`/`while` header, a continuation line, a comprehension
or lambda line) and functions whose recompiled code differs from the loaded
code (the file changed) are reported as fallback codes: the runtime traces
their frames instead.

Each function compiled with its checks is also kept on disk (the end of
this file): a later session with the same breakpoints reads it instead of
compiling. Its name covers the loaded function's fingerprint, so an entry
is only ever found for the code it was compiled against.
"""
import _ast as ast  # the node classes; ast.py (and enum) is not loaded
import _frozen_importlib_external as _bootstrap_external  # MAGIC_NUMBER
import _thread
import _weakref
import bisect
import gc
import marshal
import opcode
import os
import sys
import time
import types
import warnings

try:
    from _blake2 import blake2b as _blake2b  # hashlib would load OpenSSL
except ImportError:  # pragma: no cover
    from hashlib import blake2b as _blake2b

_PyCF_ONLY_AST = 0x400


def _parse(source, filename):
    """ast.parse(source, filename)."""
    return compile(source, filename, "exec", _PyCF_ONLY_AST,
                   dont_inherit=True)


def _children(node):
    """_children(node)."""
    for name in node._fields:
        field = getattr(node, name, None)
        if isinstance(field, ast.AST):
            yield field
        elif isinstance(field, list):
            for item in field:
                if isinstance(item, ast.AST):
                    yield item


def _nodes(node):
    """_nodes(node)."""
    todo = [node]
    while todo:
        node = todo.pop()
        todo.extend(_children(node))
        yield node


_bp = None            # the C builtin called by instrumented code
_canonical = None     # _dapper_support.canonical
SENTINEL = "\x00dapper-breakpoint\x00"
SENTINEL_EXC = "\x00dapper-exception\x00"
_RESUME = opcode.opmap["RESUME"]
# RESUME once the code was quickened (opcode's free slots, as dis numbers
# the specialized instructions)
_SPECIALIZED = dict(zip(
    getattr(opcode, "_specialized_instructions", []),
    [i for i, n in enumerate(opcode.opname) if n.startswith("<")]))
_RESUME_QUICK = _SPECIALIZED.get("RESUME_QUICK", _RESUME)
# specialized opcode -> its base (3.11's _PyOpcode_Deopt), inline caches
_DEOPT = bytearray(range(256))
for _base, _names in getattr(opcode, "_specializations", {}).items():
    for _name in _names:
        _DEOPT[_SPECIALIZED[_name]] = opcode.opmap[_base]
_CACHES = getattr(opcode, "_inline_cache_entries", None)
_LOAD_CONST = opcode.opmap["LOAD_CONST"]
_EXTENDED_ARG = opcode.opmap["EXTENDED_ARG"]
_CO_OPTIMIZED = 0x0001
_FUTURE_FLAGS = 0x1FE0000  # CO_FUTURE_DIVISION ... CO_FUTURE_ANNOTATIONS

# What the breakpoint changes compiled (`dapper/statistics`): functions
# recompiled from their own lines, files recompiled whole, source lines
# parsed and compiled for either.
stats = {"functions_instrumented": 0, "files_instrumented": 0,
         "lines_compiled": 0, "heap_scans": 0}

_orig = {}            # id(instrumented code) -> (instrumented, original)
_trees = {}           # canonical path -> (stat key, code tree | None)
_instr_cache = {}     # canonical path -> (key, bps signature, whole-file result)
_seg_cache = {}       # canonical path -> (key, {function key + its bps: seg})
_loaded = {}          # canonical path -> (key, module code imported from it)
_gens = []            # weakrefs to suspended generators that need tracing


def init(bp_builtin, canonical, support=None):
    global _bp, _canonical
    _bp = bp_builtin
    _canonical = canonical
    set_support(support)


# ---------------------------------------------------------------------------
# compiling

def _source(canon):
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
    try:
        with open(_bootstrap_external.cache_from_source(canon), "rb") as f:
            data = f.read()
    except (OSError, ValueError, NotImplementedError):
        return None
    if len(data) < 16 or data[:4] != _bootstrap_external.MAGIC_NUMBER or \
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


def _plain_tree(canon, key=None, read=None):
    """The uninstrumented recompile of the file, cached per (mtime, size).
    key, read: the file's (mtime, size) and _reader, when at hand (the
    source is read once, and only when no .pyc has the code)."""
    if read is None:
        try:
            key = _stat_key(canon)
        except OSError:
            return None, None, None
        read = _reader(canon, key)
    hit = _trees.get(canon)
    if hit is not None and hit[0] == key:
        return key, None, hit[1]
    top = _cached_code(canon, key)
    src = None
    if top is None:
        src = read()
        if src is None:
            return None, None, None
        stats["lines_compiled"] += src.count(b"\n") + 1
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
    for _id, line, cond in bps:
        bp_id = line  # the runtime finds the line's breakpoint
        if cond is None or line in no_inline:
            out.append(_call(bp_id, 2 if cond is not None else 0, None))
            continue
        try:
            test = compile("(%s)" % cond, "<unknown>", "eval",
                           _PyCF_ONLY_AST, dont_inherit=True).body
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
        todo.extend(c for c in _children(node)
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
                        for n in _nodes(c):
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
        todo.extend(c for c in _children(node)
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
        for n in _nodes(check):
            n.lineno = n.end_lineno = line
            n.col_offset = n.end_col_offset = 0
        body.insert(at, check)
    return tree


def _patch_consts(code):
    """Replaces the sentinels by the builtin / Exception in the whole
    tree."""
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


def _bytecode(code):
    """The code's instructions, as they are (3.11's co_code would keep a
    copy on the code object, for as long as it lives: the memory of every
    function the breakpoints touch). Fresh code (a recompile) has not been
    quickened: its bytes are co_code's."""
    b = getattr(code, "_co_code_adaptive", None)
    return b if b is not None else code.co_code


def _plain_bytecode(code):
    """code.co_code, computed as 3.11 does (specialized instructions back
    to their base, inline caches zeroed) without keeping it on the code
    object."""
    b = getattr(code, "_co_code_adaptive", None)
    if b is None or _CACHES is None:
        return code.co_code
    b = bytearray(b)
    i, n = 0, len(b)
    while i < n:
        op = b[i] = _DEOPT[b[i]]
        i += 2
        c = _CACHES[op]
        if c:
            b[i:i + 2 * c] = bytes(2 * c)
            i += 2 * c
    return bytes(b)


def _traceable_lines(code):
    """Lines that produce line events in this code object itself (not the
    instructions up to its RESUME, e.g. a generator's prologue). From
    co_lines() (dis.get_instructions is ~30x slower, and this runs for
    every code object of a file with breakpoints)."""
    b = _bytecode(code)  # opcodes at even offsets; no cache before RESUME
    start = None
    for i in range(0, len(b), 2):
        if b[i] == _RESUME or b[i] == _RESUME_QUICK:
            start = i + 2
            break
    if start is None:
        return set()
    return {line for _s, end, line in code.co_lines()
            if line is not None and end > start}


def _served_lines(code):
    """Lines where this code object calls the breakpoint builtin (its
    LOAD_CONST; a scan of the bytecode, dis is ~20x slower). Fresh code
    only (a recompile)."""
    mine = {i for i, k in enumerate(code.co_consts) if k is _bp}
    out = set()
    if not mine:
        return out
    b = _bytecode(code)
    pos = None
    ext = 0
    for i in range(0, len(b), 2):
        op, arg = b[i], b[i + 1] | ext
        if op == _EXTENDED_ARG:
            ext = arg << 8
            continue
        ext = 0
        if op == _LOAD_CONST and arg in mine:
            if pos is None:
                pos = list(code.co_positions())  # one per code unit
            if pos[i // 2][0] is not None:
                out.add(pos[i // 2][0])
    return out


def _same_shape(a, b):
    return (a.co_varnames == b.co_varnames and a.co_freevars == b.co_freevars
            and a.co_cellvars == b.co_cellvars)


def _compile_checks(canon, parse, flags, bps, plain_ix, pick):
    """Compiles a tree with the checks: (instrumented index, unsupported
    keys, hosts, instrumented root), or None. parse() gives a fresh tree of
    the source; pick(top) the compiled code object whose subtree plain_ix
    (key -> [plain code]) indexes."""
    by_line = {}
    for bp in bps:
        by_line.setdefault(bp[1], []).append(bp)
    no_inline = set()
    for attempt in range(2):
        try:
            tree = _insert(parse(), by_line, no_inline)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "'str' object is not callable"
                top = compile(tree, canon, "exec", flags, dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError):
            return None
        root = pick(_patch_consts(top))
        if root is None:
            return None
        instr_ix = _index(root)
        bad = set()
        for k, plains in plain_ix.items():
            instrs = instr_ix.get(k, [])
            if len(instrs) != len(plains):
                bad.add(k)
                continue
            for p, i in zip(plains, instrs):
                if not _same_shape(p, i):
                    bad.add(k)
        if bad and attempt == 0:
            # conditions that change a function's variables: not inlined
            for k in bad:
                for p in plain_ix[k]:
                    mine = _traceable_lines(p)
                    no_inline |= {b[1] for b in bps if b[1] in mine}
            continue
        unsupported = set(bad)
        lines = set(by_line)
        for k, instrs in instr_ix.items():
            for i in instrs:
                want = _traceable_lines(i) & lines
                if want and want - _served_lines(i):
                    unsupported.add(k)
        hosts = _hosts(root, unsupported)
        if hosts:
            # their frames are traced, but only once one has started
            try:
                tree = _insert_entries(tree, hosts)  # compile left it as is
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    top = compile(tree, canon, "exec", flags,
                                  dont_inherit=True)
            except (SyntaxError, ValueError, RecursionError):
                return None
            root = pick(_patch_consts(top))
            if root is None:
                return None
            instr_ix = _index(root)
        return instr_ix, unsupported, hosts, root
    return None


def _whole_file(canon, src, top, bps):
    """The whole file recompiled with the checks (module-level breakpoint
    lines, or a function the segment compile cannot reproduce)."""
    top = _plain_tree(canon)[2]  # from the file: the loaded code may differ
    if top is None:
        return None
    stats["files_instrumented"] += 1
    stats["lines_compiled"] += src.count(b"\n") + 1
    out = _compile_checks(canon, lambda: _parse(src, canon),
                          top.co_flags & _FUTURE_FLAGS, bps, _index(top),
                          lambda c: c)
    if out is None:
        return None
    keys, fpmap = set(), {}
    _align(top, out[3], keys, fpmap)
    return keys, fpmap, out[1], out[2], None


def _fingerprint(code):
    """What _match compares, as a digest: the key, names, bytecode and
    variables of the code object and of its nested code (the loaded code
    is the recompile of this source). Kept in place of the recompile."""
    parts = [_key(code), code.co_names]
    for c in _walk(code):
        parts.append((_plain_bytecode(c), c.co_varnames, c.co_freevars,
                      c.co_cellvars))
    return _blake2b(marshal.dumps(tuple(parts)),
                           digest_size=16).digest()


def _align(plain, instr, keys, fpmap, fp=None):
    """Adds the keys of plain's subtree to keys, and {fingerprint of a
    code object of plain's subtree: its instrumented counterpart (the same
    key, the same rank among the code objects of that key)} to fpmap.
    fp: plain's own fingerprint when the caller has it."""
    ix = _index(instr)
    seen = {}
    for c in _walk(plain):
        k = _key(c)
        keys.add(k)
        n = seen.get(k, 0)
        seen[k] = n + 1
        lst = ix.get(k)
        if lst is not None and n < len(lst):
            fpmap.setdefault(fp if c is plain and fp is not None
                             else _fingerprint(c), lst[n])


# ---- compiling one function ------------------------------------------------

def _is_class(code):
    return not code.co_flags & _CO_OPTIMIZED


def _holder_chain(top, line):
    """[top, ..., code object whose own line events include `line`], by
    first lines (siblings do not overlap in the source), or None when no
    code object below the module code has the line."""
    path = [top]
    code = top
    while True:
        if code is not top and line in _traceable_lines(code):
            return path
        kids = [k for k in code.co_consts if isinstance(k, types.CodeType)
                and k.co_firstlineno <= line]
        if not kids:
            return None
        kids.sort(key=lambda k: -k.co_firstlineno)
        for k in kids[1:]:  # several starting on one line: try them all
            if k.co_firstlineno != kids[0].co_firstlineno:
                break
            found = _holder_chain(k, line)
            if found is not None:
                return path + found
        code = kids[0]
        path.append(code)


_IMPORT_NAME_B = bytes([opcode.opmap["IMPORT_NAME"]])
_STORES = {opcode.opmap["STORE_NAME"], opcode.opmap["STORE_GLOBAL"]}
_KEEP = {opcode.opmap["IMPORT_FROM"], opcode.opmap["SWAP"],
         opcode.opmap["POP_TOP"], opcode.opmap["CACHE"]}


def _imported_names(top):
    """Names the module code binds by `import`: the compiler calls their
    methods with LOAD_ATTR, not LOAD_METHOD (3.11's is_import_originated
    looks at the module's symbol table), so a function compiled alone
    needs them imported in its module too."""
    out = set()
    b = top.co_code
    at = b.find(_IMPORT_NAME_B)
    while at >= 0:
        if at % 2:
            at = b.find(_IMPORT_NAME_B, at + 1)
            continue
        ext = 0
        for i in range(at + 2, len(b), 2):  # the instructions after it
            op, arg = b[i], b[i + 1] | ext
            if op == _EXTENDED_ARG:
                ext = arg << 8
                continue
            ext = 0
            if op in _STORES:
                out.add(top.co_names[arg])
            elif op not in _KEEP:
                break
        at = b.find(_IMPORT_NAME_B, at + 2)
    return sorted(out)


def _indent(text):
    return len(text) - len(text.lstrip(" \t"))


class _Lines:
    """The lines of a source file, decoded when used (a function's lines
    out of a large file: no decoding of the rest)."""

    def __init__(self, src):
        self.raw = src.split(b"\n")
        self.encoding = "utf-8-sig" if src.startswith(b"\xef\xbb\xbf") \
            else "utf-8"
        for line in self.raw[:2]:  # PEP 263's cookie, as tokenize reads it
            text = line.lstrip(b" \t\f")
            if not text.startswith(b"#"):
                if text.strip():
                    break
                continue
            at = text.find(b"coding")
            if at < 0 or text[at + 6:at + 7] not in (b":", b"="):
                continue
            name = text[at + 7:].lstrip(b" \t")
            end = 0
            while end < len(name) and (name[end:end + 1].isalnum() or
                                       name[end:end + 1] in b"-_."):
                end += 1
            if end:
                self.encoding = name[:end].decode("ascii")
                break

    def __len__(self):
        return len(self.raw)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self.raw)))]
        line = self.raw[i]
        if line.endswith(b"\r"):
            line = line[:-1]
        if i == 0 and self.encoding == "utf-8-sig" and \
                line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        return line.decode(self.encoding)


def _segment(canon, lines_src, flags, imports, root, classes, bps):
    """The instrumented version of one function or class (root) and its
    nested code: its own source lines compiled at their line numbers,
    under `class` headers for the classes around it (name mangling,
    `__class__`), after blank lines. A function or class directly under
    the module or under classes only has no enclosing function scope, so
    it compiles to the code the whole file gives it (verified against the
    loaded code). (plain index, instrumented index, unsupported keys,
    hosts, instrumented root with the id sentinels) or None."""
    if root.co_name in _NO_STATEMENTS:
        return None
    start = root.co_firstlineno  # its first decorator
    end = start
    for c in _walk(root):
        for pos in c.co_positions():
            if pos[1] is not None and pos[1] > end:
                end = pos[1]
    if end > len(lines_src):
        return None
    indent = _indent(lines_src[start - 1])
    while end < len(lines_src):  # blank, comment and deeper lines after it
        text = lines_src[end]
        stripped = text.strip()
        if stripped and not stripped.startswith("#") and \
                _indent(text) <= indent:
            break
        end += 1
    while end > start and not lines_src[end - 1].strip():
        end -= 1
    heads = ["%sclass %s:" % (" " * i, c.co_name)
             for i, c in enumerate(classes)]
    in_if = not heads and indent > 0
    if in_if:
        heads = ["if 1:"]  # a def inside a module-level if/try
    if imports:
        heads.insert(0, "import " + ", ".join(imports))
    if start - 1 < len(heads):
        return None
    text = "\n" * (start - 1 - len(heads)) + "".join(h + "\n" for h in heads) \
        + "\n".join(lines_src[start - 1:end]) + "\n"
    key = _key(root)

    def pick(top):
        for c in _walk(top):
            if _key(c) == key:
                return c
        return None

    try:
        tree = _parse(text, canon)
        node = tree
        if imports:
            node = ast.Module(body=node.body[1:], type_ignores=[])
        for c in classes:
            if len(node.body) != 1 or not isinstance(node.body[0], ast.ClassDef):
                return None
            node = node.body[0]
        if in_if:
            if len(node.body) != 1 or not isinstance(node.body[0], ast.If):
                return None
            node = node.body[0]
        if len(node.body) != 1 or not isinstance(
                node.body[0], (ast.FunctionDef, ast.AsyncFunctionDef,
                               ast.ClassDef)) or \
                node.body[0].name != root.co_name or \
                isinstance(node.body[0], ast.ClassDef) != _is_class(root):
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plain = pick(compile(tree, canon, "exec", flags, dont_inherit=True))
    except (SyntaxError, ValueError, RecursionError):
        return None
    if plain is None:
        return None
    stats["functions_instrumented"] += 1
    stats["lines_compiled"] += end - start + 1
    plain_ix = _index(plain)
    trees = [tree]  # compiling left it as it was: the checks go into it

    def parse():
        return trees.pop() if trees else _parse(text, canon)

    out = _compile_checks(canon, parse, flags, bps, plain_ix, pick)
    if out is None:
        return None
    return (plain,) + out


def _segmented(canon, key, src, top, bps):
    """The instrumented versions of the functions holding the breakpoints
    (and their nested code), each compiled from its own lines: (keys,
    {fingerprint: instrumented code}, unsupported keys, hosts, segment root
    keys), see _align, or None when a breakpoint line needs the whole file
    (a line of module code, of code the segment compile cannot reproduce).
    A line of a class body compiles the class. src: the file's _reader
    (called when a function is compiled only).

    The cache keeps, per file version, what a function's breakpoints
    (lines, conditions) made of it: its instrumented code (the code that
    is installed), under a digest of the function's code and breakpoints;
    False when its recompile does not match the code (then traced). On a
    miss, the disk cache is asked before compiling, and what is compiled
    is written to it (_disk_entry)."""
    groups = {}  # id(root) -> [root, classes, bps]
    for bp in bps:
        chain = _holder_chain(top, bp[1])
        if chain is None:
            return None
        i = 1
        while i < len(chain) - 1 and _is_class(chain[i]):
            i += 1  # a class body line: the (innermost) class is the root
        groups.setdefault(id(chain[i]), [chain[i], chain[1:i], []])[2].append(bp)
    for gid, g in list(groups.items()):
        for c in g[1]:  # a class that is a root itself takes its functions
            if id(c) in groups:
                groups[id(c)][2].extend(g[2])
                del groups[gid]
                break
    hit = _seg_cache.get(canon)
    if hit is None or hit[0] != key:
        hit = _seg_cache[canon] = (key, {})
    cache = hit[1]
    text = imports = None
    keys, fpmap, unsupported, hosts, roots = set(), {}, set(), set(), set()
    for root, classes, mine in groups.values():
        rfp = _fingerprint(root)
        sig = tuple(b[1:] for b in mine)
        ckey = _blake2b(marshal.dumps((rfp, sig)), digest_size=16).digest()
        seg = cache.get(ckey)
        entry = None
        if seg is None:
            if imports is None:
                imports = _imported_names(top)
            entry = _disk_entry(canon, key, rfp, sig, classes,
                                top.co_flags & _FUTURE_FLAGS, imports)
            seg = _disk_get(entry, canon) if entry is not None else None
            if seg is not None:
                cache[ckey] = seg
        if seg is None:
            if text is None:
                data = src()  # read once per file, and only on a miss
                if data is None:
                    return None
                text = _Lines(data)
            try:
                out = _segment(canon, text, top.co_flags & _FUTURE_FLAGS,
                               imports, root, classes, mine)
            except (UnicodeDecodeError, LookupError):
                out = None
            if out is None:
                return None
            plain, _ix, uns, hs, instr = out
            if _fingerprint(plain) != rfp:
                seg = False  # the loaded code is not this source's
            elif uns or hs:
                seg = (instr, frozenset(uns), frozenset(hs))
            else:
                seg = instr
            cache[ckey] = seg
            if entry is not None:
                _disk_put(entry, seg)
        roots.add(_key(root))
        if seg is False:
            keys.update(_key(c) for c in _walk(root))
            continue
        if type(seg) is tuple:
            seg, uns, hs = seg
            unsupported |= uns
            hosts |= hs
        _align(root, seg, keys, fpmap, rfp)
    return keys, fpmap, unsupported, hosts, roots


def _stat_key(canon):
    st = os.stat(canon)
    return st.st_mtime_ns, st.st_size


def _reader(canon, key):
    """A function giving the file's bytes, read at the first call only
    (a segment found in the disk cache needs none), or None when the file
    cannot be read or changed since key was taken."""
    got = []

    def read():
        if not got:
            try:
                k, src = _source(canon)
            except OSError:
                k, src = None, None
            got.append(src if k == key else None)
        return got[0]
    return read


def _instrumented_tree(canon, bps, top=None):
    """(keys, {fingerprint: instrumented code}, unsupported keys, hosts,
    segment root keys or None for a whole-file compile) for the file (see
    _align), or None when it cannot be compiled. bps: [(id, line,
    condition|None)]. top: the loaded module code when at hand (else the
    file's .pyc or compile)."""
    try:
        key = _stat_key(canon)
    except OSError:
        return None
    src = _reader(canon, key)
    sig = tuple(b[1:] for b in bps)
    hit = _instr_cache.get(canon)
    if top is not None and top.co_name == "<module>":
        _loaded[canon] = (key, top)  # where later changes find functions
    if hit is not None and hit[0] == key and hit[1] == sig:
        return hit[2]
    if top is None:
        hit = _loaded.get(canon)
        top = hit[1] if hit is not None and hit[0] == key else \
            _plain_tree(canon, key, src)[2]
    result = None
    if top is not None:
        result = _segmented(canon, key, src, top, bps)
    if result is None:
        # the whole file's compile is kept (the segments' cache: above)
        data = src()
        result = _whole_file(canon, data, top, bps) if data is not None \
            else None
        _instr_cache[canon] = (key, sig, result)
    else:
        _instr_cache.pop(canon, None)
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
    if _key(orig) not in trees[0]:
        return None
    return trees[1].get(_fingerprint(orig))


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


def _register(new, orig):
    """Remembers the original of instrumented code and of its nested code
    (closures made later from it map back too)."""
    _orig[id(new)] = (new, orig)
    a, b = list(_walk(new)), list(_walk(orig))
    if len(a) == len(b) and all(_key(x) == _key(y) for x, y in zip(a, b)):
        for x, y in zip(a[1:], b[1:]):
            _orig[id(x)] = (x, y)


def _root(code, trees, lines, fallback, done):
    """The instrumented version of a segment root, or code itself."""
    m = _match(code, trees)
    if m is None:  # the loaded code is not this source's
        fallback.extend(c for c in _walk(code) if _bp_lines_in(c, lines))
        return code
    if not _subtree_has(m, lines):
        return code
    _register(m, code)
    done.append(m)
    return m


def _substitute(code, trees, lines, fallback, done):
    """code with the segment roots in its constants (directly or under
    classes) replaced by their instrumented versions; only the classes
    around them are visited."""
    roots = trees[4]
    consts = list(code.co_consts)
    changed = False
    for i, k in enumerate(consts):
        if not isinstance(k, types.CodeType):
            continue
        if _key(k) in roots:
            m = _root(k, trees, lines, fallback, done)
        elif _is_class(k):
            m = _substitute(k, trees, lines, fallback, done)
        else:
            continue
        if m is not k:
            consts[i] = m
            changed = True
    return code.replace(co_consts=tuple(consts)) if changed else code


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
    trees = _instrumented_tree(canon, bps, code)
    if trees is not None and trees[4] is not None:
        # only the functions holding breakpoints were compiled
        done = []
        if _key(code) in trees[4]:  # exec() of a function's code
            new = _root(code, trees, lines, fallback, done)
        else:
            new = _substitute(code, trees, lines, fallback, done)
        if new is code:
            return None, instr, fallback, lazy, entry
        _orig[id(new)] = (new, code)
        for m in done:
            _classify(m, trees, lines, instr, lazy, entry)
        return new, instr, fallback, lazy, entry
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


def _main_started():
    """True when `__main__` has a `__file__`: its code began (attach)."""
    main = sys.modules.get("__main__")
    return main is not None and "__file__" in vars(main)


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
    if early and not _imported(canon) and not _main_started():
        # before the program's first line no code of a file that was not
        # imported can exist: nothing to replace or to trace, no heap scan
        return [], [], [], [], []
    # compiled at the first live function of the file: none before the
    # program imports it (breakpoints set at start-up cost no compile)
    trees, compiled = None, not (instrument and lines)
    instr, fallback, served = [], [], set()
    lazy, entry = [], []
    gens = []
    stats["heap_scans"] += 1
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
            if trees is not None and trees[4] is not None and \
                    _key(orig) not in trees[0]:
                pass  # outside the functions holding breakpoints
            elif trees is not None:
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
            _gens.append(_weakref.ref(g))
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
    _seg_cache.clear()
    del _gens[:]


# ---------------------------------------------------------------------------
# the instrumentation cache on disk (docs/runtime.md, "The instrumentation
# cache on disk")
#
# One file per instrumented function (segment): what _segmented keeps of it
# in memory (False: the recompile did not match the loaded code; or its
# instrumented code with the unsupported keys and hosts), marshalled, under
# a name hashed from everything that result depends on: the interpreter
# (magic number, cache tag), this module's own source (any change of the
# instrumentation makes new names), the file (canonical path, mtime_ns,
# size), the loaded function (its _fingerprint: key, names, bytecode and
# variables of its subtree, what _match verifies), the classes around it,
# the future flags and the names the module imports (they change the
# compile), and its breakpoints (lines and conditions; the checks name
# their line, so no id is in the code). The instrumented code is stored
# with the sentinel strings, not the builtin and Exception (marshal cannot
# write them): _patch_consts puts them in at load. Nothing of an entry but
# that result stays in memory.

DISK_MAGIC = b"dapper-instrument-cache 2\n"
DISK_MAX_BYTES = 64 << 20   # past this, the oldest entries are removed
DISK_KEEP_BYTES = 48 << 20  # down to this

disk_stats = {"hits": 0, "misses": 0, "writes": 0, "errors": 0, "pruned": 0}
disk_allowed = True   # a process-wide switch (bench/instrument_cost.py)
_support = None       # the support module: its `disk_cache` setting
_disk = {}            # "dir": path | None (off); "version": bytes; "bytes"


def set_support(support):
    global _support
    _support = support


def _disk_dir():
    """The cache directory, created 0700 at the first use; None when the
    cache is off (frameEval `disk_cache: false`) or unusable (one console
    line says why, once)."""
    if not disk_allowed or (_support is not None and
                            not getattr(_support, "disk_cache", True)):
        return None
    if "dir" in _disk:
        return _disk["dir"]
    _disk["dir"] = None
    base = os.environ.get("DAPPER_CACHE_DIR")
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME")
        if xdg and os.path.isabs(xdg):
            base = os.path.join(xdg, "dapper")
        else:
            home = os.path.expanduser("~")
            if not home or home == "~" or not os.path.isabs(home):
                return _disk_off("no home directory", None)
            base = os.path.join(home, ".cache", "dapper")
    path = os.path.join(base, "instrument-" + (
        sys.implementation.cache_tag or "none"))
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        if not os.access(path, os.R_OK | os.W_OK | os.X_OK):
            raise PermissionError(13, "not writable")
    except OSError as err:
        return _disk_off(err.strerror or str(err), path)
    try:
        with open(__file__, "rb") as f:
            _disk["version"] = _digest(f.read())
    except (OSError, NameError) as err:
        return _disk_off(str(err), path)
    _disk["dir"] = path
    return path


def _digest(data):
    """A hex digest of data (blake2b: a builtin, no hashlib/OpenSSL)."""
    return _blake2b(data, digest_size=20).hexdigest()


def _disk_off(why, path):
    disk_stats["errors"] += 1
    text = "dapper: the instrumentation cache on disk is off: %s%s\n" % (
        why, " (%s)" % path if path else "")
    try:
        if _support is not None:
            _support.send_output(text)
    except Exception:  # noqa: BLE001  (no client yet: nothing to say)
        pass
    return None


def _disk_entry(canon, key, rfp, sig, classes, flags, imports):
    """(file path, identity bytes) of a segment's entry, or None (off).
    rfp: the loaded function's _fingerprint; sig: its breakpoints' (line,
    condition)s; key: the file's (mtime_ns, size)."""
    d = _disk_dir()
    if d is None:
        return None
    ident = repr((_bootstrap_external.MAGIC_NUMBER, _disk["version"], canon,
                  key, rfp, tuple(c.co_name for c in classes), flags,
                  tuple(imports), sig)).encode("utf-8", "backslashreplace")
    return os.path.join(d, _digest(ident)), ident


def _disk_get(entry, canon):
    """The segment stored at entry (what _segmented caches), or None:
    absent (a miss), or unreadable, corrupt or foreign (a miss and an
    error; the write after computing replaces it)."""
    path, ident = entry
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        disk_stats["misses"] += 1
        return None
    except OSError:
        data = b""
    head = DISK_MAGIC + ident + b"\n"
    seg = None
    if data.startswith(head):
        try:
            got = marshal.loads(data[len(head):])
            if got is False:
                seg = False
            else:
                raw, uns, hs = got
                if isinstance(raw, types.CodeType) and \
                        type(uns) is frozenset and type(hs) is frozenset:
                    root = _from_disk(raw, canon)
                    seg = (root, uns, hs) if uns or hs else root
        except Exception:  # noqa: BLE001  (any corruption: recompute)
            seg = None
    disk_stats["misses" if seg is None else "hits"] += 1
    if seg is None:
        disk_stats["errors"] += 1
    return seg


def _unpatch(code):
    """A copy of code's tree with the builtin and Exception put back to
    the sentinels (the form compile() gave: marshal-safe). Every code
    object is copied, its bytecode passed in: marshal and replace() read
    co_code, which 3.11 then keeps a copy of on the code object (here the
    copies, not the installed code)."""
    consts = []
    for k in code.co_consts:
        if isinstance(k, types.CodeType):
            consts.append(_unpatch(k))
        elif k is _bp:
            consts.append(SENTINEL)
        elif k is Exception:
            consts.append(SENTINEL_EXC)
        else:
            consts.append(k)
    return code.replace(co_consts=tuple(consts),
                        co_code=_plain_bytecode(code))


def _from_disk(code, canon):
    """The loaded tree with the sentinels replaced by the builtin and
    Exception (_patch_consts) and co_filename the caller's canon (what a
    compile shares; each entry would keep its own copy of the path)."""
    consts = []
    for k in code.co_consts:
        if isinstance(k, types.CodeType):
            consts.append(_from_disk(k, canon))
        elif isinstance(k, str) and k == SENTINEL:
            consts.append(_bp)
        elif isinstance(k, str) and k == SENTINEL_EXC:
            consts.append(Exception)
        else:
            consts.append(k)
    return code.replace(co_consts=tuple(consts), co_filename=canon,
                        co_code=_bytecode(code))


def _disk_put(entry, seg):
    """Writes a computed segment (temp file + rename, 0600)."""
    path, ident = entry
    try:
        if seg is False:
            body = False
        elif type(seg) is tuple:
            body = (_unpatch(seg[0]), seg[1], seg[2])
        else:
            body = (_unpatch(seg), frozenset(), frozenset())
        data = DISK_MAGIC + ident + b"\n" + marshal.dumps(body)
    except (ValueError, TypeError):
        disk_stats["errors"] += 1  # a constant marshal cannot write
        return
    # a name of this process and entry (no tempfile: it imports random and
    # hashlib); O_EXCL: never another writer's file
    tmp = "%s.tmp-%d-%d" % (path, os.getpid(), _thread.get_ident())
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        try:
            fd = os.open(tmp, flags, 0o600)
        except FileNotFoundError:  # removed while running: made again
            os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
            fd = os.open(tmp, flags, 0o600)
        except FileExistsError:  # left by a dead process of this pid
            os.unlink(tmp)
            fd = os.open(tmp, flags, 0o600)
    except OSError:
        disk_stats["errors"] += 1
        return
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
        tmp = None
    except OSError:
        disk_stats["errors"] += 1
        return
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    disk_stats["writes"] += 1
    total = _disk.get("bytes")
    if total is None:
        total = _disk_size(os.path.dirname(path))
    _disk["bytes"] = total + len(data)
    if _disk["bytes"] > DISK_MAX_BYTES:
        _disk_prune(os.path.dirname(path))


def _disk_size(d):
    total = 0
    try:
        with os.scandir(d) as it:
            for e in it:
                try:
                    total += e.stat(follow_symlinks=False).st_size
                except OSError:
                    pass
    except OSError:
        pass
    return total


def _disk_prune(d):
    """Removes the oldest entries (by mtime) until DISK_KEEP_BYTES remain;
    temp files of writers that died too once an hour old."""
    files = []
    try:
        with os.scandir(d) as it:
            for e in it:
                try:
                    st = e.stat(follow_symlinks=False)
                except OSError:
                    continue
                files.append((st.st_mtime_ns, st.st_size, e.path, e.name))
    except OSError:
        return
    files.sort()
    total = sum(f[1] for f in files)
    old = time.time_ns() - 3600 * 10 ** 9
    for mtime, size, path, name in files:
        if total <= DISK_KEEP_BYTES and \
                not (".tmp-" in name and mtime < old):
            continue
        try:
            os.unlink(path)
        except OSError:
            continue
        total -= size
        disk_stats["pruned"] += 1
    _disk["bytes"] = total
