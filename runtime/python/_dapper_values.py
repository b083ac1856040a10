"""Value rendering and the `variables` request of the dapper runtime
(docs/runtime.md, "Inspection").

Loaded by `_dapper_support` by absolute path (never through sys.path or
sys.modules) with its two parts, _dapper_budget.py (the time budget each
value's program code gets) and _dapper_renderers.py (renderers of
well-known types: NumPy, pandas, datetime, ...), which it gives to init(),
and handed to `_dapper_inspect`, which uses what is here:
variablesReference bookkeeping (references last until the thread
resumes), one-line rendering of values (repr limits, hex), the shape of
containers (indexed/named children, paging), children and their
presentation hints and evaluateNames, and the `variables` request itself.
Like the requests, everything runs with the thread's "inside the debugger"
flag set.
"""
import sys

_rt = None
_support = None
_budget = None       # the time budget per value (_dapper_budget.py)
_renderers = None    # renderers by type (_dapper_renderers.py)

MAX_VALUE = 1000     # characters of a rendered value (clipboard: unbounded)
MAX_UNPAGED = 1000   # children sent for a variables request without `count`
MAX_ITEMS = 100      # items a container's one-line value shows at most
MAX_DEPTH = 3        # nesting a container's one-line value shows

_SCALARS = (int, float, complex, str, bool, type(None))


class RequestError(Exception):
    """Becomes an error response whose message is str(self)."""


def init(rt, support, budget, renderers):
    global _rt, _support, _budget, _renderers, RequestError
    _rt = rt
    _support = support
    _budget = budget
    _renderers = renderers
    RequestError = support.RequestError


def set_timeout(seconds):
    """evaluateTimeout from `configure`."""
    _budget.set_timeout(seconds)


# ---------------------------------------------------------------------------
# values whose rendering runs no program code (no time budget needed)

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
            _renderers.renderer(t) is None
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
    _renderers.clear_cache()


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
        return _budget.budgeted(lambda: _repr_now(v, limit, hexa))
    except _budget.TimedOut as e:
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
        rd = _renderers.renderer(t)
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
    rd = _renderers.renderer(t)
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

HEX_BYTES = 4096         # bytes shown by the hex view of bytes/bytearray


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
        rd = _renderers.renderer(type(obj))
        try:
            named = _budget.budgeted(lambda: rd.named(obj, r), "renderer")
        except _budget.TimedOut as e:
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
            _budget.budgeted(lambda: getter(obj), "getter")
    except _budget.TimedOut as e:
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
        rd = _renderers.renderer(type(obj))
        try:
            return _budget.budgeted(lambda: rd.indexed(obj, r, start, stop),
                             "renderer")
        except _budget.TimedOut as e:
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
    _budget.begin_request()
    try:
        return _variables_now(thread, args)
    finally:
        _budget.end_request()


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
            value = _budget.budgeted(lambda: getattr(r.obj, name), "getter")
        except _budget.TimedOut as e:
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
