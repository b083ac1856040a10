/* See rt_cond.h. */
#include "rt_cond.h"

#include <stdlib.h>

/* Operators, as _dapper_support.parse_condition numbers them. */
enum {
  RT_OP_EQ = 0,
  RT_OP_NE,
  RT_OP_LT,
  RT_OP_LE,
  RT_OP_GT,
  RT_OP_GE,
  RT_OP_IS,
  RT_OP_ISNOT,
};

/* What the constant is. A bool constant is an int (True == 1 in Python);
 * `is`/`is not` only ever compare identity with `obj`. */
enum {
  RT_K_INT = 0,
  RT_K_FLOAT,
  RT_K_STR,
  RT_K_NONE,
};

typedef struct {
  PyObject *name; /* strong: the local's name */
  PyObject *obj;  /* strong: the constant */
  uint8_t op, kind;
  bool exact_double; /* int constant that a double holds exactly */
  long long i;
  double d;
} rt_term_t;

struct rt_pred {
  int n;
  rt_term_t t[RT_PRED_MAX];
};

#define RT_DOUBLE_EXACT (1LL << 53)

void rt_pred_free(rt_pred_t *p) {
  if (p == NULL) return;
  for (int k = 0; k < p->n; k++) {
    Py_XDECREF(p->t[k].name);
    Py_XDECREF(p->t[k].obj);
  }
  free(p);
}

/* Fills term from (name, op, constant). 0, or -1 when not accepted. */
static int rt_term_init(rt_term_t *term, PyObject *item) {
  PyObject *name = NULL, *opo = NULL, *c = NULL;
  long op = 0;

  if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 3) return -1;
  name = PyTuple_GET_ITEM(item, 0);
  opo = PyTuple_GET_ITEM(item, 1);
  c = PyTuple_GET_ITEM(item, 2);
  if (!PyUnicode_CheckExact(name) || !PyLong_CheckExact(opo)) return -1;
  op = PyLong_AsLong(opo);
  if (op < RT_OP_EQ || op > RT_OP_ISNOT) {
    PyErr_Clear();
    return -1;
  }
  term->op = (uint8_t)op;
  if (c == Py_None) {
    term->kind = RT_K_NONE;
    if (op != RT_OP_EQ && op != RT_OP_NE && op != RT_OP_IS && op != RT_OP_ISNOT) {
      return -1; /* `x < None` raises: Python reports it */
    }
  } else if (c == Py_True || c == Py_False) {
    term->kind = RT_K_INT;
    term->i = c == Py_True;
  } else if (op == RT_OP_IS || op == RT_OP_ISNOT) {
    return -1; /* identity with a non-singleton constant */
  } else if (PyLong_CheckExact(c)) {
    int overflow = 0;
    term->kind = RT_K_INT;
    term->i = PyLong_AsLongLongAndOverflow(c, &overflow);
    if (overflow || (term->i == -1 && PyErr_Occurred())) {
      PyErr_Clear();
      return -1;
    }
  } else if (PyFloat_CheckExact(c)) {
    term->kind = RT_K_FLOAT;
    term->d = PyFloat_AS_DOUBLE(c);
  } else if (PyUnicode_CheckExact(c)) {
    term->kind = RT_K_STR;
  } else {
    return -1;
  }
  term->exact_double = term->kind == RT_K_INT && term->i <= RT_DOUBLE_EXACT &&
                       term->i >= -RT_DOUBLE_EXACT;
  Py_INCREF(name);
  term->name = name;
  Py_INCREF(c);
  term->obj = c;
  return 0;
}

rt_pred_t *rt_pred_new(PyObject *desc) {
  rt_pred_t *p = NULL;
  Py_ssize_t n = 0;

  if (desc == NULL || !PyTuple_Check(desc)) return NULL;
  n = PyTuple_GET_SIZE(desc);
  if (n < 1 || n > RT_PRED_MAX) return NULL;
  p = calloc(1, sizeof *p);
  if (p == NULL) return NULL;
  for (Py_ssize_t k = 0; k < n; k++) {
    if (rt_term_init(&p->t[k], PyTuple_GET_ITEM(desc, k)) < 0) {
      rt_pred_free(p);
      return NULL;
    }
    p->n = (int)k + 1;
  }
  return p;
}

int rt_pred_bind(const rt_pred_t *p, PyCodeObject *code, int16_t *idx) {
  PyObject *names = code->co_localsplusnames;
  PyObject *kinds = code->co_localspluskinds;
  Py_ssize_t n = 0;

  if (names == NULL || kinds == NULL || !PyTuple_Check(names) ||
      !PyBytes_Check(kinds)) {
    return -1;
  }
  n = PyTuple_GET_SIZE(names);
  if (PyBytes_GET_SIZE(kinds) < n || n > INT16_MAX || n > code->co_nlocalsplus) {
    return -1;
  }
  for (int k = 0; k < p->n; k++) {
    Py_ssize_t found = -1;
    for (Py_ssize_t j = 0; j < n && found < 0; j++) {
      PyObject *nm = PyTuple_GET_ITEM(names, j);
      if (nm == p->t[k].name ||
          (PyUnicode_Check(nm) && PyUnicode_Compare(nm, p->t[k].name) == 0)) {
        found = j;
      }
    }
    if (found < 0) return -1;
    unsigned kind = (unsigned char)PyBytes_AS_STRING(kinds)[found];
    if (!(kind & RT_CO_FAST_LOCAL) ||
        (kind & (RT_CO_FAST_CELL | RT_CO_FAST_FREE | RT_CO_FAST_HIDDEN))) {
      return -1;
    }
    idx[k] = (int16_t)found;
  }
  return 0;
}

static inline int rt_cmp_ll(int op, long long a, long long b) {
  switch (op) {
    case RT_OP_EQ: return a == b;
    case RT_OP_NE: return a != b;
    case RT_OP_LT: return a < b;
    case RT_OP_LE: return a <= b;
    case RT_OP_GT: return a > b;
    case RT_OP_GE: return a >= b;
    default: return -1;
  }
}

/* C's comparisons give Python's answers for NaN too. */
static inline int rt_cmp_d(int op, double a, double b) {
  switch (op) {
    case RT_OP_EQ: return a == b;
    case RT_OP_NE: return a != b;
    case RT_OP_LT: return a < b;
    case RT_OP_LE: return a <= b;
    case RT_OP_GT: return a > b;
    case RT_OP_GE: return a >= b;
    default: return -1;
  }
}

static inline bool rt_is_int(PyTypeObject *tp) {
  return tp == &PyLong_Type || tp == &PyBool_Type;
}

/* An exact int/bool as a long long (no allocation): false when it does not
 * fit. */
static inline bool rt_int_value(PyObject *v, long long *out) {
  int overflow = 0;
  if (rt_compat_long_compact(v, out)) return true;
  *out = PyLong_AsLongLongAndOverflow(v, &overflow);
  return !overflow; /* an exact int cannot fail otherwise */
}

static int rt_term_eval(const rt_term_t *t, PyObject *v) {
  PyTypeObject *tp = NULL;
  long long x = 0;

  if (v == NULL) return -1; /* unbound: Python says NameError or finds a global */
  if (t->op == RT_OP_IS) return v == t->obj;
  if (t->op == RT_OP_ISNOT) return v != t->obj;
  tp = Py_TYPE(v);
  switch (t->kind) {
    case RT_K_INT:
      if (rt_is_int(tp)) {
        if (!rt_int_value(v, &x)) return -1;
        return rt_cmp_ll(t->op, x, t->i);
      }
      if (tp == &PyFloat_Type) {
        return t->exact_double ? rt_cmp_d(t->op, PyFloat_AS_DOUBLE(v), (double)t->i)
                               : -1;
      }
      break;
    case RT_K_FLOAT:
      if (tp == &PyFloat_Type) return rt_cmp_d(t->op, PyFloat_AS_DOUBLE(v), t->d);
      if (rt_is_int(tp)) {
        if (!rt_int_value(v, &x) || x > RT_DOUBLE_EXACT || x < -RT_DOUBLE_EXACT) {
          return -1;
        }
        return rt_cmp_d(t->op, (double)x, t->d);
      }
      break;
    case RT_K_STR:
      if (tp == &PyUnicode_Type) {
        int r = 0;
        if (v == t->obj) {
          r = 0;
        } else if ((t->op == RT_OP_EQ || t->op == RT_OP_NE) &&
                   PyUnicode_GET_LENGTH(v) != PyUnicode_GET_LENGTH(t->obj)) {
          r = 1;
        } else {
          r = PyUnicode_Compare(v, t->obj); /* code point order, as Python */
          if (r == -1 && PyErr_Occurred()) {
            PyErr_Clear();
            return -1;
          }
        }
        return rt_cmp_ll(t->op, r, 0);
      }
      break;
    case RT_K_NONE: /* == / != only (rt_term_init) */
      if (v == Py_None) return t->op == RT_OP_EQ;
      break;
    default:
      return -1;
  }
  /* A value of another family. == / != between int/float, str and None
   * are plain False / True in Python; orderings raise, other types may
   * define anything: Python decides. */
  if ((t->op == RT_OP_EQ || t->op == RT_OP_NE) &&
      (v == Py_None || rt_is_int(tp) || tp == &PyFloat_Type ||
       tp == &PyUnicode_Type)) {
    return t->op == RT_OP_NE;
  }
  return -1;
}

int rt_pred_eval(const rt_pred_t *p, const int16_t *idx, PyObject *const *fast) {
  for (int k = 0; k < p->n; k++) {
    int r = rt_term_eval(&p->t[k], fast[idx[k]]);
    if (r != 1) return r; /* false ends the `and`, like Python; undecided too */
  }
  return 1;
}
