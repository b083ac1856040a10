"""Cold-path helpers of the dapper runtime (docs/runtime.md).

Loaded by the `_dapper_runtime` extension by absolute path from the runtime
directory (never imported through sys.path) and called from C with the
thread's "inside the debugger" flag set, so nothing here can hit a
breakpoint. The hot paths (trace/monitoring callbacks, line bitmaps, hit
counting, the stop/wait machinery) are in C; this module does what runs once
per breakpoint change, per code object or per stop: resolving lines,
compiling conditions, formatting logpoints, rendering stacks, naming threads,
deciding what is library code.

Everything called from C returns plain values (str, int, tuple, list, dict)
or raises; C turns exceptions into error responses or console output.
"""
import _thread
import os
import sys

_rt = None            # the _dapper_runtime module (set by init)
_runtime_dir = ""
_support_file = os.path.abspath(__file__)
_inspect_file = os.path.join(os.path.dirname(_support_file),
                             "_dapper_inspect.py")
_values_file = os.path.join(os.path.dirname(_support_file),
                            "_dapper_values.py")
_budget_file = os.path.join(os.path.dirname(_support_file),
                            "_dapper_budget.py")
_renderers_file = os.path.join(os.path.dirname(_support_file),
                               "_dapper_renderers.py")
_targets_file = os.path.join(os.path.dirname(_support_file),
                             "_dapper_targets.py")


def _runtime_files():
    """Every Python file of the runtime (this directory, its `dapper`
    package, its boot scripts), as found and as realpath: code that is never
    the user's, never stopped in, never shown. Read from the directory, so
    a new module of the runtime is covered without a list to keep."""
    here = os.path.dirname(_support_file)
    found = {_support_file}
    for folder in (here, os.path.join(here, "dapper"), os.path.join(here, "boot")):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                found.add(path)
                found.add(os.path.realpath(path))
    return frozenset(found)


_own_files = _runtime_files()
_inspect = None       # the inspection module (_dapper_inspect.py)
_targets = None       # jump and step-in targets (_dapper_targets.py)

# ---------------------------------------------------------------------------
# paths


_canonical_cache = {}


def canonical(path):
    """The key breakpoints and code objects are matched on: the realpath of
    the absolute path. Pseudo file names (`<string>`, `<frozen os>`) are
    returned unchanged."""
    try:
        return _canonical_cache[path]
    except KeyError:
        pass
    if not path or path.startswith("<"):
        result = path
    else:
        try:
            result = os.path.realpath(os.path.abspath(path))
        except (OSError, ValueError):
            result = path
    if len(_canonical_cache) > 50000:
        _canonical_cache.clear()
    _canonical_cache[path] = result
    return result


_lib_roots = None


def _library_roots():
    """The standard library's directories (sysconfig's stdlib and
    platstdlib: {base}/{platlibdir}/pythonX.Y, and sys._stdlib_dir, which
    is where the interpreter found it), without importing sysconfig (it is
    needed at the first code object the runtime sees, before the program
    runs). purelib/platlib are site-packages or dist-packages directories,
    which _default_library recognises by name."""
    global _lib_roots
    if _lib_roots is None:
        dirs = [getattr(sys, "_stdlib_dir", None)]
        version = "python%d.%d" % sys.version_info[:2]
        libdir = getattr(sys, "platlibdir", "lib")
        for base in (sys.base_prefix, sys.base_exec_prefix):
            if base:
                dirs.append(os.path.join(base, libdir, version))
        if not dirs[0]:  # an interpreter that does not know: ask sysconfig
            import sysconfig
            for key in ("stdlib", "platstdlib", "purelib", "platlib"):
                try:
                    dirs.append(sysconfig.get_path(key))
                except KeyError:
                    pass
        roots = set()
        for p in dirs:
            if p:
                roots.add(canonical(p) + os.sep)
                roots.add(os.path.abspath(p) + os.sep)
        if _runtime_dir:
            roots.add(canonical(_runtime_dir) + os.sep)
        _lib_roots = tuple(sorted(roots))
    return _lib_roots


_rules = ()  # (is_path, (path, match) or module, include) from `configure`'s "rules"
_lib_cache = {}  # filename -> is_library(filename)


def set_rules(rules):
    """debugpy's `rules` (checked by the adapter): [{"path": glob or
    "module": name, "include": bool}]; the first that matches a file
    decides. A relative path is relative to the program's working
    directory; a path without glob characters matches the file or
    everything under the directory. Globs are compiled here, on the
    channel thread, so that deciding what is library code (from the
    program's threads, through the hooks) never imports a module: on 3.11
    an import there can deadlock with one the program makes inside a
    meta path finder, which runs under the global import lock."""
    global _rules
    _lib_cache.clear()
    out = []
    for r in rules or ():
        if "path" in r:
            p = os.path.expanduser(r["path"])
            if not p.startswith("*"):
                p = os.path.abspath(p)
                if not any(c in p for c in "*?["):
                    p = canonical(p)
            match = None
            if any(c in p for c in "*?["):
                import fnmatch
                import re
                match = re.compile(fnmatch.translate(p)).match
            out.append((True, (p, match), bool(r["include"])))
        else:
            out.append((False, r["module"], bool(r["include"])))
    _rules = tuple(out)


def _module_name(path):
    """The dotted module name a file has under the longest sys.path entry
    holding it, or None."""
    best = ""
    for entry in sys.path:
        root = canonical(os.path.abspath(entry or "."))
        if len(root) > len(best) and path.startswith(root + os.sep):
            best = root
    if not best:
        return None
    parts = os.path.splitext(path[len(best) + 1:])[0].split(os.sep)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def _rule_for(filename):
    """`include` of the first rule matching the file, or None."""
    paths = (os.path.abspath(filename), canonical(filename))
    module = None
    for is_path, pattern, include in _rules:
        if is_path:
            pattern, match = pattern
            for p in paths:
                if (match(p) is not None if match is not None else
                        p == pattern or p.startswith(pattern + os.sep)):
                    return include
        else:
            if module is None:
                module = _module_name(paths[1]) or ""
            if module == pattern or module.startswith(pattern + "."):
                return include
    return None


def is_library(filename):
    """Library code (justMyCode stepping, `userUnhandled`, frames shown
    as "subtle"): 2 for a file a rule excludes (library even without
    justMyCode), 1 for pseudo files (`<frozen ...>`), the standard
    library, site-packages/dist-packages and the runtime itself, 0 for
    user code (everything else, or a file a rule includes)
    (docs/configuration.md, "justMyCode")."""
    try:
        return _lib_cache[filename]
    except KeyError:
        pass
    include = None
    if _rules and filename and not filename.startswith("<"):
        include = _rule_for(filename)
    if include is not None:
        result = 0 if include else 2
    else:
        result = 1 if _default_library(filename) else 0
    if len(_lib_cache) > 50000:
        _lib_cache.clear()
    _lib_cache[filename] = result
    return result


def _default_library(filename):
    if not filename or filename.startswith("<"):
        return not filename.startswith("<string")  # -c code is user code
    # Both the path as the interpreter found it and its realpath: a file
    # of the stdlib directory may be a symlink to elsewhere (Debian's
    # /usr/lib/python3.X/sitecustomize.py -> /etc/python3.X/...).
    roots = _library_roots()
    for path in (os.path.abspath(filename), canonical(filename)):
        if os.sep + "site-packages" + os.sep in path or \
                os.sep + "dist-packages" + os.sep in path or \
                path.startswith(roots):
            return True
    return False


def is_hidden(filename):
    """Code of the runtime itself: never stopped in, never shown."""
    return bool(filename) and (
        filename in _own_files or canonical(filename) in _own_files)


# ---------------------------------------------------------------------------
# breakpoint lines

class _LineCache:
    """The breakpoint-line tables of files (frameEval `cache_enabled`,
    `max_cache_size`, `cache_ttl`): canonical path -> ((mtime, size),
    {line}|None, why|None, time stored), at most `size` entries, least
    recently used evicted first; an entry older than `ttl` seconds is
    computed again. Disabled, every setBreakpoints compiles its file again
    (the last result is still kept for the error text). Counts hits,
    misses, evictions and expiries: the runtime's statistics read these
    attributes from C (rt_stats.c), running no Python."""

    def __init__(self):
        # A dict keeps insertion order: least recently used first (no
        # collections import at start-up: docs/runtime.md, "Start-up").
        self.entries = {}
        self.enabled, self.size, self.ttl = True, 256, 300.0
        self.hits = self.misses = self.evictions = self.expired = 0
        # line tables computed: by compiling the source, or read from the
        # file's byte-code cache (_cached_code)
        self.compiles = self.pyc_reads = 0

    def configure(self, fe):
        self.enabled = bool(fe.get("cache_enabled", True))
        self.size = int(fe.get("max_cache_size", 256))
        self.ttl = float(fe.get("cache_ttl", 300))
        self._trim()

    def _trim(self):
        limit = self.size if self.enabled else 1
        while len(self.entries) > limit:
            del self.entries[next(iter(self.entries))]
            if self.enabled:
                self.evictions += 1

    def get(self, path, key):
        """The entry of path for key (mtime, size), counted, or None."""
        import time
        hit = self.entries.get(path)
        if not self.enabled:
            self.misses += 1
            return None
        if hit is not None and hit[0] == key:
            if time.monotonic() - hit[3] > self.ttl:
                self.expired += 1
            else:
                self.entries[path] = self.entries.pop(path)
                self.hits += 1
                return hit
        self.misses += 1
        return None

    def put(self, path, key, lines, why):
        import time
        self.entries.pop(path, None)
        self.entries[path] = (key, lines, why, time.monotonic())
        self._trim()

    def error(self, path):
        hit = self.entries.get(path)
        return hit[2] if hit is not None and hit[2] else "cannot read it"


_line_cache = _LineCache()


def _file_lines(path):
    """Lines that have code in a file: {line}, from compiling the source
    and walking every nested code object's co_lines(), kept in the line
    cache per (path, mtime, size). Returns None when the file cannot be
    read or compiled (_file_error tells why)."""
    try:
        st = os.stat(path)
    except OSError as err:
        _line_cache.put(path, None, None, err.strerror or str(err))
        return None
    key = (st.st_mtime_ns, st.st_size)
    hit = _line_cache.get(path, key)
    if hit is not None:
        return hit[1]
    why = None
    top = _cached_code(path, st)
    try:
        if top is None:
            with open(path, "rb") as f:
                source = f.read()
            top = compile(source, path, "exec", dont_inherit=True)
            _line_cache.compiles += 1
        else:
            _line_cache.pyc_reads += 1
    except OSError as err:
        lines, why = None, "cannot read it: %s" % (err.strerror or err)
    except SyntaxError as err:
        lines = None
        why = "it does not compile: %s: %s (line %s)" % (
            err.__class__.__name__, err.msg, err.lineno)
    except ValueError as err:
        lines, why = None, "it does not compile: %s" % err
    else:
        lines = set()
        todo = [top]
        while todo:
            code = todo.pop()
            for _start, _end, line in code.co_lines():
                if line is not None:
                    lines.add(line)
            for const in code.co_consts:
                if hasattr(const, "co_lines"):
                    todo.append(const)
        # A def line's only code is the RESUME of the function (in the
        # function's own code) and MAKE_FUNCTION in the parent: keep them.
    _line_cache.put(path, key, lines, why)
    return lines


def _cached_code(path, st):
    """The module code of `path` from its byte-code cache (`__pycache__`,
    the file the import system would load), or None. Used only when the
    import system itself would use it: the magic number of this
    interpreter, a timestamp-based file (flags 0) whose recorded source
    mtime and size match the file's (the same check the import system
    makes), the optimization level of this run. Its code is the code the
    module runs, so its lines are the ones compile() would give, at a
    twentieth of the cost (no parse, no compile). Anything else (no cache
    file, hash-based, stale, unreadable): None, and the caller compiles."""
    ext = sys.modules.get("_frozen_importlib_external")
    if ext is None or not path.endswith(".py"):
        return None
    try:
        cpath = ext.cache_from_source(path)
        with open(cpath, "rb") as f:
            data = f.read()
    except (OSError, ValueError, NotImplementedError):
        return None
    if len(data) < 16 or data[:4] != ext.MAGIC_NUMBER or \
            int.from_bytes(data[4:8], "little") != 0 or \
            int.from_bytes(data[8:12], "little") != \
            int(st.st_mtime) & 0xFFFFFFFF or \
            int.from_bytes(data[12:16], "little") != st.st_size & 0xFFFFFFFF:
        return None
    import marshal
    try:
        code = marshal.loads(memoryview(data)[16:])
    except (EOFError, ValueError, TypeError):
        return None
    return code if hasattr(code, "co_lines") else None


def _file_error(path):
    return _line_cache.error(path)


def resolve_lines(path, lines):
    """For each requested line: (resolved line, None) or (None, message).
    A line without code moves to the next line with code."""
    canon = canonical(path)
    have = _file_lines(canon)
    out = []
    for line in lines:
        if have is None:
            out.append((None, "no breakpoint in %s: %s"
                        % (path, _file_error(canon))))
            continue
        if line in have:
            out.append((line, None))
            continue
        later = [l for l in have if l > line]
        if later:
            out.append((min(later), None))
        else:
            out.append((None, "no code at or after line %d" % line))
    return out


def breakpoint_locations(path, line, end_line):
    have = _file_lines(canonical(path))
    if not have:
        return []
    if end_line is None:
        end_line = line
    return sorted(l for l in have if line <= l <= end_line)


heap_scans = 0        # scans of the heap for code (live_codes, instrument.update)
_module_canon = {}    # a module's __file__ -> canonical


def imported(canon):
    """True when a module in sys.modules was loaded from file `canon`."""
    for mod in list(sys.modules.values()):
        f = getattr(mod, "__file__", None)
        if not isinstance(f, str):
            continue
        c = _module_canon.get(f)
        if c is None:
            c = _module_canon[f] = canonical(f)
        if c == canon:
            return True
    return False


def live_codes(canon, early=False):
    """The code objects of file `canon` that exist now, each once: the
    code of its functions (gc), of running frames (every thread) and of
    suspended generators and coroutines, each with the code nested in it
    (closures, lambdas and comprehensions made later). The backends that
    arm code objects (monitoring) find a loaded file's code this way when
    its breakpoints change; code run later is announced by the `exec`
    audit event. early (the program is held before its first line: no
    `start` yet, and `__main__` has no `__file__`, i.e. its code has not
    begun): a file no module was loaded from has no code yet, and the
    heap is not scanned."""
    global heap_scans
    if early and not imported(canon):
        main = sys.modules.get("__main__")
        if main is not None and "__file__" not in vars(main):
            return []
    import gc
    import types
    heap_scans += 1
    out, seen = [], set()
    gens = (types.GeneratorType, types.CoroutineType, types.AsyncGeneratorType)

    def add(code):
        if id(code) in seen or canonical(code.co_filename) != canon:
            return
        todo = [code]
        while todo:
            c = todo.pop()
            if id(c) in seen:
                continue
            seen.add(id(c))
            out.append(c)
            todo.extend(k for k in c.co_consts if isinstance(k, types.CodeType))

    for obj in gc.get_objects():
        t = type(obj)
        if t is types.FunctionType:
            add(obj.__code__)
        elif t in gens:
            code = getattr(obj, "gi_code", None) or getattr(obj, "cr_code", None) \
                or getattr(obj, "ag_code", None)
            if code is not None:
                add(code)
    for f in sys._current_frames().values():
        while f is not None:
            add(f.f_code)
            f = f.f_back
    return out


def first_line(code):
    """The first line of a function's body: the line of the first
    instruction after RESUME (for a lambda or a module, its first line)."""
    import dis
    seen_resume = False
    for ins in dis.get_instructions(code):
        if ins.opname == "RESUME":
            seen_resume = True
            continue
        if seen_resume and ins.positions is not None and \
                ins.positions.lineno is not None:
            return ins.positions.lineno
    return code.co_firstlineno


# ---------------------------------------------------------------------------
# conditions, logpoints

def compile_condition(expr):
    """A code object for the expression, or SyntaxError."""
    return compile(expr, "<breakpoint condition>", "eval", dont_inherit=True)


# Operators of simple conditions, numbered as rt_cond.c expects.
_COND_OPS = {"Eq": 0, "NotEq": 1, "Lt": 2, "LtE": 3, "Gt": 4, "GtE": 5,
             "Is": 6, "IsNot": 7}
_COND_SWAP = {0: 0, 1: 1, 2: 4, 3: 5, 4: 2, 5: 3, 6: 6, 7: 7}
_COND_MAX_TERMS = 8  # RT_PRED_MAX


def _cond_constant(node):
    """(True, value) for an int/float/str/bool/None literal (a signed
    number too), else (False, None)."""
    import ast
    if isinstance(node, ast.Constant):
        v = node.value
        if v is None or type(v) in (bool, int, float, str):
            return True, v
    elif (isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd))
          and isinstance(node.operand, ast.Constant)
          and type(node.operand.value) in (int, float)):
        v = node.operand.value
        return True, (-v if isinstance(node.op, ast.USub) else v)
    return False, None


def parse_condition(expr):
    """The condition as a C predicate description (rt_cond.h): a tuple of
    (local name, operator number, constant) that must all hold, for
    `name <op> constant` comparisons (either side, chained) joined by `and`;
    None for anything else (the compiled condition is used)."""
    import ast  # only when a condition is set: not at startup
    try:
        tree = ast.parse(expr.strip(), mode="eval").body
    except (SyntaxError, ValueError):
        return None
    parts = tree.values if isinstance(tree, ast.BoolOp) and isinstance(tree.op, ast.And) \
        else [tree]
    terms = []
    for part in parts:
        if not isinstance(part, ast.Compare):
            return None
        operands = [part.left] + list(part.comparators)
        for op, a, b in zip(part.ops, operands, operands[1:]):
            code = _COND_OPS.get(type(op).__name__)
            if code is None:
                return None
            if isinstance(a, ast.Name):
                name, (ok, value) = a.id, _cond_constant(b)
            elif isinstance(b, ast.Name):
                name, (ok, value) = b.id, _cond_constant(a)
                code = _COND_SWAP[code]
            else:
                return None
            if not ok:
                return None
            if code >= 6 and type(value) not in (type(None), bool):
                return None  # identity only with the singletons
            terms.append((name, code, value))
    if not terms or len(terms) > _COND_MAX_TERMS:
        return None
    return tuple(terms)


def _split_log(template):
    """Parses `text {expr} {{literal}}` into [(is_expr, text)]; raises
    ValueError on an unbalanced brace."""
    parts = []
    buf = []
    i = 0
    n = len(template)
    while i < n:
        c = template[i]
        if c == "{":
            if i + 1 < n and template[i + 1] == "{":
                buf.append("{")
                i += 2
                continue
            depth = 1
            j = i + 1
            while j < n and depth:
                if template[j] == "{":
                    depth += 1
                elif template[j] == "}":
                    depth -= 1
                j += 1
            if depth:
                raise ValueError("unbalanced '{' in log message")
            if buf:
                parts.append((False, "".join(buf)))
                buf = []
            parts.append((True, template[i + 1:j - 1]))
            i = j
            continue
        if c == "}":
            if i + 1 < n and template[i + 1] == "}":
                i += 1
            buf.append("}")
            i += 1
            continue
        buf.append(c)
        i += 1
    if buf:
        parts.append((False, "".join(buf)))
    return parts


def format_log(template, frame):
    """The logpoint message for this frame (without the newline). An
    expression that fails shows inline as <error: ...>."""
    try:
        parts = _split_log(template)
    except ValueError as err:
        return "%s <error: %s>" % (template, err)
    out = []
    f_globals = frame.f_globals
    f_locals = frame.f_locals
    for is_expr, text in parts:
        if not is_expr:
            out.append(text)
            continue
        try:
            value = eval(compile(text.strip(), "<log message>", "eval",
                                 dont_inherit=True), f_globals, f_locals)
            out.append(value if isinstance(value, str) else repr(value))
        except BaseException as err:  # noqa: B902 - shown to the user
            out.append("<error: %s: %s>" % (type(err).__name__, err))
    return "".join(out)


def describe_exception(exc):
    """"ValueError: message" (the stopped event's description/text)."""
    name = type(exc).__qualname__
    mod = type(exc).__module__
    if mod not in ("builtins", "__main__", None):
        name = "%s.%s" % (mod, name)
    text = str(exc)
    return "%s: %s" % (name, text) if text else name


def send_output(text, category="console"):
    _rt._send_event("output", {"category": category, "output": text})


def report_condition_error(bp_id, expr, err):
    send_output("dapper: breakpoint %s: condition %r failed (%s: %s); "
                "treated as true\n" % (bp_id, expr, type(err).__name__, err))


# ---------------------------------------------------------------------------
# function breakpoints

def valid_function_name(name):
    parts = name.split(".")
    return bool(name) and all(p.isidentifier() for p in parts)


def match_function(code, mod, names):
    """Index of the first name in `names` that designates this code object
    (co_qualname, or module.co_qualname with `mod` the __name__ of the
    globals the code first ran in), else -1. A nested function's
    "outer.<locals>.inner" also matches "outer.inner"."""
    qual = getattr(code, "co_qualname", code.co_name)
    if qual.startswith("<"):
        return -1
    plain = qual.replace(".<locals>", "")
    for i, name in enumerate(names):
        if name in (qual, plain):
            return i
        if mod and (name == "%s.%s" % (mod, qual) or
                    name == "%s.%s" % (mod, plain)):
            return i
    return -1


# ---------------------------------------------------------------------------
# exception filters

def exception_matches(exc, names):
    """True when `names` (tuple of type names: builtins or dotted paths) is
    empty or exc is an instance of one of them."""
    if not names:
        return True
    for name in names:
        typ = None
        if "." in name:
            mod_name, _, attr = name.rpartition(".")
            mod = sys.modules.get(mod_name)
            typ = getattr(mod, attr, None) if mod is not None else None
        else:
            import builtins
            typ = getattr(builtins, name, None)
            if typ is None:
                main = sys.modules.get("__main__")
                typ = getattr(main, name, None)
        if isinstance(typ, type) and isinstance(exc, typ):
            return True
        if typ is None and any(c.__name__ == name or
                               "%s.%s" % (c.__module__, c.__qualname__) == name
                               for c in type(exc).__mro__):
            return True
    return False


# ---------------------------------------------------------------------------
# threads

_main_ident = None  # the main thread's ident (init runs in it)


def list_threads():
    """[(ident, name)] of live threading threads, the main thread first
    (only the main thread while the program has not imported threading)."""
    threading = sys.modules.get("threading")
    if threading is None or not hasattr(threading, "_active"):
        return [(_main_ident, "MainThread")]
    main = threading.main_thread()
    me = _thread.get_ident()  # the channel thread: not the program's
    out = [(main.ident, main.name)]
    for t in list(threading._active.values()):
        if t is not main and t.ident is not None and t.ident != me:
            out.append((t.ident, t.name))
    return out


def thread_name(ident):
    threading = sys.modules.get("threading")
    t = threading._active.get(ident) if threading is not None else None
    return t.name if t is not None else None


def _install_thread_hooks(threading):
    """Wraps threading.Thread._bootstrap_inner: the runtime learns of each
    thread as it starts (id, `thread` started event, trace function) and as
    its run() ends (`thread` exited event); and threading.excepthook."""
    orig = threading.Thread._bootstrap_inner
    if getattr(orig, "_dapper_orig", None) is not None:
        return
    rt = _rt

    def _bootstrap_inner(self):
        rt._thread_started()
        try:
            orig(self)
        finally:
            rt._thread_exited()

    _bootstrap_inner._dapper_orig = orig
    threading.Thread._bootstrap_inner = _bootstrap_inner

    orig_threading = threading.excepthook

    def thread_excepthook(args):
        if args.exc_value is not None and \
                not isinstance(args.exc_value, SystemExit):
            rt._uncaught(args.exc_value, args.exc_traceback)
        return orig_threading(args)

    threading.excepthook = thread_excepthook


class _ThreadingWatch:
    """First on sys.meta_path until the program imports threading (the
    runtime does not import it for the program): finds nothing itself; for
    `threading` it takes itself off sys.meta_path, lets the other finders
    find the module and has its loader install the thread hooks right after
    the module ran, before the importer sees it. Costs an import of a
    module not loaded yet one call and a comparison."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name != "threading":
            return None
        _unwatch_threading()
        spec = None
        for finder in list(sys.meta_path):
            find = getattr(finder, "find_spec", None)
            if find is not None:
                spec = find(name, path, target)
                if spec is not None:
                    break
        loader = getattr(spec, "loader", None)
        exec_module = getattr(loader, "exec_module", None)
        if exec_module is None:
            return spec

        def exec_then_hook(module):
            try:
                del loader.exec_module  # the loader as it was
            except AttributeError:
                pass
            exec_module(module)
            _install_thread_hooks(module)

        try:
            loader.exec_module = exec_then_hook
        except (AttributeError, TypeError):
            pass  # a loader that takes no attribute: no thread events
        return spec


def _unwatch_threading():
    try:
        sys.meta_path.remove(_ThreadingWatch)
    except ValueError:
        pass


def _install_excepthooks():
    orig_sys = sys.excepthook
    rt = _rt

    def excepthook(typ, value, tb):
        if value is not None and not isinstance(value, SystemExit):
            rt._uncaught(value, tb)
        return orig_sys(typ, value, tb)

    sys.excepthook = excepthook
    threading = sys.modules.get("threading")
    if threading is not None:
        _install_thread_hooks(threading)
    else:
        sys.meta_path.insert(0, _ThreadingWatch)


def _load_file(name, path):
    """Loads a module by absolute path, without sys.path or sys.modules,
    and without importing importlib (its bootstrap modules are always
    there; importlib.util would bring a dozen modules the program may
    never import itself)."""
    boot = sys.modules["_frozen_importlib"]
    spec = sys.modules["_frozen_importlib_external"].spec_from_file_location(
        name, path)
    mod = boot.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_configured = []  # `configure` settings seen before the inspection loads


def _load_inspect():
    """Loads _dapper_inspect.py and _dapper_values.py (value rendering,
    `variables`) with its parts _dapper_budget.py and _dapper_renderers.py
    (next to this file) by absolute path, without sys.path or sys.modules,
    at the first stop or request that needs them (not at start-up), and
    gives the inspection the `configure` settings seen so far, in order.
    Returns the module."""
    global _inspect
    if _inspect is None:
        budget = _load_file("_dapper_budget", _budget_file)
        renderers = _load_file("_dapper_renderers", _renderers_file)
        values = _load_file("_dapper_values", _values_file)
        budget.init(_rt)
        renderers.init(values)
        values.init(_rt, _SupportView(), budget, renderers)
        mod = _load_file("_dapper_inspect", _inspect_file)
        mod.init(_rt, _SupportView(), values)
        for settings in _configured:
            mod.configure(settings)
        del _configured[:]
        _requests.update(mod.requests)
        _inspect = mod
    return _inspect


# Requests of _dapper_targets.py (it imports ast and dis): loaded at the
# first of them.
_TARGET_REQUESTS = ("gotoTargets", "goto", "stepInTargets")


def _load_targets():
    global _targets
    if _targets is None:
        _load_inspect()  # its settings (columnsStartAt1) are read there
        mod = _load_file("_dapper_targets", _targets_file)
        mod.init(_rt, _SupportView())
        _requests.update(mod.requests)
        _targets = mod
    return _targets


class _SupportView:
    """What the inspection module sees of this one (it is not in
    sys.modules)."""

    def __getattr__(self, name):
        return globals()[name]


class _Tee:
    """redirectOutput for a program run in a terminal: what is written to
    sys.stdout/sys.stderr goes to the terminal as before and is also sent
    as an `output` event. Writes below Python (os.write, C extensions,
    child processes) reach the terminal only."""

    def __init__(self, stream, category):
        self._dapper_stream = stream
        self._dapper_category = category

    def write(self, text):
        n = self._dapper_stream.write(text)
        if isinstance(text, str) and text:
            try:
                send_output(text, self._dapper_category)
            except Exception:  # noqa: BLE001 - the program's write went through
                pass
        return n

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def __getattr__(self, name):
        return getattr(self._dapper_stream, name)


def _tee_output():
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name, None)
        if stream is not None and not isinstance(stream, _Tee):
            setattr(sys, name, _Tee(stream, name))


disk_cache = True  # frameEval `disk_cache`: _dapper_instrument.py reads it


def configure(settings):
    """`configure` settings for inspection (showReturnValue, ...): the
    request's arguments as a dict (C converts them, no json module)."""
    global disk_cache
    set_rules(settings.get("rules"))
    if settings.get("redirectOutput"):
        _tee_output()
    fe = settings.get("frameEval") or {}
    _line_cache.configure(fe)
    disk_cache = bool(fe.get("disk_cache", True))
    if _inspect is not None:
        _inspect.configure(settings)
    else:
        _configured.append(settings)


def init(rt, runtime_dir):
    global _rt, _runtime_dir, _main_ident
    _rt = rt
    _runtime_dir = runtime_dir or ""
    _main_ident = _thread.get_ident()
    _install_excepthooks()  # and the thread hooks, now or with threading
    os.register_at_fork(after_in_child=rt._after_fork_child)


# ---------------------------------------------------------------------------
# stops: the frames of a stopped thread, and requests run in its context

_stops = {}         # thread id -> [(frame, line)] innermost first
_frame_ids = {}     # frame id -> (thread id, frame)
_next_frame_id = [1]
_client_paths = {}  # canonical path -> the path the client sent
_blocked = set()    # ids of threads whose frames were read while in C
_parked = set()     # ids of threads that recorded their own frames this stop


def set_client_path(canon, path):
    _client_paths[canon] = path


def _visible(frames):
    """Drops the runtime's own frames and everything above the program's
    entry frame (the outermost module-level frame of __main__)."""
    main = sys.modules.get("__main__")
    main_dict = getattr(main, "__dict__", None)
    entry = None
    for i, (f, _line) in enumerate(frames):
        if f.f_globals is main_dict and f.f_code.co_name == "<module>":
            entry = i
    if entry is not None:
        frames = frames[:entry + 1]
    return [(f, l) for f, l in frames if not is_hidden(f.f_code.co_filename)
            and not f.f_code.co_filename.startswith("<frozen importlib")]


def stop_begin(thread_id, frame, tb, exc=None, exc_kind=None, ret=None,
               report=False, own=True):
    """Records the frames of a stop, innermost first: from `frame`
    outwards; or the frames of the traceback `tb` (an uncaught exception);
    or both (an exception that reached `frame` from its callees: the
    traceback's frames, then the callers of `frame`). A reported stop (not
    a parked thread) also keeps the exception it stopped for and the
    return values a step saw ((code, value) pairs: the frame it left, or
    the calls a `next` stepped over)."""
    frames = []
    if tb is not None:
        while tb is not None:
            frames.append((tb.tb_frame, tb.tb_lineno))
            tb = tb.tb_next
        frames.reverse()
        f = frame.f_back if frame is not None else None
    else:
        f = frame
    while f is not None:
        frames.append((f, None))
        f = f.f_back
    _stops[thread_id] = _visible(frames)
    _blocked.discard(thread_id)
    if own:  # the thread itself, in Python: its record stands this stop
        _parked.add(thread_id)
    _load_inspect().stop_begin(thread_id, exc, exc_kind,
                               ret if report else None)


def stop_blocked(thread_id, ident):
    """Records the frames of a thread that is blocked in a C call during a
    stop (it runs no Python code, so it cannot record them itself): read
    from the thread holding the GIL. Requests for it run on that thread,
    on its behalf; its frames are read-only meanwhile (blocked_check).
    A thread that meanwhile reached Python and recorded its own frames
    (it parked) keeps them: a request that was routed to the stand-in
    just before it parked must not make it read-only again."""
    if thread_id in _parked:
        return
    frame = sys._current_frames().get(ident)
    stop_begin(thread_id, frame, None, own=False)
    _blocked.add(thread_id)


def blocked_check(thread_id, what):
    """Refuses `what` (a write to a frame or a statement run in it) for a
    thread blocked in C."""
    if thread_id not in _blocked:
        return
    frames = _stops.get(thread_id) or []
    where = ""
    if frames:
        f, line = frames[0]
        where = " (in %s, line %d)" % (f.f_code.co_name,
                                       line if line is not None
                                       else f.f_lineno or 0)
    raise RequestError(
        "%s: thread %d is blocked in C code%s: its frames are read-only "
        "until that call returns to Python (continue, or pause again "
        "later); expressions can be evaluated" % (what, thread_id, where))


def stop_end(thread_id):
    _stops.pop(thread_id, None)
    _blocked.discard(thread_id)
    _parked.discard(thread_id)
    if _inspect is not None:
        _inspect.stop_end(thread_id)
    for fid in [k for k, v in _frame_ids.items() if v[0] == thread_id]:
        del _frame_ids[fid]


def _source(filename, code=None, f_globals=None):
    if not filename or filename.startswith("<"):
        src = {"name": filename or "?"}
        if code is not None:
            src["sourceReference"] = _load_inspect().source_reference(
                filename, code, f_globals)
            src["origin"] = "not a file"
        return src
    canon = canonical(filename)
    path = _client_paths.get(canon) or os.path.abspath(filename)
    return {"name": os.path.basename(path), "path": path}


def _stack_trace(thread_id, args):
    frames = _stops.get(thread_id, [])
    start = max(0, arg("stackTrace", args, "startFrame", "integer",
                       default=0))
    levels = arg("stackTrace", args, "levels", "integer", default=0)
    chosen = frames[start:start + levels] if levels > 0 else frames[start:]
    out = []
    for f, line in chosen:
        fid = _rt._new_id(thread_id)
        _frame_ids[fid] = (thread_id, f)
        code = f.f_code
        entry = {
            "id": fid,
            "name": getattr(code, "co_qualname", code.co_name),
            "source": _source(code.co_filename, code, f.f_globals),
            "line": line if line is not None else (f.f_lineno or 0),
            "column": 1,
        }
        if is_library(code.co_filename):
            entry["presentationHint"] = "subtle"  # clients fold these
        out.append(entry)
    return {"stackFrames": out, "totalFrames": len(frames)}


class RequestError(Exception):
    """Raised by a request handler: becomes an error response."""


_ARG_TYPES = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or
    (isinstance(v, float) and v.is_integer()),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
}


def arg(command, args, name, kind, required=None, default=None,
        label=None):
    """args[name] (a request's arguments) if it is a JSON `kind` ("string",
    "integer", "boolean" or "object"); `default` when it is absent or null.
    Raises RequestError '<command>: "<label or name>" must be a <kind>' when
    it has another type, and `required` (a message) when it is absent and
    that is given. `label` names a nested one ("source.path")."""
    v = args.get(name) if isinstance(args, dict) else None
    if v is None:
        if required:
            raise RequestError(required)
        return default
    if not _ARG_TYPES[kind](v):
        article = "an" if kind[0] in "aeiou" else "a"
        raise RequestError('%s: "%s" must be %s %s'
                           % (command, label or name, article, kind))
    return int(v) if kind == "integer" else v


_requests = {
    "stackTrace": _stack_trace,
}


def handle_request(thread_id, command, args):
    """Runs a request in the stopped thread's context. args: the request's
    arguments as a dict (C converts them). Returns (body,), which C turns
    into the response's JSON, or None when the thread sends the response
    later itself. Raises RequestError (or anything) for an error
    response."""
    if command in _TARGET_REQUESTS:
        _load_targets()
    handler = _requests.get(command)
    if handler is None and _inspect is None:
        _load_inspect()
        handler = _requests.get(command)
    if handler is None:
        raise RequestError("unknown command '%s'" % command)
    body = handler(thread_id, args or {})
    if _targets is not None and body is _targets.DEFERRED:
        return None  # the thread answers later itself (a deferred goto)
    return (body,)


def goto_attempt(frame, line):
    """A deferred jump, at an opcode event of the frame (rt_goto.c): None,
    the error message, or False to wait for the next instruction."""
    return _load_targets().attempt_deferred(frame, line)


def format_exc(err):
    if isinstance(err, RequestError):
        return str(err)
    import traceback
    return "".join(traceback.format_exception_only(type(err), err)).strip()
