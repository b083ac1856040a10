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
"""
import sys

_rt = None
_support = None

# Settings from `configure` (docs/wire-protocol.md).
_settings = {
    "showReturnValue": True,
    "supportsInvalidatedEvent": False,
    "code": None,
    "columnsStartAt1": True,
}

MAX_VALUE = 1000     # characters of a rendered value (clipboard: unbounded)
MAX_UNPAGED = 1000   # children sent for a variables request without `count`
MAX_ITEMS = 100      # items a container's one-line value shows at most
MAX_DEPTH = 3        # nesting a container's one-line value shows

_SCALARS = (int, float, complex, str, bool, type(None))


class RequestError(Exception):
    """Becomes an error response whose message is str(self)."""


def init(rt, support):
    global _rt, _support, RequestError
    _rt = rt
    _support = support
    RequestError = support.RequestError


def configure(settings):
    for k in ("showReturnValue", "supportsInvalidatedEvent", "code",
              "columnsStartAt1"):
        if k in settings and settings[k] is not None:
            _settings[k] = settings[k]


# ---------------------------------------------------------------------------
# per-stop state

class _Ref:
    __slots__ = ("thread", "kind", "obj", "evalname", "extra", "names")

    def __init__(self, thread, kind, obj, evalname, extra=None):
        self.thread = thread
        self.kind = kind          # locals|globals|return|obj|lazy|group
        self.obj = obj
        self.evalname = evalname
        self.extra = extra
        self.names = None         # child name -> (how, key) once listed


_refs = {}          # ref -> _Ref
_thread_refs = {}   # thread id -> [ref]
_stop_info = {}     # thread id -> {"exc", "exc_kind", "tb", "ret"}


def _new_ref(thread, kind, obj, evalname=None, extra=None):
    if not thread:
        return 0  # nothing stopped: values are not expandable
    ref = _rt._new_id(thread)
    _refs[ref] = _Ref(thread, kind, obj, evalname, extra)
    _thread_refs.setdefault(thread, []).append(ref)
    return ref


def stop_begin(thread_id, exc, exc_kind, ret):
    info = {}
    if exc is not None:
        info["exc"] = exc
        info["exc_kind"] = exc_kind
    if ret is not None and _settings.get("showReturnValue", True):
        info["ret"] = ret    # (code, value)
    _stop_info[thread_id] = info
    try:
        _report_new_modules()
    except Exception:  # noqa: BLE001 - events are best effort
        pass


def stop_end(thread_id):
    _stop_info.pop(thread_id, None)
    for ref in _thread_refs.pop(thread_id, ()):
        _refs.pop(ref, None)


def _get_ref(thread, ref):
    r = _refs.get(ref)
    if r is None or r.thread != thread:
        raise RequestError("variablesReference %s is not valid any more: "
                           "references last until the program resumes" % ref)
    return r


def _frame(thread, frame_id):
    hit = _support._frame_ids.get(frame_id)
    if hit is None or hit[0] != thread:
        raise RequestError("frame %s is not valid any more: frame ids last "
                           "until the program resumes" % frame_id)
    return hit[1]


def _check_cancel(i):
    if i & 63 == 0 and _rt._cancelled():
        raise RequestError("cancelled")


# ---------------------------------------------------------------------------
# rendering values

def _typename(v):
    t = type(v)
    return getattr(t, "__qualname__", None) or t.__name__


def _fmt_int(v, hexa):
    if hexa:
        return hex(v)
    if v.bit_length() > 20000:
        return "<int of %d bits>" % v.bit_length()
    try:
        return repr(v)
    except ValueError:  # int max str digits
        return "<int of %d bits>" % v.bit_length()


_STD_REPRS = {}


def _std_reprs():
    if not _STD_REPRS:
        for t in (list, tuple, set, frozenset, dict):
            _STD_REPRS[t.__repr__] = t
    return _STD_REPRS


def _repr(v, limit, hexa=False):
    """The one-line value of v, at most about `limit` characters (None: no
    bound). Builtin containers are rendered here, item by item, so a huge
    one costs only what is shown; anything else is repr() (user code)."""
    out = []
    _repr_into(v, out, [0], limit, hexa, 0, set())
    text = "".join(out)
    if limit is not None and len(text) > limit:
        text = text[:limit] + "..."
    return text


def _repr_into(v, out, size, limit, hexa, depth, seen):
    def put(s):
        out.append(s)
        size[0] += len(s)

    t = type(v)
    if t is bool or v is None:
        return put(repr(v))
    if isinstance(v, int) and t.__repr__ is int.__repr__:
        return put(_fmt_int(v, hexa))
    if t is str:
        if limit is not None and len(v) > limit:
            return put(repr(v[:limit]) + "...")
        return put(repr(v))
    if t in (bytes, bytearray):
        if limit is not None and len(v) > limit:
            return put(repr(v[:limit]) + "...")
        return put(repr(v))
    base = _std_reprs().get(getattr(t, "__repr__", None))
    if base is None:
        try:
            r = repr(v)
        except BaseException as e:  # noqa: B902 - shown as the value
            r = "<%s object: __repr__ raised %s>" % (_typename(v),
                                                     _exc_line(e))
        if not isinstance(r, str):
            r = "<%s object>" % _typename(v)
        if limit is not None and len(r) > limit:
            r = r[:limit] + "..."
        return put(r)
    if id(v) in seen:
        return put("{...}" if base is dict else "[...]")
    if base is list:
        opn, cls = "[", "]"
    elif base is tuple:
        opn, cls = "(", ")"
    elif base is dict:
        opn, cls = "{", "}"
    else:
        if not v:
            return put("%s()" % t.__name__)
        opn, cls = ("{", "}") if t is set else ("%s({" % t.__name__, "})")
    if t is not base and base in (list, tuple, dict):
        opn = "%s(%s" % (t.__name__, opn)
        cls = cls + ")"
    if depth >= MAX_DEPTH and len(v):
        return put(opn + "..." + cls)
    seen.add(id(v))
    put(opn)
    n = 0
    items = v.items() if base is dict else v
    for item in items:
        if n:
            put(", ")
        if n >= MAX_ITEMS or (limit is not None and size[0] > limit):
            put("...")
            break
        if base is dict:
            _repr_into(item[0], out, size, limit, hexa, depth + 1, seen)
            put(": ")
            _repr_into(item[1], out, size, limit, hexa, depth + 1, seen)
        else:
            _repr_into(item, out, size, limit, hexa, depth + 1, seen)
        n += 1
    if base is tuple and n == 1:
        put(",")
    put(cls)
    seen.discard(id(v))


def _exc_line(e):
    name = type(e).__qualname__
    mod = type(e).__module__
    if mod not in ("builtins", "__main__", None):
        name = "%s.%s" % (mod, name)
    text = str(e) if not isinstance(e, RequestError) else e.args[0]
    return "%s: %s" % (name, text) if text else name


def _hexa(args):
    fmt = args.get("format") or {}
    return bool(fmt.get("hex"))


# ---------------------------------------------------------------------------
# what a value expands into

def _is_namedtuple(v):
    return isinstance(v, tuple) and isinstance(getattr(type(v), "_fields", None),
                                               tuple)


def _is_dataclass(v):
    return not isinstance(v, type) and \
        hasattr(type(v), "__dataclass_fields__")


def _shape(v):
    """(kind, named, indexed) for an expandable value, else None."""
    t = type(v)
    if t in _SCALARS or isinstance(v, (str, bool)):
        return None
    if isinstance(v, int) and not hasattr(v, "__dict__"):
        return None
    if _is_namedtuple(v):
        return ("fields", len(type(v)._fields), None)
    if _is_dataclass(v):
        return ("fields", len(type(v).__dataclass_fields__), None)
    if isinstance(v, dict):
        return ("dict", None, len(v))
    mp = _mappingproxy()
    if isinstance(v, mp):
        return ("dict", None, len(v))
    if isinstance(v, (list, tuple, bytes, bytearray)):
        return ("seq", None, len(v))
    if isinstance(v, (set, frozenset)):
        return ("set", None, len(v))
    if isinstance(v, type):
        return ("class", None, None)
    if isinstance(v, type(sys)):
        return ("module", None, None)
    d = _instance_dict(v)
    if d or _slot_names(type(v)) or _properties(type(v)):
        return ("object", None, None)
    return None


_mp = []


def _mappingproxy():
    if not _mp:
        _mp.append(type(type.__dict__))
    return _mp[0]


def _instance_dict(v):
    try:
        d = object.__getattribute__(v, "__dict__")
    except BaseException:  # noqa: B902
        return None
    return d if isinstance(d, dict) else None


def _slot_names(cls):
    """[(attribute name as stored, class)] of every __slots__ entry."""
    out = []
    for c in getattr(cls, "__mro__", ()):
        slots = c.__dict__.get("__slots__")
        if slots is None:
            continue
        if isinstance(slots, str):
            slots = (slots,)
        for s in slots:
            if s in ("__dict__", "__weakref__"):
                continue
            if s.startswith("__") and not s.endswith("__"):
                s = "_%s%s" % (c.__name__.lstrip("_"), s)
            out.append((s, c))
    return out


def _properties(cls):
    """{name: descriptor} of properties (and cached_property) on the MRO."""
    out = {}
    for c in reversed(getattr(cls, "__mro__", ())):
        for k, v in list(c.__dict__.items()):
            if isinstance(v, property) or \
                    type(v).__name__ == "cached_property":
                out[k] = v
            elif k in out:
                del out[k]
    return out


def _attr_evalname(parent, name):
    if parent is None:
        return None
    if name.isidentifier() and not _iskeyword(name):
        return "%s.%s" % (_paren(parent), name)
    return "vars(%s)[%r]" % (parent, name)


def _paren(expr):
    return expr if expr.replace(".", "").replace("_", "").isalnum() or \
        expr.endswith("]") or expr.endswith(")") else "(%s)" % expr


def _iskeyword(name):
    import keyword
    return keyword.iskeyword(name)


def _literal_key(k):
    """repr(k) when it evaluates back to an equal key, else None."""
    if type(k) in (str, int, float, bool, bytes, type(None)):
        return repr(k)
    if type(k) is tuple and all(_literal_key(x) is not None for x in k):
        return repr(k)
    return None


# ---------------------------------------------------------------------------
# variables

def _variable(thread, name, value, evalname, hexa, kind=None, attrs=None,
              visibility=None):
    v = {"name": name, "value": _repr(value, MAX_VALUE, hexa),
         "type": _typename(value), "variablesReference": 0}
    if evalname:
        v["evaluateName"] = evalname
    shape = _shape(value)
    if shape is not None:
        v["variablesReference"] = _new_ref(thread, "obj", value, evalname)
        if v["variablesReference"]:
            if shape[1] is not None:
                v["namedVariables"] = shape[1]
            if shape[2] is not None:
                v["indexedVariables"] = shape[2]
    if kind is None:
        if isinstance(value, type):
            kind = "class"
        elif callable(value) and type(value).__name__ in (
                "function", "method", "builtin_function_or_method",
                "method-wrapper", "method_descriptor", "wrapper_descriptor"):
            kind = "method"
        else:
            kind = "data"
    hint = {"kind": kind}
    if attrs:
        hint["attributes"] = attrs
    if visibility:
        hint["visibility"] = visibility
    v["presentationHint"] = hint
    return v


def _error_variable(name, err, evalname=None):
    v = {"name": name, "value": _exc_line(err), "type": type(err).__name__,
         "variablesReference": 0,
         "presentationHint": {"kind": "data", "attributes": ["readOnly"]}}
    if evalname:
        v["evaluateName"] = evalname
    return v


def _group(name):
    if name.startswith("__") and name.endswith("__") and len(name) > 4:
        return 2
    if name.startswith("_"):
        return 1
    return 0


def _named_entries(r):
    """[(name, how, key)] of the named children of ref r, in display
    order. how: attr|slot|key|prop|field|item|group."""
    kind = r.kind
    obj = r.obj
    if kind == "group":
        return r.extra
    if kind in ("locals", "globals"):
        d = obj.f_locals if kind == "locals" else obj.f_globals
        names = [(str(k), "key", k) for k in list(d.keys())
                 if isinstance(k, str)]
        return _grouped(r, names)
    shape = _shape(obj)
    if shape is None:
        return []
    sk = shape[0]
    if sk == "fields":
        if _is_namedtuple(obj):
            return [(f, "attr", f) for f in type(obj)._fields]
        return [(f, "attr", f) for f in type(obj).__dataclass_fields__]
    if sk in ("class", "module"):
        d = obj.__dict__
        return _grouped(r, [(str(k), "dictattr", k) for k in list(d.keys())
                            if isinstance(k, str)])
    if sk == "object":
        entries = []
        seen = set()
        d = _instance_dict(obj)
        if d:
            for k in list(d.keys()):
                if isinstance(k, str):
                    entries.append((k, "dictattr", k))
                    seen.add(k)
        for s, _c in _slot_names(type(obj)):
            if s not in seen:
                entries.append((s, "slot", s))
                seen.add(s)
        for p, desc in _properties(type(obj)).items():
            if p not in seen:
                entries.append((p, "prop", p))
                seen.add(p)
        return _grouped(r, entries)
    return []


def _grouped(r, entries):
    entries.sort(key=lambda e: (_group(e[0]), e[0]))
    public = [e for e in entries if _group(e[0]) < 2]
    special = [e for e in entries if _group(e[0]) == 2]
    if special:
        public.append(("special variables", "group", special))
    return public


def _child(thread, r, name, how, key, hexa):
    """The Variable of one named child."""
    obj = r.obj
    parent = r.evalname
    if how == "group":
        owner = _FrameScope(obj, r.kind) if r.kind in ("locals", "globals") \
            else obj
        ref = _new_ref(thread, "group", owner, parent, extra=key)
        return {"name": name, "value": "", "variablesReference": ref,
                "namedVariables": len(key),
                "presentationHint": {"kind": "virtual"}}
    if r.kind in ("locals", "globals"):
        scope = _FrameScope(obj, r.kind)
        d = scope.mapping()
        try:
            value = d[key]
        except KeyError:
            raise RequestError("%s is gone" % name)
        return _variable(thread, name, value, scope.evalname(name), hexa,
                         visibility="private" if _group(name) == 1 else None)
    ro = None
    if how == "attr":  # namedtuple / dataclass field
        try:
            value = getattr(obj, key)
        except BaseException as e:  # noqa: B902
            return _error_variable(name, e, _attr_evalname(parent, name))
        ro = ["readOnly"] if isinstance(obj, tuple) else None
        return _variable(thread, name, value, _attr_evalname(parent, name),
                         hexa, attrs=ro)
    if how == "dictattr":
        d = obj.__dict__
        try:
            value = d[key]
        except KeyError:
            raise RequestError("%s is gone" % name)
        vis = "private" if _group(name) == 1 else None
        if isinstance(obj, type) and isinstance(value, (staticmethod,
                                                         classmethod)):
            try:
                value = getattr(obj, name)
            except BaseException:  # noqa: B902
                pass
        return _variable(thread, name, value, _attr_evalname(parent, name),
                         hexa, visibility=vis)
    if how == "slot":
        for s, c in _slot_names(type(obj)):
            if s == key:
                desc = c.__dict__.get(s) or c.__dict__.get(
                    "__" + s.split("__", 1)[-1])
                break
        else:
            desc = None
        try:
            value = desc.__get__(obj, type(obj)) if desc is not None else \
                getattr(obj, key)
        except AttributeError:
            return {"name": name, "value": "<unset>", "type": "slot",
                    "variablesReference": 0,
                    "evaluateName": _attr_evalname(parent, name),
                    "presentationHint": {"kind": "data"}}
        return _variable(thread, name, value, _attr_evalname(parent, name),
                         hexa)
    if how == "prop":
        desc = _properties(type(obj)).get(key)
        attrs = []
        if isinstance(desc, property) and desc.fset is None:
            attrs.append("readOnly")
        ref = _new_ref(thread, "lazy", obj, _attr_evalname(parent, name),
                       extra=key)
        hint = {"kind": "property", "lazy": True}
        if attrs:
            hint["attributes"] = attrs
        v = {"name": name, "value": "(property: expand to run its getter)",
             "type": "property", "variablesReference": ref,
             "presentationHint": hint}
        if parent:
            v["evaluateName"] = _attr_evalname(parent, name)
        return v
    raise RequestError("cannot render %s" % name)


class _FrameScope:
    """The locals or globals of a frame, for rendering and setting."""

    def __init__(self, frame, kind):
        self.frame = frame
        self.kind = kind

    def mapping(self):
        return self.frame.f_locals if self.kind == "locals" else \
            self.frame.f_globals

    def evalname(self, name):
        if self.kind == "locals":
            return name
        loc = self.frame.f_locals
        if loc is not self.frame.f_globals and name in loc:
            return "globals()[%r]" % name
        return name


def _indexed_entries(r, start, count):
    """[(name, value, evalname, attrs)] for indexed children."""
    obj = r.obj
    parent = r.evalname
    shape = _shape(obj)
    if shape is None or shape[2] is None:
        return []
    n = shape[2]
    stop = n if count is None else min(n, start + count)
    if start >= stop:
        return []
    out = []
    kind = shape[0]
    import itertools
    if kind == "seq":
        ro = None if isinstance(obj, (list, bytearray)) else ["readOnly"]
        items = obj[start:stop]
        for i, v in enumerate(items, start):
            _check_cancel(i - start)
            out.append((str(i), v, "%s[%d]" % (_paren(parent), i)
                        if parent else None, ro))
    elif kind == "set":
        for i, v in enumerate(itertools.islice(obj, start, stop), start):
            _check_cancel(i - start)
            out.append((str(i), v, "list(%s)[%d]" % (parent, i)
                        if parent else None, ["readOnly"]))
    elif kind == "dict":
        for i, (k, v) in enumerate(itertools.islice(obj.items(), start,
                                                    stop), start):
            _check_cancel(i - start)
            lit = _literal_key(k)
            name = _repr(k, 200)
            if not parent:
                ev = None
            elif lit is not None:
                ev = "%s[%s]" % (_paren(parent), lit)
            else:
                ev = "%s[list(%s)[%d]]" % (_paren(parent), parent, i)
            out.append((name, v, ev, None))
            if r.names is None:
                r.names = {}
            r.names[name] = k
    return out


def _variables(thread, args):
    ref = args.get("variablesReference")
    r = _get_ref(thread, ref)
    hexa = _hexa(args)
    filt = args.get("filter")
    start = int(args.get("start") or 0)
    count = args.get("count")
    count = int(count) if count else None
    out = []
    if r.kind == "return":
        code, value = r.obj
        name = getattr(code, "co_qualname", getattr(code, "co_name", "?"))
        v = _variable(thread, "(return) %s" % name, value, None, hexa,
                      attrs=["readOnly"])
        return {"variables": [v]}
    if r.kind == "lazy":
        name = r.extra
        try:
            value = getattr(r.obj, name)
        except BaseException as e:  # noqa: B902 - shown as the value
            return {"variables": [_error_variable(name, e, r.evalname)]}
        return {"variables": [_variable(thread, name, value, r.evalname,
                                        hexa, kind="property")]}
    if filt != "named":
        limit = count if count is not None else MAX_UNPAGED
        for name, value, ev, attrs in _indexed_entries(r, start, limit):
            out.append(_variable(thread, name, value, ev, hexa, attrs=attrs))
        if count is None and not filt:
            total = (_shape(r.obj) or (0, 0, None))[2] if r.kind == "obj" \
                else None
            if total is not None and total > start + MAX_UNPAGED:
                out.append({"name": "...", "value": "%d more items: ask "
                            "for them with start/count" %
                            (total - start - MAX_UNPAGED),
                            "variablesReference": 0,
                            "presentationHint": {"kind": "virtual"}})
    if filt != "indexed":
        entries = _named_entries(r)
        if filt == "named" and count is not None:
            entries = entries[start:start + count]
        if r.names is None:
            r.names = {}
        for i, (name, how, key) in enumerate(entries):
            _check_cancel(i)
            r.names[name] = (how, key)
            if r.kind == "group":
                owner = r.obj
                if isinstance(owner, _FrameScope):
                    sub = _Ref(thread, owner.kind, owner.frame, r.evalname)
                    out.append(_child(thread, sub, name, how, key, hexa))
                    continue
                sub = _Ref(thread, "obj", owner, r.evalname)
                out.append(_child(thread, sub, name, how, key, hexa))
                continue
            out.append(_child(thread, r, name, how, key, hexa))
    return {"variables": out}


def _scopes(thread, args):
    frame = _frame(thread, args.get("frameId"))
    out = []
    info = _stop_info.get(thread) or {}
    top = _support._stops.get(thread)
    if info.get("ret") is not None and top and top[0][0] is frame:
        ref = _new_ref(thread, "return", info["ret"])
        out.append({"name": "Return value", "presentationHint": "returnValue",
                    "variablesReference": ref, "namedVariables": 1,
                    "expensive": False})
    ref = _new_ref(thread, "locals", frame)
    try:
        nloc = len(frame.f_locals)
    except Exception:  # noqa: BLE001
        nloc = 0
    out.append({"name": "Locals", "presentationHint": "locals",
                "variablesReference": ref, "namedVariables": nloc,
                "expensive": False})
    ref = _new_ref(thread, "globals", frame)
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


def _namespaces(thread, args):
    fid = args.get("frameId")
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
    expr = args.get("expression")
    if not isinstance(expr, str):
        raise RequestError("expression is required")
    context = args.get("context") or "repl"
    frame, g, loc = _namespaces(thread, args)
    try:
        code = _compile(expr, "eval")
        statement = False
    except SyntaxError as first:
        if context != "repl":
            raise RequestError(_exc_line(first))
        try:
            code = _compile(expr, "exec")
        except SyntaxError as e:
            raise RequestError(_exc_line(e))
        statement = True
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
        raise RequestError(_exc_line(e))
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
    value, statement = _evaluate_value(thread, args)
    context = args.get("context") or "repl"
    hexa = _hexa(args)
    if statement:
        return {"result": "", "variablesReference": 0}
    limit = None if context == "clipboard" else MAX_VALUE
    body = {"result": _repr(value, limit, hexa), "type": _typename(value),
            "variablesReference": 0}
    shape = _shape(value)
    if shape is not None:
        expr = args.get("expression")
        body["variablesReference"] = _new_ref(thread, "obj", value,
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
    import json
    body = {"areas": ["variables"]}
    if thread:
        body["threadId"] = thread
    _rt._send_event("invalidated", json.dumps(body))


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
    r = _get_ref(thread, args.get("variablesReference"))
    name = args.get("name")
    expr = args.get("value")
    if not isinstance(name, str) or not isinstance(expr, str):
        raise RequestError("name and value are required")
    owner = r
    if r.kind == "group":
        if isinstance(r.obj, _FrameScope):
            owner = _Ref(thread, r.obj.kind, r.obj.frame, None)
        else:
            owner = _Ref(thread, "obj", r.obj, r.evalname)
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
        raise RequestError(_exc_line(e))
    hexa = _hexa(args)
    try:
        if owner.kind in ("locals", "globals"):
            _assign_in_scope(owner.obj, owner.kind, name, value)
            scope = _FrameScope(owner.obj, owner.kind)
            new = scope.mapping()[name]
            ev = scope.evalname(name)
        else:
            new, ev = _set_child(owner, name, value)
    except RequestError:
        raise
    except BaseException as e:  # noqa: B902
        raise RequestError(_exc_line(e))
    v = _variable(thread, name, new, ev, hexa)
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
    shape = _shape(obj)
    kind = shape[0] if shape else None
    if kind == "seq":
        if not isinstance(obj, (list, bytearray)):
            raise RequestError("cannot change an item of a %s: it is "
                               "immutable" % _typename(obj))
        i = int(name)
        obj[i] = value
        return obj[i], ("%s[%d]" % (_paren(parent), i) if parent else None)
    if kind == "set":
        raise RequestError("cannot change an item of a %s" % _typename(obj))
    if kind == "dict":
        key = (r.names or {}).get(name, _missing)
        if key is _missing:
            for k in obj.keys():
                if _repr(k, 200) == name:
                    key = k
                    break
            else:
                raise RequestError("no key %s" % name)
        obj[key] = value
        lit = _literal_key(key)
        return obj[key], ("%s[%s]" % (_paren(parent), lit)
                          if parent and lit else None)
    if _is_namedtuple(obj):
        raise RequestError("cannot change a field of a named tuple")
    setattr(obj, name, value)
    return getattr(obj, name), _attr_evalname(parent, name)


_missing = object()


def _set_expression(thread, args):
    import ast
    expr = args.get("expression")
    vexpr = args.get("value")
    if not isinstance(expr, str) or not isinstance(vexpr, str):
        raise RequestError("expression and value are required")
    frame, g, loc = _namespaces(thread, args)
    try:
        target = ast.parse(expr.strip(), mode="eval").body
    except SyntaxError as e:
        raise RequestError(_exc_line(e))

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
        raise RequestError(_exc_line(e))
    v = _variable(thread, expr, new, expr, _hexa(args))
    _invalidated(thread, args)
    body = {"value": v["value"], "type": v.get("type"),
            "variablesReference": v["variablesReference"]}
    for k in ("namedVariables", "indexedVariables"):
        if k in v:
            body[k] = v[k]
    return body


# ---------------------------------------------------------------------------
# completions

def _completions(thread, args):
    import re
    text = args.get("text") or ""
    base = 1 if _settings.get("columnsStartAt1", True) else 0
    # `column` and each target's `start` count from `base`; below they are
    # computed 1-based (column - 1 - len(part) is the 0-based start).
    column = int(args.get("column") or len(text) + base) + (1 - base)
    before = text[:max(0, column - 1)]
    frame, g, loc = _namespaces(thread, args)
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
        tb_text = "(no traceback: %s)" % _exc_line(e)
    return {"exceptionId": full,
            "description": ("%s: %s" % (full, text)) if text else full,
            "breakMode": mode,
            "details": {"message": text, "typeName": t.__qualname__,
                        "fullTypeName": full, "stackTrace": tb_text}}


def _safe_str(exc):
    try:
        return str(exc)
    except BaseException as e:  # noqa: B902
        return "<str() raised %s>" % _exc_line(e)


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
    ref = args.get("sourceReference")
    if not ref:
        src = args.get("source") or {}
        ref = src.get("sourceReference")
    if not ref:
        path = (args.get("source") or {}).get("path")
        if path:
            try:
                with open(path, encoding="utf-8", errors="replace") as f:
                    return {"content": f.read(), "mimeType": "text/x-python"}
            except OSError as e:
                raise RequestError("cannot read %s: %s" % (path, e))
        raise RequestError("sourceReference is required")
    return {"content": source_content(int(ref)), "mimeType": "text/x-python"}


_reported_modules = set()
_reported_sources = set()


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


def _report_new_modules():
    import json
    for name, mod in _modules_now():
        if name in _reported_modules:
            continue
        _reported_modules.add(name)
        entry = _module_entry(name, mod)
        _rt._send_event("module", json.dumps({"reason": "new",
                                              "module": entry}))
        path = entry.get("path")
        if path and path.endswith(".py") and path not in _reported_sources:
            _reported_sources.add(path)
            _rt._send_event("loadedSource", json.dumps(
                {"reason": "new", "source": _support._source(path)}))


def _modules(thread, args):
    mods = _modules_now()
    start = int(args.get("startModule") or 0)
    count = int(args.get("moduleCount") or 0)
    chosen = mods[start:start + count] if count > 0 else mods[start:]
    for name, _m in chosen:
        _reported_modules.add(name)
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
            _reported_sources.add(f)
            out.append(_support._source(f))
    return {"sources": out}


requests = {
    "scopes": _scopes,
    "variables": _variables,
    "evaluate": _evaluate,
    "setVariable": _set_variable,
    "setExpression": _set_expression,
    "completions": _completions,
    "exceptionInfo": _exception_info,
    "source": _source,
    "modules": _modules,
    "loadedSources": _loaded_sources,
}
