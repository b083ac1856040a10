/* Version differences between the CPython releases the runtime supports.
 *
 * This header is the ONLY place in runtime/ that tests PY_VERSION_HEX: every
 * other file uses the names defined here. The module is built once per
 * minor version (3.11, 3.12, 3.13); 3.11.2 and 3.11.7 share one build.
 * Private CPython API (internal frame layout, eval-frame hook, code extra)
 * will be wrapped here too when the breakpoint backends arrive. */
#ifndef RT_COMPAT_H
#define RT_COMPAT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#if PY_VERSION_HEX < 0x030B0000
#error "the dapper runtime needs CPython 3.11 or newer"
#endif

/* The minor version this file was compiled for (11, 12, 13, ...). */
#define RT_PY_MAJOR PY_MAJOR_VERSION
#define RT_PY_MINOR PY_MINOR_VERSION

/* Py_Version (3.11+) is the running interpreter's version, which may differ
 * from the headers' micro version but must match major.minor. */
static inline int rt_compat_running_minor_matches(void) {
  return ((Py_Version >> 24) & 0xff) == PY_MAJOR_VERSION &&
         ((Py_Version >> 16) & 0xff) == PY_MINOR_VERSION;
}

/* True while the interpreter is finalizing. Public from 3.13 on. */
#if PY_VERSION_HEX >= 0x030D0000
#define rt_compat_is_finalizing() Py_IsFinalizing()
#else
#define rt_compat_is_finalizing() _Py_IsFinalizing()
#endif

/* Module slots that only newer versions know. The channel is one per
 * process, so sub-interpreters are refused (3.12+ by slot; the exec function
 * also checks for 3.11). 3.13's free-threaded build is not supported: the
 * runtime relies on the GIL. */
#if PY_VERSION_HEX >= 0x030C0000
#define RT_COMPAT_SLOT_SUBINTERPRETERS \
  {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED},
#else
#define RT_COMPAT_SLOT_SUBINTERPRETERS
#endif

#if PY_VERSION_HEX >= 0x030D0000
#define RT_COMPAT_SLOT_GIL {Py_mod_gil, Py_MOD_GIL_USED},
#else
#define RT_COMPAT_SLOT_GIL
#endif

/* ---- code extra (co_extra) -------------------------------------------- */
#if PY_VERSION_HEX >= 0x030C0000
#define rt_compat_request_extra_index(f) PyUnstable_Eval_RequestCodeExtraIndex(f)
#define rt_compat_code_get_extra(c, i, p) PyUnstable_Code_GetExtra((c), (i), (p))
#define rt_compat_code_set_extra(c, i, v) PyUnstable_Code_SetExtra((c), (i), (v))
#else
#define rt_compat_request_extra_index(f) _PyEval_RequestCodeExtraIndex(f)
#define rt_compat_code_get_extra(c, i, p) _PyCode_GetExtra((c), (i), (p))
#define rt_compat_code_set_extra(c, i, v) _PyCode_SetExtra((c), (i), (v))
#endif

/* ---- the current exception (saved around a hook's own Python work) ---- */
typedef struct {
#if PY_VERSION_HEX >= 0x030C0000
  PyObject *exc;
#else
  PyObject *type, *value, *tb;
#endif
} rt_compat_exc_t;

static inline void rt_compat_exc_save(rt_compat_exc_t *s) {
#if PY_VERSION_HEX >= 0x030C0000
  s->exc = PyErr_GetRaisedException();
#else
  PyErr_Fetch(&s->type, &s->value, &s->tb);
#endif
}

/* Restores the saved exception, dropping any raised since. */
static inline void rt_compat_exc_restore(rt_compat_exc_t *s) {
#if PY_VERSION_HEX >= 0x030C0000
  PyErr_SetRaisedException(s->exc);
#else
  PyErr_Restore(s->type, s->value, s->tb);
#endif
}

/* The saved exception's value (normalised; borrowed), or NULL. */
static inline PyObject *rt_compat_exc_value(rt_compat_exc_t *s) {
#if PY_VERSION_HEX >= 0x030C0000
  return s->exc;
#else
  if (s->type == NULL) return NULL;
  PyErr_NormalizeException(&s->type, &s->value, &s->tb);
  return s->value;
#endif
}

/* Drops the saved exception. */
static inline void rt_compat_exc_clear(rt_compat_exc_t *s) {
#if PY_VERSION_HEX >= 0x030C0000
  Py_CLEAR(s->exc);
#else
  Py_CLEAR(s->type);
  Py_CLEAR(s->value);
  Py_CLEAR(s->tb);
#endif
}

/* ---- tracing on every thread -------------------------------------------
 * 3.12+: PyEval_SetTraceAllThreads. 3.11: _PyEval_SetTrace on each thread
 * state (exported; needs the GIL). Threads started later install it
 * themselves (rt_backend_tracing.c, through the threading hook). */
static inline void rt_compat_set_trace_all(Py_tracefunc func, PyObject *arg) {
#if PY_VERSION_HEX >= 0x030C0000
  PyEval_SetTraceAllThreads(func, arg);
#else
  PyInterpreterState *interp = PyInterpreterState_Get();
  for (PyThreadState *ts = PyInterpreterState_ThreadHead(interp); ts != NULL;
       ts = PyThreadState_Next(ts)) {
    if (_PyEval_SetTrace(ts, func, arg) < 0) PyErr_Clear();
  }
#endif
}

/* sys.monitoring exists (3.12+): the monitoring backend is built. */
#if PY_VERSION_HEX >= 0x030C0000
#define RT_HAVE_MONITORING 1
#else
#define RT_HAVE_MONITORING 0
#endif

/* The qualified name of a code object (3.11+). */
#define rt_compat_code_qualname(code) (((PyCodeObject *)(code))->co_qualname)

#endif
