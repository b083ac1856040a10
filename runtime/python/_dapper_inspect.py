"""Inspection requests of the dapper runtime (docs/runtime.md, "Inspection").

Loaded by `_dapper_support` by absolute path (never through sys.path or
sys.modules). Every request here runs in the context of a stopped thread
(`scopes`, `variables`, `evaluate`, `setVariable`, `setExpression`,
`completions`, `exceptionInfo`), or, for `evaluate`/`completions` without a
frame while nothing is stopped, on a runtime worker thread holding the GIL
(thread id 0). The thread's "inside the debugger" flag is set, so nothing
run here (user __repr__, property getters, evaluated expressions) can hit a
breakpoint or step.

References (variablesReference, frame ids) come from `_rt._new_id(thread)`:
the C side routes a request carrying one to the thread that made it, and
forgets them when that thread resumes (a stale one is refused there with a
clear message).

Rendering values, their children and the `variables` request are in
_dapper_values.py (`_values`), loaded next to this module by the support
module (with its parts _dapper_budget.py and _dapper_renderers.py) and
handed to init() ready to use.
"""
import sys

_rt = None
_support = None
_values = None       # the _dapper_values module (set by init)

# Settings from `configure` (docs/wire-protocol.md).
_settings = {
    "showReturnValue": True,
    "supportsInvalidatedEvent": False,
    "code": None,
    "columnsStartAt1": True,
}


class RequestError(Exception):
    """Becomes an error response whose message is str(self)."""


def init(rt, support, values):
    global _rt, _support, _values, RequestError
    _rt = rt
    _support = support
    _values = values
    RequestError = support.RequestError
    requests["variables"] = values._variables


def configure(settings):
    for k in ("showReturnValue", "supportsInvalidatedEvent", "code",
              "columnsStartAt1"):
        if k in settings and settings[k] is not None:
            _settings[k] = settings[k]
    _values.set_timeout(settings.get("evaluateTimeout"))


# ---------------------------------------------------------------------------
# per-stop state (references to values: _dapper_values.py)

_stop_info = {}     # thread id -> {"exc", "exc_kind", "tb", "ret"}


def stop_begin(thread_id, exc, exc_kind, ret):
    info = {}
    if exc is not None:
        info["exc"] = exc
        info["exc_kind"] = exc_kind
    if ret is not None and _settings.get("showReturnValue", True):
        info["ret"] = ret    # ((code, value), ...) in call order
    _stop_info[thread_id] = info
    try:
        _report_new_modules()
    except Exception:  # noqa: BLE001 - events are best effort
        pass


def stop_end(thread_id):
    _stop_info.pop(thread_id, None)
    _values.forget_thread(thread_id)


def _frame(thread, frame_id):
    hit = _support._frame_ids.get(frame_id)
    if hit is None or hit[0] != thread:
        raise RequestError("frame %s is not valid any more: frame ids last "
                           "until the program resumes" % frame_id)
    return hit[1]


def _scopes(thread, args):
    frame = _frame(thread, _support.arg("scopes", args, "frameId", "integer",
                                        "frameId is required"))
    out = []
    info = _stop_info.get(thread) or {}
    top = _support._stops.get(thread)
    if info.get("ret") is not None and top and top[0][0] is frame:
        ref = _values._new_ref(thread, "return", info["ret"])
        out.append({"name": "Return value", "presentationHint": "returnValue",
                    "variablesReference": ref,
                    "namedVariables": len(info["ret"]),
                    "expensive": False})
    ref = _values._new_ref(thread, "locals", frame)
    try:
        nloc = len(frame.f_locals)
    except Exception:  # noqa: BLE001
        nloc = 0
    out.append({"name": "Locals", "presentationHint": "locals",
                "variablesReference": ref, "namedVariables": nloc,
                "expensive": False})
    ref = _values._new_ref(thread, "globals", frame)
    out.append({"name": "Globals", "variablesReference": ref,
                "namedVariables": len(frame.f_globals), "expensive": True})
    return {"scopes": out}


# ---------------------------------------------------------------------------
# evaluate

class _Relay:
    """sys.stdout / sys.stderr while a repl statement runs: `output`
    events as the text is written."""

    def __init__(self, category, orig):
        self.category = category
        self.orig = orig

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError("write() argument must be str, not %s"
                            % type(s).__name__)
        if s:
            _support.send_output(s, self.category)
        return len(s)

    def flush(self):
        pass

    def isatty(self):
        return False

    def __getattr__(self, name):
        return getattr(self.orig, name)


def _namespaces(thread, args, command):
    fid = _support.arg(command, args, "frameId", "integer")
    if fid is not None:
        frame = _frame(thread, fid)
        return frame, frame.f_globals, frame.f_locals
    main = sys.modules.get("__main__")
    g = main.__dict__ if main is not None else {}
    return None, g, g


def _compile(expr, mode):
    return compile(expr, "<debugger>", mode, dont_inherit=True)


def _evaluate_value(thread, args):
    """(value, ran_statement) or raises RequestError with the text."""
    expr = _support.arg("evaluate", args, "expression", "string",
                        "expression is required")
    context = _support.arg("evaluate", args, "context", "string") or "repl"
    frame, g, loc = _namespaces(thread, args, "evaluate")
    try:
        code = _compile(expr, "eval")
        statement = False
    except SyntaxError as first:
        if context != "repl":
            raise RequestError(_values._exc_line(first))
        try:
            code = _compile(expr, "exec")
        except SyntaxError as e:
            raise RequestError(_values._exc_line(e))
        statement = True
        _support.blocked_check(thread, "running a statement")
    relay = None
    if context == "repl":
        relay = (_Relay("stdout", sys.stdout), _Relay("stderr", sys.stderr))
        sys.stdout, sys.stderr = relay
    try:
        if statement:
            exec(code, g, loc)
            value = None
        else:
            value = eval(code, g, loc)
    except BaseException as e:  # noqa: B902 - the user's error
        if isinstance(e, RequestError):
            raise
        raise RequestError(_values._exc_line(e))
    finally:
        if relay is not None:
            if sys.stdout is relay[0]:
                sys.stdout = relay[0].orig
            if sys.stderr is relay[1]:
                sys.stderr = relay[1].orig
        if statement and frame is not None:
            _rt._locals_to_fast(frame)
    if statement:
        _invalidated(thread, args)
    return value, statement


def _evaluate(thread, args):
    hexa = _values._hexa(args, "evaluate")
    value, statement = _evaluate_value(thread, args)
    context = args.get("context") or "repl"
    if statement:
        return {"result": "", "variablesReference": 0}
    limit = None if context == "clipboard" else _values.MAX_VALUE
    body = {"result": _values._repr(value, limit, hexa), "type": _values._typename(value),
            "variablesReference": 0}
    shape = _values._shape(value)
    if shape is not None:
        expr = args.get("expression")
        body["variablesReference"] = _values._new_ref(thread, "obj", value,
                                              "(%s)" % expr.strip())
        if body["variablesReference"]:
            if shape[1] is not None:
                body["namedVariables"] = shape[1]
            if shape[2] is not None:
                body["indexedVariables"] = shape[2]
    return body


def _invalidated(thread, args):
    if not _settings.get("supportsInvalidatedEvent"):
        return
    body = {"areas": ["variables"]}
    if thread:
        body["threadId"] = thread
    _rt._send_event("invalidated", body)


# ---------------------------------------------------------------------------
# setting

def _assign_in_scope(frame, kind, name, value):
    if kind == "globals":
        frame.f_globals[name] = value
        return
    loc = frame.f_locals
    loc[name] = value
    _rt._locals_to_fast(frame)


def _set_variable(thread, args):
    arg = _support.arg
    _support.blocked_check(thread, "setVariable")
    r = _values._get_ref(thread, arg("setVariable", args, "variablesReference",
                                     "integer",
                                     "variablesReference is required"))
    name = arg("setVariable", args, "name", "string",
               "name and value are required")
    expr = arg("setVariable", args, "value", "string",
               "name and value are required")
    hexa = _values._hexa(args, "setVariable")
    owner = r
    if r.kind == "group":
        if isinstance(r.obj, _values._FrameScope):
            owner = _values._Ref(thread, r.obj.kind, r.obj.frame, None)
        else:
            owner = _values._Ref(thread, "obj", r.obj, r.evalname)
    frame = None
    if owner.kind in ("locals", "globals"):
        frame = owner.obj
        g, loc = frame.f_globals, frame.f_locals
    else:
        main = sys.modules.get("__main__")
        g = main.__dict__ if main is not None else {}
        loc = g
        top = _support._stops.get(thread)
        if top:
            frame = top[0][0]
            g, loc = frame.f_globals, frame.f_locals
    try:
        value = eval(_compile(expr, "eval"), g, loc)
    except BaseException as e:  # noqa: B902
        raise RequestError(_values._exc_line(e))
    try:
        if owner.kind in ("locals", "globals"):
            _assign_in_scope(owner.obj, owner.kind, name, value)
            scope = _values._FrameScope(owner.obj, owner.kind)
            new = scope.mapping()[name]
            ev = scope.evalname(name)
        else:
            new, ev = _set_child(owner, name, value)
    except RequestError:
        raise
    except BaseException as e:  # noqa: B902
        raise RequestError(_values._exc_line(e))
    return _assigned(thread, args, name, new, ev, hexa)



def _assigned(thread, args, name, new, evaluate_name, hexa):
    """The response body of setVariable/setExpression: the new value as the
    variables view shows it; sends `invalidated` when the client wants it."""
    v = _values._variable(thread, name, new, evaluate_name, hexa)
    _invalidated(thread, args)
    body = {"value": v["value"], "type": v.get("type"),
            "variablesReference": v["variablesReference"]}
    for k in ("namedVariables", "indexedVariables"):
        if k in v:
            body[k] = v[k]
    return body

def _set_child(r, name, value):
    obj = r.obj
    parent = r.evalname
    shape = _values._shape(obj)
    kind = shape[0] if shape else None
    if kind == "seq":
        if not isinstance(obj, (list, bytearray)):
            raise RequestError("cannot change an item of a %s: it is "
                               "immutable" % _values._typename(obj))
        i = int(name)
        obj[i] = value
        return obj[i], ("%s[%d]" % (_values._paren(parent), i) if parent else None)
    if kind == "set":
        raise RequestError("cannot change an item of a %s" % _values._typename(obj))
    if kind == "dict":
        key = (r.names or {}).get(name, _missing)
        if key is _missing:
            for k in obj.keys():
                if _values._repr(k, 200) == name:
                    key = k
                    break
            else:
                raise RequestError("no key %s" % name)
        obj[key] = value
        lit = _values._literal_key(key)
        return obj[key], ("%s[%s]" % (_values._paren(parent), lit)
                          if parent and lit else None)
    if _values._is_namedtuple(obj):
        raise RequestError("cannot change a field of a named tuple")
    if kind == "render" and name not in (_values._instance_dict(obj) or ()) \
            and name not in [n for n, _c in _values._slot_names(type(obj))]:
        raise RequestError("cannot change %s of a %s here: use "
                           "setExpression on its evaluateName"
                           % (name, _values._typename(obj)))
    setattr(obj, name, value)
    return getattr(obj, name), _values._attr_evalname(parent, name)


_missing = object()


def _set_expression(thread, args):
    import ast
    _support.blocked_check(thread, "setExpression")
    expr = _support.arg("setExpression", args, "expression", "string",
                        "expression and value are required")
    vexpr = _support.arg("setExpression", args, "value", "string",
                         "expression and value are required")
    hexa = _values._hexa(args, "setExpression")
    frame, g, loc = _namespaces(thread, args, "setExpression")
    try:
        target = ast.parse(expr.strip(), mode="eval").body
    except SyntaxError as e:
        raise RequestError(_values._exc_line(e))

    def ev(node):
        return eval(compile(ast.Expression(node), "<debugger>", "eval",
                            dont_inherit=True), g, loc)
    try:
        value = eval(_compile(vexpr, "eval"), g, loc)
        if isinstance(target, ast.Name):
            name = target.id
            if frame is not None and (name in loc or name in
                                      frame.f_code.co_varnames):
                if loc is frame.f_globals:
                    g[name] = value
                else:
                    _assign_in_scope(frame, "locals", name, value)
                    loc = frame.f_locals
            else:
                g[name] = value
        elif isinstance(target, ast.Attribute):
            setattr(ev(target.value), target.attr, value)
        elif isinstance(target, ast.Subscript):
            ev(target.value)[ev(target.slice)] = value
        else:
            raise RequestError("cannot assign to %s" % expr)
        new = eval(_compile(expr, "eval"), g, loc)
    except RequestError:
        raise
    except BaseException as e:  # noqa: B902
        raise RequestError(_values._exc_line(e))
    return _assigned(thread, args, expr, new, expr, hexa)


# ---------------------------------------------------------------------------
# completions

def _completions(thread, args):
    import re
    arg = _support.arg
    text = arg("completions", args, "text", "string", default="")
    column = arg("completions", args, "column", "integer")
    arg("completions", args, "line", "integer")  # one line only: unused
    base = 1 if _settings.get("columnsStartAt1", True) else 0
    # `column` and each target's `start` count from `base`; below they are
    # computed 1-based (column - 1 - len(part) is the 0-based start).
    column = (column or len(text) + base) + (1 - base)
    before = text[:max(0, column - 1)]
    frame, g, loc = _namespaces(thread, args, "completions")
    targets = []
    m = re.search(r"([A-Za-z_][\w.]*)\[\s*(['\"]?)([^'\"\]]*)$", before)
    if m:
        try:
            obj = eval(_compile(m.group(1), "eval"), g, loc)
        except BaseException:  # noqa: B902
            return {"targets": []}
        part = m.group(3)
        quote = m.group(2)
        if isinstance(obj, dict):
            for k in list(obj.keys())[:1000]:
                if isinstance(k, str) and k.startswith(part):
                    label = (quote + k + quote) if quote else repr(k)
                    targets.append({"label": label, "type": "value",
                                    "start": column - 1 - len(part) + base
                                    - len(quote), "length":
                                    len(part) + len(quote)})
        return {"targets": targets}
    m = re.search(r"([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*)\.(\w*)$", before)
    if m:
        try:
            obj = eval(_compile(m.group(1), "eval"), g, loc)
        except BaseException:  # noqa: B902
            return {"targets": []}
        part = m.group(2)
        try:
            names = dir(obj)
        except BaseException:  # noqa: B902
            names = []
        for n in sorted(names):
            if n.startswith(part) and (part.startswith("_") or
                                       not n.startswith("_")):
                targets.append({"label": n, "type": _ctype(obj, n),
                                "start": column - 1 - len(part) + base,
                                "length": len(part)})
        return {"targets": targets}
    m = re.search(r"(\w*)$", before)
    part = m.group(1) if m else ""
    import builtins
    import keyword
    seen = set()
    for src, kind in ((loc, None), (g, None), (builtins.__dict__, None)):
        for n in sorted(k for k in list(src.keys()) if isinstance(k, str)):
            if n in seen or not n.startswith(part):
                continue
            if n.startswith("_") and not part.startswith("_"):
                continue
            seen.add(n)
            targets.append({"label": n, "type": _ctype_value(src.get(n)),
                            "start": column - 1 - len(part) + base,
                            "length": len(part)})
    for k in keyword.kwlist:
        if k.startswith(part) and k not in seen:
            targets.append({"label": k, "type": "keyword",
                            "start": column - 1 - len(part) + base,
                            "length": len(part)})
    return {"targets": targets}


def _ctype(obj, name):
    try:
        desc = None
        for c in type(obj).__mro__:
            if name in c.__dict__:
                desc = c.__dict__[name]
                break
        if isinstance(desc, property):
            return "property"
        value = object.__getattribute__(obj, name) if desc is None else desc
    except BaseException:  # noqa: B902
        return "field"
    return _ctype_value(value)


def _ctype_value(v):
    if isinstance(v, type):
        return "class"
    if isinstance(v, type(sys)):
        return "module"
    if callable(v):
        return "function"
    return "variable"


# ---------------------------------------------------------------------------
# exceptionInfo

def _exception_info(thread, args):
    info = _stop_info.get(thread) or {}
    exc = info.get("exc")
    if exc is None:
        raise RequestError("thread %d did not stop for an exception" % thread)
    import traceback
    t = type(exc)
    full = "%s.%s" % (t.__module__, t.__qualname__) \
        if t.__module__ not in ("builtins", None) else t.__qualname__
    text = _safe_str(exc)
    mode = {"raised": "always", "uncaught": "unhandled",
            "userUnhandled": "userUnhandled"}.get(info.get("exc_kind"),
                                                  "always")
    try:
        # The stop's frames: at a `raised` stop the traceback is not
        # complete yet (exc.__traceback__ may even be None).
        frames = _support._stops.get(thread) or []
        summary = traceback.StackSummary.from_list(
            [(f.f_code.co_filename, line or f.f_lineno, f.f_code.co_name, None)
             for f, line in reversed(frames)])
        tb_text = "Traceback (most recent call last):\n" + \
            "".join(summary.format()) + \
            "".join(traceback.format_exception_only(t, exc))
    except BaseException as e:  # noqa: B902
        tb_text = "(no traceback: %s)" % _values._exc_line(e)
    return {"exceptionId": full,
            "description": ("%s: %s" % (full, text)) if text else full,
            "breakMode": mode,
            "details": {"message": text, "typeName": t.__qualname__,
                        "fullTypeName": full, "stackTrace": tb_text}}


def _safe_str(exc):
    try:
        return str(exc)
    except BaseException as e:  # noqa: B902
        return "<str() raised %s>" % _values._exc_line(e)


# ---------------------------------------------------------------------------
# sources without a file, loaded sources, modules (channel thread, GIL)

_source_refs = {}     # sourceReference -> (name, key)
_source_keys = {}     # key -> sourceReference
_next_source = [1]


def source_reference(filename, code, f_globals):
    """A sourceReference for code whose file does not exist."""
    import linecache
    key = filename
    if not linecache.getlines(filename, f_globals) and not (
            filename == "<string>" and _settings.get("code") and
            f_globals is getattr(sys.modules.get("__main__"), "__dict__",
                                 None)):
        key = code  # no text anywhere: a disassembly of this code object
    ref = _source_keys.get(key)
    if ref is None:
        if len(_source_refs) > 2000:
            _source_refs.clear()
            _source_keys.clear()
        ref = _next_source[0]
        _next_source[0] += 1
        _source_refs[ref] = (filename, key, f_globals)
        _source_keys[key] = ref
    return ref


def source_content(ref):
    import linecache
    hit = _source_refs.get(ref)
    if hit is None:
        raise RequestError("sourceReference %s is unknown" % ref)
    filename, key, g = hit
    if isinstance(key, str):
        lines = linecache.getlines(filename, g)
        if lines:
            return "".join(lines)
        code = _settings.get("code")
        if code:
            return code
    return _disassembly(filename, key)


def _disassembly(filename, code):
    """A text whose line N shows what line N of the missing source runs."""
    import dis
    by_line = {}
    try:
        for ins in dis.get_instructions(code):
            pos = ins.positions
            line = pos.lineno if pos is not None else None
            if line is None or ins.opname in ("RESUME", "CACHE"):
                continue
            by_line.setdefault(line, []).append(
                ins.opname + (" " + ins.argrepr if ins.argrepr else ""))
    except BaseException:  # noqa: B902
        pass
    top = max(by_line) if by_line else 1
    out = []
    for n in range(1, top + 1):
        if n == 1 and 1 not in by_line:
            out.append("# source of %s is not available: the bytecode of "
                       "each line is shown instead" % filename)
        elif n in by_line:
            out.append("# line %d: %s" % (n, "; ".join(by_line[n])))
        else:
            out.append("")
    return "\n".join(out) + "\n"


def _source(thread, args):
    arg = _support.arg
    ref = arg("source", args, "sourceReference", "integer")
    src = arg("source", args, "source", "object", default={})
    if not ref:
        ref = arg("source", src, "sourceReference", "integer",
                  label="source.sourceReference")
    if not ref:
        path = arg("source", src, "path", "string", label="source.path")
        if path:
            try:
                with open(path, encoding="utf-8", errors="replace") as f:
                    return {"content": f.read(), "mimeType": "text/x-python"}
            except OSError as e:
                raise RequestError("cannot read %s: %s" % (path, e))
        raise RequestError("sourceReference is required")
    return {"content": source_content(ref), "mimeType": "text/x-python"}


# Module events (docs/runtime.md, "Inspection"). Imports append to
# sys.modules, so its size and last entry tell at a glance whether anything
# was imported since the last stop; only then is it walked, and only the
# modules not seen before are looked at. Events go out for the user's own
# modules (what a user opens); `modules`/`loadedSources` answer with all.
_seen_modules = {}          # name -> id(module) of every module looked at
_modules_mark = None        # (len, last name, id(last module)) when walked
_reported_sources = set()   # paths sent in a `loadedSource` event


def _module_entry(name, mod):
    try:
        d = object.__getattribute__(mod, "__dict__")
    except BaseException:  # noqa: B902
        d = {}
    entry = {"id": name, "name": name}
    f = d.get("__file__")
    if isinstance(f, str):
        entry["path"] = f
        entry["isUserCode"] = not _support.is_library(f)
    v = d.get("__version__")
    if isinstance(v, str):
        entry["version"] = v
    return entry


def _modules_now():
    out = []
    for name, mod in list(sys.modules.items()):
        if mod is None or not isinstance(mod, type(sys)):
            continue
        out.append((name, mod))
    out.sort(key=lambda e: e[0])
    return out


def _current_mark():
    mods = sys.modules
    try:
        last = next(reversed(mods))
    except (StopIteration, RuntimeError):  # empty, or changed meanwhile
        return None
    return (len(mods), last, id(mods.get(last)))


def _report_new_modules():
    global _modules_mark
    mark = _current_mark()
    if mark is not None and mark == _modules_mark:
        return
    _modules_mark = mark
    new = []
    seen = _seen_modules
    for name, mod in list(sys.modules.items()):
        key = id(mod)
        if seen.get(name) == key:
            continue
        seen[name] = key
        if mod is not None and isinstance(mod, type(sys)):
            new.append((name, mod))
    if not new:
        return
    for name, mod in new:
        entry = _module_entry(name, mod)
        path = entry.get("path")
        if not entry.get("isUserCode") or _support.is_hidden(path):
            continue
        _rt._send_event("module", {"reason": "new", "module": entry})
        if path.endswith(".py") and path not in _reported_sources:
            _reported_sources.add(path)
            _rt._send_event("loadedSource", {
                "reason": "new", "source": _support._source(path)})


def _modules(thread, args):
    mods = _modules_now()
    start = max(0, _support.arg("modules", args, "startModule", "integer",
                                default=0))
    count = _support.arg("modules", args, "moduleCount", "integer", default=0)
    chosen = mods[start:start + count] if count > 0 else mods[start:]
    return {"modules": [_module_entry(n, m) for n, m in chosen],
            "totalModules": len(mods)}


def _loaded_sources(thread, args):
    out = []
    seen = set()
    for _name, mod in _modules_now():
        try:
            f = object.__getattribute__(mod, "__dict__").get("__file__")
        except BaseException:  # noqa: B902
            continue
        if isinstance(f, str) and f.endswith(".py") and f not in seen:
            seen.add(f)
            out.append(_support._source(f))
    return {"sources": out}


requests = {
    "scopes": _scopes,
    "variables": None,      # _values._variables, set by init
    "evaluate": _evaluate,
    "setVariable": _set_variable,
    "setExpression": _set_expression,
    "completions": _completions,
    "exceptionInfo": _exception_info,
    "source": _source,
    "modules": _modules,
    "loadedSources": _loaded_sources,
}
