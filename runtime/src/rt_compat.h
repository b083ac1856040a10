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

#include <stdbool.h>

#if PY_VERSION_HEX < 0x030B0000
#error "the dapper runtime needs CPython 3.11 or newer"
#endif

/* Storage class of the runtime's thread-locals. The extension is a
 * dlopen'ed -fPIC object, where the default (general-dynamic) TLS model
 * makes each access a __tls_get_addr call; initial-exec makes it one
 * %fs-relative load, taking the variables (~128 bytes) from the static TLS
 * surplus glibc reserves for modules loaded later. */
#if defined(__GNUC__) || defined(__clang__)
#define RT_TLS _Thread_local __attribute__((tls_model("initial-exec")))
#else
#define RT_TLS _Thread_local
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

/* rt_compat_code_get_extra's read, inline (the hot paths look a code
 * object's extra up at every callback): co_extra points to {Py_ssize_t
 * ce_size; void *ce_extras[]} (_PyCodeObjectExtra, 3.11-3.13). NULL when
 * unset or `code` is not a code object. */
typedef struct {
  Py_ssize_t size;
  void *extras[1];
} rt_compat_code_extra_t;

static inline void *rt_compat_code_extra(PyObject *code, Py_ssize_t index) {
  const rt_compat_code_extra_t *e = NULL;
  if (!PyCode_Check(code)) return NULL;
  e = (const rt_compat_code_extra_t *)((PyCodeObject *)code)->co_extra;
  return e != NULL && index >= 0 && index < e->size ? e->extras[index] : NULL;
}

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

/* ---- writing frame locals back (setVariable, repl statements) ----------
 * 3.11/3.12: frame.f_locals is a snapshot dict; PyFrame_LocalsToFast copies
 * it back into the fast locals and cells. 3.13: f_locals is a write-through
 * FrameLocalsProxy (PEP 667), nothing to do. Returns 0 or -1. */
#if PY_VERSION_HEX < 0x030D0000
#include <frameobject.h> /* PyFrame_LocalsToFast */
#endif
static inline int rt_compat_locals_to_fast(PyFrameObject *frame) {
#if PY_VERSION_HEX < 0x030D0000
  PyFrame_LocalsToFast(frame, 0);
  return PyErr_Occurred() ? -1 : 0;
#else
  (void)frame;
  return 0;
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

/* What a C trace function's return event of `frame` (running `code`; arg:
 * the event's argument) is: the frame returns, a generator or coroutine
 * yields (or awaits), or an exception unwinds it. The event is the same
 * for all three: 3.11 and 3.13 pass NULL for an exception, 3.12 passes
 * None, so the instruction tells: a return, a yield (3.13 reports it at
 * the RESUME that follows), else the instruction that raised. */
#include <opcode.h>
typedef enum {
  RT_COMPAT_TRACE_RETURN,
  RT_COMPAT_TRACE_YIELD,
  RT_COMPAT_TRACE_UNWIND,
} rt_compat_trace_exit_t;

static inline rt_compat_trace_exit_t rt_compat_trace_exit_kind(PyFrameObject *frame,
                                                               PyCodeObject *code,
                                                               PyObject *arg) {
  PyObject *bytes = NULL;
  int lasti = PyFrame_GetLasti(frame);
  rt_compat_trace_exit_t kind = RT_COMPAT_TRACE_UNWIND;

  if (arg == NULL) return RT_COMPAT_TRACE_UNWIND;
  bytes = PyCode_GetCode(code);
  if (bytes == NULL) {
    PyErr_Clear();
    return RT_COMPAT_TRACE_RETURN;
  }
  if (lasti >= 0 && lasti < PyBytes_GET_SIZE(bytes)) {
    const unsigned char *ops = (const unsigned char *)PyBytes_AS_STRING(bytes);
    int op = ops[lasti];
#ifdef RETURN_CONST
    if (op == RETURN_VALUE || op == RETURN_CONST) kind = RT_COMPAT_TRACE_RETURN;
#else
    if (op == RETURN_VALUE) kind = RT_COMPAT_TRACE_RETURN;
#endif
    else if (op == YIELD_VALUE ||
             (PY_VERSION_HEX >= 0x030D0000 && op == RESUME && lasti >= 2 &&
              ops[lasti - 2] == YIELD_VALUE)) {
      kind = RT_COMPAT_TRACE_YIELD;
    }
  }
  Py_DECREF(bytes);
  return kind;
}

/* A PEP 523 hook (anyone's) is installed (statistics). */
static inline bool rt_compat_eval_hook_installed(void) {
  _PyFrameEvalFunction cur =
      _PyInterpreterState_GetEvalFrameFunc(PyInterpreterState_Get());
  return cur != NULL && cur != _PyEval_EvalFrameDefault;
}

/* The C trace function of a thread state, or NULL (statistics). */
static inline Py_tracefunc rt_compat_thread_c_tracefunc(PyThreadState *ts) {
  return ts->c_tracefunc;
}

/* sys.monitoring exists (3.12+): the monitoring backend is built. */
#if PY_VERSION_HEX >= 0x030C0000
#define RT_HAVE_MONITORING 1
#else
#define RT_HAVE_MONITORING 0
#endif

/* 3.13: sys.monitoring gives no LINE event for the first line of a code
 * object when it is the line of its RESUME (a one-line function, a lambda)
 * once RESUME is specialised (RESUME_CHECK is not one of the opcodes the
 * line check lets through); a local PY_START on that code keeps RESUME
 * instrumented, and the LINE event comes on every call. */
#if PY_VERSION_HEX >= 0x030D0000
#define RT_COMPAT_RESUME_LINE_NEEDS_START 1
#include <opcode.h>
/* The line of the code's RESUME instruction, or 0. No Python code runs (the
 * caller may be arming code in the eval-frame hook: a Python call there
 * could let another thread run the code half armed). */
static inline int rt_compat_resume_line(PyObject *code) {
  PyObject *bytes = PyCode_GetCode((PyCodeObject *)code); /* caches zeroed */
  int line = 0;
  if (bytes == NULL) {
    PyErr_Clear();
    return 0;
  }
  for (Py_ssize_t i = 0; i + 1 < PyBytes_GET_SIZE(bytes); i += 2) {
    if ((unsigned char)PyBytes_AS_STRING(bytes)[i] == RESUME) {
      line = PyCode_Addr2Line((PyCodeObject *)code, (int)i);
      break;
    }
  }
  Py_DECREF(bytes);
  return line > 0 ? line : 0;
}
#else
#define RT_COMPAT_RESUME_LINE_NEEDS_START 0
#define rt_compat_resume_line(code) 0
#endif

/* A PEP 523 eval-frame hook with per-frame C tracing (the `evalframe` and
 * `instrumented` backends, rt_backend_frame.c): 3.11, where tracing is a
 * per-C-frame flag (cframe->use_tracing) the hook can set for one frame.
 * 3.12+ trace through sys.monitoring, which has no per-frame switch. */
#if PY_VERSION_HEX < 0x030C0000
#define RT_HAVE_FRAME_HOOK 1
#else
#define RT_HAVE_FRAME_HOOK 0
#endif

#if RT_HAVE_FRAME_HOOK
#include <opcode.h>
/* 3.11 (the frame hook's scoped tracing): true when byte offset `lasti`
 * of code is the target of a backward jump. 3.11 reports a line again
 * when a backward jump lands in it: in a one-line loop (a comprehension,
 * `for x in y: f(x)`) such an event at a line already being executed is a
 * new iteration, not the same line reported twice. Scans co_code (cached
 * by the interpreter, caches zeroed); only called for a repeated line. */
static inline bool rt_compat_jump_back_target(PyObject *code, int lasti) {
  PyObject *bytes = PyCode_GetCode((PyCodeObject *)code);
  const unsigned char *b = NULL;
  Py_ssize_t n = 0;
  int ext = 0;
  bool found = false;
  if (bytes == NULL) {
    PyErr_Clear();
    return false;
  }
  b = (const unsigned char *)PyBytes_AS_STRING(bytes);
  n = PyBytes_GET_SIZE(bytes) / 2;
  for (Py_ssize_t i = 0; i < n && !found; i++) {
    int op = b[2 * i], arg = b[2 * i + 1] | ext;
    ext = op == EXTENDED_ARG ? arg << 8 : 0;
    if (op == JUMP_BACKWARD || op == JUMP_BACKWARD_NO_INTERRUPT) {
      found = (i + 1 - arg) * 2 == lasti;
    }
  }
  Py_DECREF(bytes);
  return found;
}
#endif

/* The `evalframe` backend: 3.11 with per-frame C tracing
 * (rt_backend_frame.c); 3.12+ with the hook doing discovery and arming
 * sys.monitoring local events (rt_backend_monitoring.c). */
#define RT_HAVE_EVALFRAME 1

/* The instrumented backend (function code swapped for a recompile): 3.11.
 * 3.13 must not use it (assigning __code__ deoptimises the function's
 * calls for good); on 3.12 its fallback (per-frame tracing) is missing. */
#define RT_HAVE_INSTRUMENTED RT_HAVE_FRAME_HOOK

#if RT_HAVE_FRAME_HOOK
/* The trace event the thread is handling (3.11 tstate->tracing_what):
 * frame.f_lineno accepts a jump only in a 'line' event. A jump made in an
 * 'opcode' event goes through the same reload in the eval loop
 * (maybe_call_line_trace), so the runtime's pending jump (rt_goto.h)
 * presents its opcode event as a line event. Returns the previous one. */
static inline int rt_compat_swap_trace_event(int what) {
  PyThreadState *ts = PyThreadState_Get();
  int old = ts->tracing_what;
  ts->tracing_what = what;
  return old;
}
#endif

/* The qualified name of a code object (3.11+). */
#define rt_compat_code_qualname(code) (((PyCodeObject *)(code))->co_qualname)

/* ---- fast locals and small ints (simple breakpoint conditions) ----------
 * Kinds of co_localspluskinds (internal/pycore_code.h, same values 3.11-3.13;
 * HIDDEN, the inlined comprehension variables of PEP 709, exists from 3.12). */
#define RT_CO_FAST_HIDDEN 0x10
#define RT_CO_FAST_LOCAL 0x20
#define RT_CO_FAST_CELL 0x40
#define RT_CO_FAST_FREE 0x80

/* The value of an exact int (or bool) that fits in one digit, without a
 * call: true and *out set, else false (the caller takes the slow way). */
static inline bool rt_compat_long_compact(PyObject *v, long long *out) {
#if PY_VERSION_HEX >= 0x030C0000
  if (!PyUnstable_Long_IsCompact((PyLongObject *)v)) return false;
  *out = (long long)PyUnstable_Long_CompactValue((PyLongObject *)v);
  return true;
#else
  Py_ssize_t size = Py_SIZE(v);
  if (size < -1 || size > 1) return false;
  *out = size * (long long)((PyLongObject *)v)->ob_digit[0];
  return true;
#endif
}

#endif /* RT_COMPAT_H */

/* ---- the internal frame (_PyInterpreterFrame) ----------------------------
 * Private CPython layout, for the backend files only: a file defines
 * RT_COMPAT_INTERNAL_FRAME before its first include of this header. The
 * fast locals (localsplus) of a running frame are read without creating a
 * frame object or calling Python (research/runtime.md §5). Only
 * internal/pycore_frame.h is needed (it compiles as it is on 3.11.2/3.11.7,
 * 3.12.1 and 3.13.0; pycore_pystate.h, with its 3.12.1 _PyGC_FINALIZED
 * clash, is not). */
#if defined(RT_COMPAT_INTERNAL_FRAME) && !defined(RT_COMPAT_INTERNAL_FRAME_DONE)
#define RT_COMPAT_INTERNAL_FRAME_DONE 1
#ifndef Py_BUILD_CORE
#define Py_BUILD_CORE 1
#define RT_COMPAT_UNDEF_BUILD_CORE 1
#endif
#include "internal/pycore_frame.h"
#ifdef RT_COMPAT_UNDEF_BUILD_CORE
#undef Py_BUILD_CORE
#undef RT_COMPAT_UNDEF_BUILD_CORE
#endif

/* The code object an internal frame runs (borrowed). */
static inline PyObject *rt_compat_iframe_code(struct _PyInterpreterFrame *f) {
#if PY_VERSION_HEX >= 0x030D0000
  return f->f_executable;
#else
  return (PyObject *)f->f_code;
#endif
}

/* The fast locals of a frame object's frame when it runs `code`, else
 * NULL. Borrowed, valid while the frame runs and the GIL is held. */
static inline PyObject *const *rt_compat_frame_fastlocals(PyFrameObject *frame,
                                                          PyObject *code) {
  struct _PyInterpreterFrame *f = frame->f_frame;
  if (f == NULL || rt_compat_iframe_code(f) != code) return NULL;
  return f->localsplus;
}

#if PY_VERSION_HEX >= 0x030C0000
/* In a sys.monitoring callback (a C builtin: no frame of its own): the fast
 * locals of the frame that triggered the event, when it runs `code`, else
 * NULL. Borrowed, valid during the callback. */
static inline PyObject *const *rt_compat_callback_fastlocals(PyObject *code) {
  PyThreadState *ts = PyThreadState_Get();
#if PY_VERSION_HEX >= 0x030D0000
  struct _PyInterpreterFrame *f = ts->current_frame;
#else
  struct _PyInterpreterFrame *f = ts->cframe != NULL ? ts->cframe->current_frame : NULL;
#endif
  if (f == NULL || rt_compat_iframe_code(f) != code) return NULL;
  return f->localsplus;
}

/* In a sys.monitoring callback: true when the frame that triggered the
 * event was called by the running frame of the frame object `caller`,
 * directly or through C (map(), a C method): its previous complete frame.
 * No frame object is made. */
static inline bool rt_compat_callback_caller_is(PyObject *caller) {
  PyThreadState *ts = PyThreadState_Get();
#if PY_VERSION_HEX >= 0x030D0000
  struct _PyInterpreterFrame *f = ts->current_frame;
#else
  struct _PyInterpreterFrame *f = ts->cframe != NULL ? ts->cframe->current_frame : NULL;
#endif
  struct _PyInterpreterFrame *want = ((PyFrameObject *)caller)->f_frame;
  if (f == NULL || want == NULL) return false;
  f = f->previous;
  while (f != NULL && f != want &&
         (f->owner == FRAME_OWNED_BY_CSTACK || _PyFrame_IsIncomplete(f))) {
    f = f->previous;
  }
  return f == want;
}
#endif
#endif /* RT_COMPAT_INTERNAL_FRAME */

/* ---- the eval-frame hook (PEP 523) -------------------------------------
 * Private CPython API for the files that define RT_COMPAT_EVAL_HOOK (and
 * RT_COMPAT_INTERNAL_FRAME) before including this header:
 * rt_backend_frame.c (3.11: evalframe and instrumented's scoped fallback,
 * with per-frame tracing below) and rt_backend_monitoring.c (3.12+:
 * `evalframe` mode, where the hook does discovery and tracing goes through
 * sys.monitoring). */
#if defined(RT_COMPAT_EVAL_HOOK) && defined(RT_COMPAT_INTERNAL_FRAME_DONE) && \
    !defined(RT_COMPAT_EVAL_HOOK_DONE)
#define RT_COMPAT_EVAL_HOOK_DONE 1

typedef struct _PyInterpreterFrame rt_iframe_t;
typedef PyObject *(*rt_compat_eval_fn)(PyThreadState *, rt_iframe_t *, int);

static inline PyObject *rt_compat_iframe_globals(rt_iframe_t *f) {
  return f->f_globals;
}

/* rt_compat_code_extra of the code the frame runs, read inline (the hook's
 * quick path): a frame evaluated through the hook runs a code object. */
static inline void *rt_compat_iframe_code_extra(rt_iframe_t *f, Py_ssize_t index) {
#if PY_VERSION_HEX >= 0x030D0000
  return rt_compat_code_extra(f->f_executable, index);
#else
  const rt_compat_code_extra_t *e = (const rt_compat_code_extra_t *)f->f_code->co_extra;
  return e != NULL && (size_t)index < (size_t)e->size ? e->extras[index] : NULL;
#endif
}

static inline PyObject *rt_compat_eval_default(PyThreadState *ts, rt_iframe_t *f,
                                               int throwflag) {
  return _PyEval_EvalFrameDefault(ts, f, throwflag);
}

/* 0: the default evaluator is installed; 1: `mine`; -1: someone else's. */
static inline int rt_compat_eval_hook_owner(rt_compat_eval_fn mine) {
  _PyFrameEvalFunction cur =
      _PyInterpreterState_GetEvalFrameFunc(PyInterpreterState_Get());
  if (cur == _PyEval_EvalFrameDefault) return 0;
  return cur == (_PyFrameEvalFunction)mine ? 1 : -1;
}

/* Installs `fn`, or the default evaluator when fn is NULL (stored as NULL:
 * Python-to-Python calls are inlined again). */
static inline void rt_compat_set_eval_hook(rt_compat_eval_fn fn) {
  _PyInterpreterState_SetEvalFrameFunc(
      PyInterpreterState_Get(),
      fn != NULL ? (_PyFrameEvalFunction)fn : _PyEval_EvalFrameDefault);
}

#if PY_VERSION_HEX < 0x030C0000 /* per-frame tracing: 3.11 only */
/* The frame's locals mapping (module and class code), or NULL. */
static inline PyObject *rt_compat_iframe_locals(rt_iframe_t *f) {
  return f->f_locals;
}

/* True for a frame that has not run an instruction yet. */
static inline bool rt_compat_iframe_fresh(rt_iframe_t *f) {
  return f->prev_instr == _PyCode_CODE(f->f_code) - 1;
}

/* The tracing flag of the thread's current C frame (0 or 255): the frame
 * _PyEval_EvalFrameDefault creates next copies it, and writes its own back
 * on return. */
static inline int rt_compat_cframe_tracing(PyThreadState *ts) {
  return ts->cframe->use_tracing;
}
static inline void rt_compat_set_cframe_tracing(PyThreadState *ts, int on) {
  ts->cframe->use_tracing = on ? 255 : 0;
}

/* The thread's current Python frame (NULL when none): in the eval-frame
 * hook, the caller of the frame about to run (it stays alive while that
 * frame runs). Its frame object (made lazily: ask after the callee ran),
 * or NULL; identity only. */
static inline rt_iframe_t *rt_compat_current_iframe(PyThreadState *ts) {
  return ts->cframe->current_frame;
}
static inline void *rt_compat_iframe_frameobj(rt_iframe_t *f) {
  return f != NULL ? (void *)f->frame_obj : NULL;
}

/* The C trace function of a thread state, and setting it on any thread
 * (exported; sets the target's current cframe flag). */
static inline Py_tracefunc rt_compat_thread_tracefunc(PyThreadState *ts) {
  return ts->c_tracefunc;
}
static inline int rt_compat_set_thread_trace(PyThreadState *ts, Py_tracefunc fn) {
  return _PyEval_SetTrace(ts, fn, NULL);
}
static inline unsigned long rt_compat_thread_ident(PyThreadState *ts) {
  return ts->thread_id;
}
#endif /* 3.11 */
#endif /* RT_COMPAT_EVAL_HOOK */
