"""Value rendering and the `variables` request of the dapper runtime
(docs/runtime.md, "Inspection").

Loaded by `_dapper_support` by absolute path (never through sys.path or
sys.modules) and handed to `_dapper_inspect`, which calls init() and uses
what is here: variablesReference bookkeeping (references last until the
thread resumes), one-line rendering of values (repr limits, hex), the shape
of containers (indexed/named children, paging), children and their
presentation hints and evaluateNames, and the `variables` request itself.
Like the requests, everything runs with the thread's "inside the debugger"
flag set.
"""
import sys

_rt = None
_support = None

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
    import os
    os.register_at_fork(after_in_child=_forget_helpers)


def _forget_helpers():
    """In a forked child the helper threads do not exist."""
    _helpers["idle"] = []
    _helpers["stuck"] = []
    _helpers["idents"] = set()


# ---------------------------------------------------------------------------
# time budget per value (docs/runtime.md, "Time budget")
#
# A request that renders values gives each piece of program code it runs (a
# __repr__, a getter, len(), a renderer) its own share of evaluateTimeout,
# run on a helper thread the stopped thread waits for with a timeout. A
# slow one fails only that variable ("<repr timed out after 1 s>"); the
# helper is left behind to finish it and a fresh one serves the rest.

VALUE_SHARE = 0.2    # of evaluateTimeout, per value
REQUEST_SHARE = 0.8  # of evaluateTimeout, for everything a request renders
MAX_STUCK = 8        # helpers left running slow code before we stop trying

_budget = {"timeout": 5.0}
_deadlines = {}      # thread ident -> end of its request's share
MAX_IDLE = 4         # helpers kept waiting for work
_helpers = {"idle": [], "stuck": [], "idents": set()}


class _TimedOut(Exception):
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


def _budgeted(fn, what="repr"):
    """fn() run with a value's share of the time budget: its result, or its
    exception re-raised, or _TimedOut."""
    import _thread
    import time
    if _thread.get_ident() in _helpers["idents"]:
        return fn()  # already inside a budgeted call
    share = max(0.05, _budget["timeout"] * VALUE_SHARE)
    deadline = _deadlines.get(_thread.get_ident())
    if deadline is not None:
        share = min(share, deadline - time.monotonic())
        if share <= 0:
            raise _TimedOut("<%s not run: the request's time budget of %s s "
                            "is spent>" % (what,
                                           _fmt_seconds(_budget["timeout"])))
    stuck = [h for h in _helpers["stuck"] if h.running]
    _helpers["stuck"] = stuck
    if len(stuck) >= MAX_STUCK:
        raise _TimedOut("<%s not run: %d earlier ones are still running>"
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
        raise _TimedOut("<%s timed out after %s s>" % (what,
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


_PLAIN = (int, float, str, bytes, bool, type(None))
_BUILTIN_CONTAINERS = (list, tuple, dict, set, frozenset)


def _trusted(v, budget=None):
    """True when rendering v runs no program code (builtin scalars and
    builtin containers of them, looked at as far as they are shown)."""
    budget = budget if budget is not None else [300]
    t = type(v)
    if t in _PLAIN or t is complex:
        return True
    if t not in _BUILTIN_CONTAINERS:
        # <X object at 0x...>: object.__repr__ runs no program code
        return getattr(t, "__repr__", None) is object.__repr__ and \
            _renderer(t) is None
    items = v.items() if t is dict else v
    n = 0
    for item in items:
        budget[0] -= 1
        n += 1
        if budget[0] < 0:
            return False
        if n > MAX_ITEMS:
            break
        if t is dict:
            if not (_trusted(item[0], budget) and _trusted(item[1], budget)):
                return False
        elif not _trusted(item, budget):
            return False
    return True


# ---------------------------------------------------------------------------
# references (variablesReference), per stopped thread

class _Ref:
    __slots__ = ("thread", "kind", "obj", "evalname", "extra", "names")
    # extra: lazy -> attribute name; group -> its entries; obj -> what a
    # renderer passed down (an ndarray's base expression and index prefix)

    def __init__(self, thread, kind, obj, evalname, extra=None):
        self.thread = thread
        self.kind = kind          # locals|globals|return|obj|lazy|group
        self.obj = obj
        self.evalname = evalname
        self.extra = extra
        self.names = None         # child name -> (how, key) once listed


_refs = {}          # ref -> _Ref
_thread_refs = {}   # thread id -> [ref]


def _new_ref(thread, kind, obj, evalname=None, extra=None):
    if not thread:
        return 0  # nothing stopped: values are not expandable
    ref = _rt._new_id(thread)
    _refs[ref] = _Ref(thread, kind, obj, evalname, extra)
    _thread_refs.setdefault(thread, []).append(ref)
    return ref


def forget_thread(thread_id):
    """Drops the references made while `thread_id` was stopped."""
    for ref in _thread_refs.pop(thread_id, ()):
        _refs.pop(ref, None)
    _type_cache.clear()
    _rd_cache.clear()


def _get_ref(thread, ref):
    r = _refs.get(ref)
    if r is None or r.thread != thread:
        raise RequestError("variablesReference %s is not valid any more: "
                           "references last until the program resumes" % ref)
    return r


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
    one costs only what is shown; anything else is a renderer or repr()
    (program code: run with the value's time budget)."""
    if _trusted(v):
        return _repr_now(v, limit, hexa)
    try:
        return _budgeted(lambda: _repr_now(v, limit, hexa))
    except _TimedOut as e:
        return str(e)


def _repr_now(v, limit, hexa):
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
        r = None
        rd = _renderer(t)
        if rd is not None:
            try:
                r = rd.value(v, limit, hexa)
            except BaseException:  # noqa: B902 - repr() instead
                r = None
        try:
            if r is None:
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


def _hexa(args, command):
    """The `format.hex` of a request's arguments (checked)."""
    fmt = _support.arg(command, args, "format", "object", default={})
    return bool(_support.arg(command, fmt, "hex", "boolean", default=False,
                             label="format.hex"))


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
    rd = _renderer(t)
    if rd is not None:
        try:
            sh = rd.shape(v)
        except BaseException:  # noqa: B902 - not expandable then
            sh = None
        return None if sh is None else ("render", sh[0], sh[1])
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
    if _instance_dict(v) or any(_type_info(t)):
        return ("object", None, None)
    return None


# ---------------------------------------------------------------------------
# the structure of any object: instance __dict__, __slots__ of the MRO,
# properties (lazy), data descriptors of C types, class variables and
# methods (two groups)

_METHOD_TYPES = ("function", "method_descriptor", "builtin_function_or_method",
                 "classmethod_descriptor", "wrapper_descriptor",
                 "staticmethod", "classmethod", "cython_function_or_method",
                 "fused_cython_function")
_type_cache = {}     # type -> _type_info(type) (cleared at each resume)


def _stdlib(module):
    top = (module or "").split(".")[0]
    return top == "builtins" or top in getattr(sys, "stdlib_module_names", ())


def _type_info(t):
    """(data, class variables, methods) of instances of t: data are
    (name, how, key) with how slot|prop|getset (a C getter of the standard
    library, run when listed)|lazyget (a C getter of an extension module:
    run when expanded)|member; the others are names."""
    hit = _type_cache.get(t)
    if hit is not None:
        return hit
    data = [(s, "slot", s) for s, _c in _slot_names(t)]
    seen = set(s for s, _h, _k in data)
    data += [(p, "prop", p) for p in _properties(t) if p not in seen]
    seen.update(_properties(t))
    cls_vars, methods = {}, {}
    mro = [c for c in getattr(t, "__mro__", ()) if c is not object]
    for c in mro:
        # (a Python class's own are its __slots__, listed above, and
        # __dict__/__weakref__; C types of the standard library made with
        # PyType_FromSpec, like re.Match, are heap types too)
        eager = _stdlib(getattr(c, "__module__", None))
        for k, d in list(c.__dict__.items()):
            kind = type(d).__name__
            if k in seen or k in ("__dict__", "__weakref__", "__doc__") or \
                    kind not in ("getset_descriptor", "member_descriptor"):
                continue
            seen.add(k)
            how = "member" if kind == "member_descriptor" else \
                ("getset" if eager else "lazyget")
            data.append((k, how, k))
    for c in reversed(mro):
        for k, v in list(c.__dict__.items()):
            if not isinstance(k, str) or k in seen or \
                    (k.startswith("__") and k.endswith("__")):
                continue
            kind = type(v).__name__
            if kind in ("getset_descriptor", "member_descriptor",
                        "property", "cached_property"):
                continue
            cls_vars.pop(k, None)
            methods.pop(k, None)
            (methods if kind in _METHOD_TYPES else cls_vars)[k] = True
    if len(_type_cache) > 5000:
        _type_cache.clear()
    info = _type_cache[t] = (data, sorted(cls_vars), sorted(methods))
    return info


def _object_entries(r, skip=(), sized=True):
    """The named children of any object: attributes, len() when its class
    has __len__ (and `sized`), then the groups."""
    obj = r.obj
    entries = []
    seen = set(skip)
    d = _instance_dict(obj)
    if d:
        for k in list(d.keys()):
            if isinstance(k, str) and k not in seen:
                entries.append((k, "dictattr", k))
                seen.add(k)
    data, cls_vars, methods = _type_info(type(obj))
    for name, how, key in data:
        if name not in seen:
            entries.append((name, how, key))
            seen.add(name)
    out = _grouped(r, entries)
    if sized and callable(getattr(type(obj), "__len__", None)):
        out.insert(len([e for e in out if e[1] != "group"]), _len_entry(obj))
    for label, how, names in (("function variables", "method", methods),
                              ("class variables", "clsattr", cls_vars)):
        group = [(n, how, n) for n in names if n not in seen]
        if group:
            out.append((label, "group", group))
    return out


def _len_entry(obj):
    return ("len()", "calc", (len, ("len(", ")"), None))


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
              visibility=None, extra=None):
    v = {"name": name, "value": _repr(value, MAX_VALUE, hexa),
         "type": _typename(value), "variablesReference": 0}
    if evalname:
        v["evaluateName"] = evalname
    shape = _shape(value)
    if shape is not None:
        v["variablesReference"] = _new_ref(thread, "obj", value, evalname,
                                           extra)
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
        return _object_entries(r)
    if sk == "render":
        rd = _renderer(type(obj))
        try:
            named = _budgeted(lambda: rd.named(obj, r), "renderer")
        except _TimedOut as e:
            return [("(renderer)", "calc", (_raiser(RequestError(str(e))),
                                           None, None))]
        except BaseException as e:  # noqa: B902 - shown as a child
            return [("(renderer)", "calc", (_raiser(e), None, None))]
        entries = [(n, "calc", (g, ev, ex)) for n, g, ev, ex in named]
        if rd.generic and not rd.is_group(r):
            entries += _object_entries(r, skip=[n for n, _g, _e, _x in named],
                                       sized=False)
        return entries
    entries = [_len_entry(obj)]
    if sk == "seq" and isinstance(obj, (bytes, bytearray)):
        cut = "" if len(obj) <= HEX_BYTES else "[:%d]" % HEX_BYTES
        entries.append(("hex", "calc", (
            lambda b: b[:HEX_BYTES].hex(" "), ("", cut + ".hex(' ')"),
            None)))
    if sk == "dict" and _is_a(obj, "collections.defaultdict"):
        entries.append(("default_factory", "calc", (
            lambda d: d.default_factory, ("", ".default_factory"), None)))
    return entries


def _is_a(obj, name):
    """isinstance(obj, <the class called name>), importing nothing."""
    return any("%s.%s" % (c.__module__, c.__qualname__) == name
               for c in type(obj).__mro__)


def _raiser(exc):
    def fail(_obj):
        raise exc
    return fail


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
    if how in ("getset", "member", "method", "clsattr", "calc"):
        return _computed_child(thread, r, name, how, key, hexa)
    if how in ("prop", "lazyget"):
        desc = _properties(type(obj)).get(key)
        attrs = []
        if how == "lazyget" or isinstance(desc, property) and \
                desc.fset is None:
            attrs.append("readOnly")
        ref = _new_ref(thread, "lazy", obj, _attr_evalname(parent, name),
                       extra=key)
        hint = {"kind": "property", "lazy": True}
        if attrs:
            hint["attributes"] = attrs
        v = {"name": name, "value": "(%s: expand to run its getter)" %
             ("property" if how == "prop" else "attribute"),
             "type": "property", "variablesReference": ref,
             "presentationHint": hint}
        if parent:
            v["evaluateName"] = _attr_evalname(parent, name)
        return v
    raise RequestError("cannot render %s" % name)


def _computed_child(thread, r, name, how, key, hexa):
    """A child whose value comes from running code: a C getter, a class
    attribute or method looked up on the object, a renderer's getter."""
    obj = r.obj
    parent = r.evalname
    extra = None
    kind = None
    attrs = None
    if how == "calc":
        getter, ev, extra = key
        if isinstance(ev, str):  # a whole expression
            evalname = ev
        else:
            evalname = (ev[0] + _paren(parent) + ev[1]) if parent and ev \
                else None
        attrs = ["readOnly"]
    elif how == "clsattr" and name in (_instance_dict(obj) or ()):
        getter = lambda o: getattr(type(o), key)  # noqa: E731
        evalname = _attr_evalname("type(%s)" % parent, name) if parent \
            else None
    else:
        getter = lambda o: getattr(o, key)  # noqa: E731
        evalname = _attr_evalname(parent, name)
        kind = "method" if how == "method" else None
    try:
        value = getter(obj) if how in ("member",) or \
            type(obj) in _TRUSTED_TYPES else \
            _budgeted(lambda: getter(obj), "getter")
    except _TimedOut as e:
        return {"name": name, "value": str(e), "type": "",
                "variablesReference": 0, "evaluateName": evalname,
                "presentationHint": {"kind": "data",
                                     "attributes": ["readOnly"]}}
    except AttributeError as e:
        if how == "member":
            return {"name": name, "value": "<unset>", "type": "member",
                    "variablesReference": 0, "evaluateName": evalname,
                    "presentationHint": {"kind": "data"}}
        return _error_variable(name, e, evalname)
    except BaseException as e:  # noqa: B902 - shown as the value
        return _error_variable(name, e, evalname)
    return _variable(thread, name, value, evalname, hexa, kind=kind,
                     attrs=attrs, extra=extra)


_TRUSTED_TYPES = (list, tuple, dict, set, frozenset, bytes, bytearray, str,
                  range, complex, memoryview)


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
    """[(name, value, evalname, attrs, extra)] for indexed children."""
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
    if kind == "render":
        rd = _renderer(type(obj))
        try:
            return _budgeted(lambda: rd.indexed(obj, r, start, stop),
                             "renderer")
        except _TimedOut as e:
            raise RequestError(str(e))
    if kind == "seq":
        ro = None if isinstance(obj, (list, bytearray)) else ["readOnly"]
        items = obj[start:stop]
        for i, v in enumerate(items, start):
            _check_cancel(i - start)
            out.append((str(i), v, "%s[%d]" % (_paren(parent), i)
                        if parent else None, ro, None))
    elif kind == "set":
        for i, v in enumerate(itertools.islice(obj, start, stop), start):
            _check_cancel(i - start)
            out.append((str(i), v, "list(%s)[%d]" % (parent, i)
                        if parent else None, ["readOnly"], None))
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
            out.append((name, v, ev, None, None))
            if r.names is None:
                r.names = {}
            r.names[name] = k
    return out


def _variables(thread, args):
    begin_request()
    try:
        return _variables_now(thread, args)
    finally:
        end_request()


def _variables_now(thread, args):
    arg = _support.arg
    ref = arg("variables", args, "variablesReference", "integer",
              "variablesReference is required")
    r = _get_ref(thread, ref)
    hexa = _hexa(args, "variables")
    filt = arg("variables", args, "filter", "string")
    start = max(0, arg("variables", args, "start", "integer", default=0))
    count = arg("variables", args, "count", "integer") or None
    out = []
    if r.kind == "return":
        for code, value in r.obj:
            name = getattr(code, "co_qualname", getattr(code, "co_name", "?"))
            out.append(_variable(thread, "(return) %s" % name, value, None,
                                 hexa, attrs=["readOnly"]))
        return {"variables": out}
    if r.kind == "lazy":
        name = r.extra
        try:
            value = _budgeted(lambda: getattr(r.obj, name), "getter")
        except _TimedOut as e:
            return {"variables": [{"name": name, "value": str(e),
                                   "variablesReference": 0}]}
        except BaseException as e:  # noqa: B902 - shown as the value
            return {"variables": [_error_variable(name, e, r.evalname)]}
        return {"variables": [_variable(thread, name, value, r.evalname,
                                        hexa, kind="property")]}
    if filt != "named":
        limit = count if count is not None else MAX_UNPAGED
        for name, value, ev, attrs, extra in _indexed_entries(r, start,
                                                              limit):
            out.append(_variable(thread, name, value, ev, hexa, attrs=attrs,
                                 extra=extra))
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


# ---------------------------------------------------------------------------
# renderers: chosen by the name of a class in type(v).__mro__, so nothing is
# imported (a NumPy array can only exist when the program imported NumPy)

GROUP = 1000             # elements per page group of an ndarray axis
MINMAX_LIMIT = 10 ** 7   # ndarray size up to which min/max are shown
HEX_BYTES = 4096         # bytes shown by the hex view of bytes/bytearray
HEAD_ROWS = 5            # rows of a DataFrame/Series in its value


def _ev(suffix, prefix=""):
    """How a child's evaluateName is made: prefix + (parent) + suffix."""
    return (prefix, suffix)


def _attr_getter(name):
    return lambda v: getattr(v, name)


class _Renderer:
    """The default: the object's generic structure with a few extra named
    children first. named(v, ref) -> [(name, getter(v), _ev(...), extra)];
    shape(v) -> (namedVariables or None, indexedVariables or None) or None
    (not expandable); indexed(v, ref, start, stop) -> the indexed children
    as _indexed_entries returns them; value(v, limit, hexa) -> str or None
    (repr)."""
    generic = True
    attrs = ()           # (name, suffix) read as v.<name>
    calls = ()           # methods shown as "name()"

    def value(self, v, limit, hexa):
        return None

    def is_group(self, ref):
        """True for a page group (only its elements are shown)."""
        return False

    def shape(self, v):
        return (None, self.count(v))

    def count(self, v):
        return None

    def named(self, v, ref):
        out = [(a, _attr_getter(a), _ev("." + a), None) for a in self.attrs]
        for m in self.calls:
            out.append((m + "()", (lambda name: lambda x: getattr(x, name)())(m),
                        _ev(".%s()" % m), None))
        return out

    def indexed(self, v, ref, start, stop):
        parent = ref.evalname
        out = []
        for i in range(start, stop):
            _check_cancel(i - start)
            out.append((str(i), v[i], "%s[%d]" % (_paren(parent), i)
                        if parent else None, None, None))
        return out


class _Sized(_Renderer):
    """Indexable by position: v[i] for i < len(v), and len()."""

    def count(self, v):
        try:
            return len(v)
        except OverflowError:  # range(10 ** 20): no index paging
            return None

    def named(self, v, ref):
        return _Renderer.named(self, v, ref) + [
            ("len()", len, _ev(")", "len("), None)]


class _Scalar(_Renderer):
    generic = False

    def shape(self, v):
        return (len(self.attrs) + len(self.calls), None)


class _Complex(_Scalar):
    attrs = ("real", "imag")


class _Date(_Renderer):
    calls = ("isoformat",)


class _Timedelta(_Renderer):
    calls = ("total_seconds",)


class _Decimal(_Renderer):
    calls = ("as_tuple",)


class _Fraction(_Renderer):
    attrs = ("numerator", "denominator")


class _Range(_Sized):
    generic = False
    attrs = ("start", "stop", "step")


class _Deque(_Sized):
    generic = False
    attrs = ("maxlen",)

    def indexed(self, v, ref, start, stop):
        import itertools
        parent = ref.evalname
        return [(str(i), x, "%s[%d]" % (_paren(parent), i) if parent
                 else None, ["readOnly"], None)
                for i, x in enumerate(itertools.islice(v, start, stop),
                                      start)]


class _Array(_Sized):
    generic = False
    attrs = ("typecode", "itemsize")

    def value(self, v, limit, hexa):
        text = _repr_now(v[:MAX_ITEMS].tolist(), limit, hexa)
        if len(v) > MAX_ITEMS:
            text = text[:-1] + ", ...]"
        return "array(%r, %s)" % (v.typecode, text)


class _Memoryview(_Sized):
    generic = False
    attrs = ("format", "itemsize", "ndim", "shape", "nbytes", "readonly",
             "obj")

    def count(self, v):
        return len(v) if v.ndim == 1 else None


class _Enum(_Scalar):
    attrs = ("name", "value")


class _Path(_Scalar):
    attrs = ("name", "stem", "suffix", "parent", "parts", "anchor")


class _Match(_Renderer):
    calls = ("groups", "span", "groupdict")

    def named(self, v, ref):
        return [("group(0)", lambda m: m.group(0), _ev(".group(0)"),
                 None)] + _Renderer.named(self, v, ref)


class _Exception(_Renderer):
    attrs = ("args", "__cause__", "__context__")

    def named(self, v, ref):
        return _Renderer.named(self, v, ref) + [(
            "traceback", lambda e: __import__("traceback").format_tb(
                e.__traceback__),
            _ev(".__traceback__)", "__import__('traceback').format_tb("),
            None)]


class _NumpyScalar(_Renderer):
    """numpy.int64(5) shows as 5 (its type says int64); a structured
    element (numpy.void) expands to its fields."""
    generic = False

    def value(self, v, limit, hexa):
        if hexa and v.dtype.kind in "iu":
            return hex(int(v))
        item = v.item()
        if type(item) in _PLAIN or type(item) is complex:
            return _repr_now(item, limit, hexa)
        return None

    def shape(self, v):
        names = v.dtype.names
        return (len(names), None) if names else None

    def named(self, v, ref):
        return [(n, (lambda k: lambda x: x[k])(n), _ev("[%r]" % n), None)
                for n in v.dtype.names]


def _index_text(idx):
    return ", ".join(str(i) if isinstance(i, int) else
                     "%s:%s" % (i.start, i.stop) for i in idx)


class _NDArray(_Renderer):
    """dtype, shape, size, ndim, min/max, and the elements of axis 0: as
    indexed children up to GROUP of them, else as groups "[0:1000]" (groups
    of groups for 10**6 and more), each a view of the array whose own
    children keep their index in the whole array. A child's evaluateName
    is one subscript of the array it came from: a[3, 4], a[3, 0:1000]."""

    def value(self, v, limit, hexa):
        """repr() up to MAX_ITEMS elements, else a summary of them (the
        first and last three of each axis) with the shape."""
        np = sys.modules.get("numpy")
        if v.size <= MAX_ITEMS or np is None:
            return None
        return "array(%s, shape=%s, dtype=%s)" % (
            np.array2string(v, separator=", ", threshold=MAX_ITEMS,
                            edgeitems=3, prefix="array("),
            v.shape, v.dtype)

    def _where(self, v, ref):
        # (base expression, index prefix, offset, is a group)
        return ref.extra or (ref.evalname, (), 0, False)

    def is_group(self, ref):
        return bool(ref.extra and ref.extra[3])

    def count(self, v):
        if v.ndim == 0 or v.shape[0] > GROUP:
            return None
        return v.shape[0]

    def shape(self, v):
        return (None, self.count(v))

    def named(self, v, ref):
        base, prefix, offset, group = self._where(v, ref)
        out = []
        if not group:
            out = [(a, _attr_getter(a), _ev("." + a), None)
                   for a in ("dtype", "shape", "size", "ndim")]
            if v.dtype.kind in "biuf" and 0 < v.size <= MINMAX_LIMIT:
                out += [(m + "()", (lambda m: lambda a: getattr(a, m)())(m),
                         _ev(".%s()" % m), None) for m in ("min", "max")]
            if v.ndim == 0:
                out.append(("item()", lambda a: a[()], _ev("[()]"), None))
                return out
        n = v.shape[0]
        if n <= GROUP:
            return out
        size = GROUP
        while -(-n // size) > GROUP:
            size *= GROUP
        for lo in range(0, n, size):
            _check_cancel(lo // size)
            hi = min(n, lo + size)
            idx = prefix + (slice(offset + lo, offset + hi),)
            where = (base, prefix, offset + lo, True)
            out.append(("[%d:%d]" % (offset + lo, offset + hi),
                        (lambda lo, hi: lambda a: a[lo:hi])(lo, hi),
                        None if base is None else
                        "%s[%s]" % (_paren(base), _index_text(idx)), where))
        return out

    def indexed(self, v, ref, start, stop):
        base, prefix, offset, _group = self._where(v, ref)
        out = []
        for i in range(start, stop):
            _check_cancel(i - start)
            idx = prefix + (offset + i,)
            x = v[i]
            sub = (base, idx, 0, False) if type(x) is type(v) else None
            out.append((str(offset + i), x, None if base is None else
                        "%s[%s]" % (_paren(base), _index_text(idx)),
                        ["readOnly"], sub))
        return out


def _pd_value(v):
    text = repr(v.head(HEAD_ROWS))
    if len(v) > HEAD_ROWS:
        if v.ndim == 2:
            text += "\n...\n[%d rows x %d columns]" % v.shape
        else:
            text += "\n... (%d rows)" % len(v)
    return text


class _DataFrame(_Renderer):
    """shape, dtypes, index, columns, then each column (a Series)."""
    generic = False

    def value(self, v, limit, hexa):
        return _pd_value(v)

    def named(self, v, ref):
        out = [(a, _attr_getter(a), _ev("." + a), None)
               for a in ("shape", "dtypes", "index", "columns")]
        cols = v.columns
        unique = cols.is_unique
        for i in range(min(len(cols), MAX_UNPAGED)):
            label = cols[i]
            lit = _literal_key(label) if unique else None
            ev = _ev("[%s]" % lit) if lit is not None else \
                _ev(".iloc[:, %d]" % i)
            out.append((_repr_now(label, 200, False),
                        (lambda i: lambda df: df.iloc[:, i])(i), ev, None))
        if len(cols) > MAX_UNPAGED:
            rest = "%s.iloc[:, %d:]" % (_paren(ref.evalname or "df"),
                                        MAX_UNPAGED)
            out.append(("...", lambda df: "%d more columns: evaluate %s"
                        % (len(df.columns) - MAX_UNPAGED, rest), None, None))
        return out


class _Series(_Renderer):
    """dtype, shape, name, index; elements by position (s.iloc[i]),
    named by their label."""
    generic = False
    attrs = ("dtype", "shape", "name", "index")

    def value(self, v, limit, hexa):
        return _pd_value(v)

    def count(self, v):
        return len(v)

    def indexed(self, v, ref, start, stop):
        parent = ref.evalname
        sub = v.iloc[start:stop]
        labels = sub.index
        out = []
        for j in range(len(sub)):
            _check_cancel(j)
            out.append((_repr_now(labels[j], 200, False), sub.iloc[j],
                        "%s.iloc[%d]" % (_paren(parent), start + j)
                        if parent else None, ["readOnly"], None))
        return out


class _Index(_Sized):
    generic = False
    attrs = ("dtype", "shape", "name")


class _Project(_Renderer):
    """A renderer of the program's own: see _renderer()."""

    def __init__(self, fn):
        self.fn = fn

    def _result(self, v):
        got = self.fn(v)
        if not isinstance(got, dict):
            raise TypeError("a __dapper_renderers__ function must return a "
                            "dict, not %s" % type(got).__name__)
        return got

    def value(self, v, limit, hexa):
        text = self._result(v).get("value")
        return text if isinstance(text, str) else None

    def named(self, v, ref):
        out = []
        for child in self._result(v).get("children") or ():
            name, value = child[0], child[1]
            suffix = child[2] if len(child) > 2 else None
            out.append((str(name), (lambda x: lambda _v: x)(value),
                        _ev(suffix) if suffix else None, None))
        return out


_RENDERERS = {
    "numpy.ndarray": _NDArray(),
    "numpy.generic": _NumpyScalar(),
    "pandas.core.frame.DataFrame": _DataFrame(),
    "pandas.core.series.Series": _Series(),
    "pandas.core.indexes.base.Index": _Index(),
    "builtins.complex": _Complex(),
    "builtins.range": _Range(),
    "builtins.memoryview": _Memoryview(),
    "builtins.BaseException": _Exception(),
    "datetime.date": _Date(),
    "datetime.time": _Date(),
    "datetime.timedelta": _Timedelta(),
    "decimal.Decimal": _Decimal(),
    "fractions.Fraction": _Fraction(),
    "collections.deque": _Deque(),
    "array.array": _Array(),
    "enum.Enum": _Enum(),
    "pathlib.PurePath": _Path(),
    "pathlib._local.PurePath": _Path(),  # 3.13
    "re.Match": _Match(),
}
_rd_cache = {}


def _renderer(t):
    """The renderer of values of type t, or None. A module can register
    renderers for its own classes without importing anything from the
    debugger: a module-level dict `__dapper_renderers__` mapping a class's
    __qualname__ to a function(value) -> {"value": str, "children":
    [(name, value) or (name, value, evaluateName suffix)]} (docs/runtime.md,
    "Renderers")."""
    try:
        return _rd_cache[t]
    except KeyError:
        pass
    except TypeError:
        return None
    found = None
    for c in getattr(t, "__mro__", ()):
        mod = getattr(c, "__module__", None)
        qual = getattr(c, "__qualname__", None)
        m = sys.modules.get(mod) if isinstance(mod, str) else None
        try:
            reg = m.__dict__.get("__dapper_renderers__") if m else None
        except BaseException:  # noqa: B902
            reg = None
        if isinstance(reg, dict) and callable(reg.get(qual)):
            found = _Project(reg[qual])
            break
        found = _RENDERERS.get("%s.%s" % (mod, qual))
        if found is not None:
            break
    if len(_rd_cache) > 5000:
        _rd_cache.clear()
    _rd_cache[t] = found
    return found
