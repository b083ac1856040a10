"""Renderers of the dapper runtime's values (docs/runtime.md, "Renderers"):
the one-line value and the children of values of well-known types (NumPy,
pandas, datetime, decimal, deque, ...) and of the renderers a module
registers for its own classes. Chosen by the name of a class in
type(v).__mro__, so nothing is imported (a NumPy array can only exist when
the program imported NumPy).

Loaded by `_dapper_support` by absolute path (never through sys.path or
sys.modules), with _dapper_values.py (the generic rendering, which asks
renderer() first and renders the elements a renderer hands back).
"""
import sys

_values = None       # the _dapper_values module (set by init)


def init(values):
    global _values
    _values = values


def clear_cache():
    """Forgets the renderer chosen for each type (at each resume)."""
    _rd_cache.clear()


GROUP = 1000             # elements per page group of an ndarray axis
MINMAX_LIMIT = 10 ** 7   # ndarray size up to which min/max are shown
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
    as _dapper_values._indexed_entries returns them; value(v, limit, hexa)
    -> str or None (repr)."""
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
            _values._check_cancel(i - start)
            out.append((str(i), v[i], "%s[%d]" % (_values._paren(parent),
                                                   i) if parent else None,
                        None, None))
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
        return [(str(i), x, "%s[%d]" % (_values._paren(parent), i) if parent
                 else None, ["readOnly"], None)
                for i, x in enumerate(itertools.islice(v, start, stop),
                                      start)]


class _Array(_Sized):
    generic = False
    attrs = ("typecode", "itemsize")

    def value(self, v, limit, hexa):
        text = _values._repr_now(v[:_values.MAX_ITEMS].tolist(), limit, hexa)
        if len(v) > _values.MAX_ITEMS:
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
        if type(item) in _values._PLAIN or type(item) is complex:
            return _values._repr_now(item, limit, hexa)
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
        if v.size <= _values.MAX_ITEMS or np is None:
            return None
        return "array(%s, shape=%s, dtype=%s)" % (
            np.array2string(v, separator=", ", threshold=_values.MAX_ITEMS,
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
            _values._check_cancel(lo // size)
            hi = min(n, lo + size)
            idx = prefix + (slice(offset + lo, offset + hi),)
            where = (base, prefix, offset + lo, True)
            out.append(("[%d:%d]" % (offset + lo, offset + hi),
                        (lambda lo, hi: lambda a: a[lo:hi])(lo, hi),
                        None if base is None else
                        "%s[%s]" % (_values._paren(base), _index_text(idx)),
                        where))
        return out

    def indexed(self, v, ref, start, stop):
        base, prefix, offset, _group = self._where(v, ref)
        out = []
        for i in range(start, stop):
            _values._check_cancel(i - start)
            idx = prefix + (offset + i,)
            x = v[i]
            sub = (base, idx, 0, False) if type(x) is type(v) else None
            out.append((str(offset + i), x, None if base is None else
                        "%s[%s]" % (_values._paren(base), _index_text(idx)),
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
        for i in range(min(len(cols), _values.MAX_UNPAGED)):
            label = cols[i]
            lit = _values._literal_key(label) if unique else None
            ev = _ev("[%s]" % lit) if lit is not None else \
                _ev(".iloc[:, %d]" % i)
            out.append((_values._repr_now(label, 200, False),
                        (lambda i: lambda df: df.iloc[:, i])(i), ev, None))
        if len(cols) > _values.MAX_UNPAGED:
            rest = "%s.iloc[:, %d:]" % (_values._paren(ref.evalname or "df"),
                                        _values.MAX_UNPAGED)
            out.append(("...", lambda df: "%d more columns: evaluate %s"
                        % (len(df.columns) - _values.MAX_UNPAGED, rest),
                        None, None))
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
            _values._check_cancel(j)
            out.append((_values._repr_now(labels[j], 200, False),
                        sub.iloc[j],
                        "%s.iloc[%d]" % (_values._paren(parent), start + j)
                        if parent else None, ["readOnly"], None))
        return out


class _Index(_Sized):
    generic = False
    attrs = ("dtype", "shape", "name")


class _Project(_Renderer):
    """A renderer of the program's own: see renderer()."""

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


def renderer(t):
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
