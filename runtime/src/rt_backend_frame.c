/* See rt_backend_frame.h. Also defines the `evalframe` backend.
 *
 * Per-frame tracing on 3.11 (research/runtime.md §4): tracing is a flag of
 * the C-level eval loop (cframe->use_tracing, 0 or 255); a new
 * _PyEval_EvalFrameDefault copies it from the caller's cframe and writes
 * its own back on return. The hook sets the flag for the frame it is about
 * to evaluate (on for frames that need tracing, off for everything else,
 * so callees of a traced frame run untraced) and restores the caller's
 * flag afterwards. With a hook installed, 3.11 no longer inlines
 * Python-to-Python calls, so every call passes through it.
 *
 * Pitfall handled: _PyEval_SetTrace() turns tracing on in the *current*
 * cframe, which is the caller of the frame being evaluated; the caller's
 * flag is read before and restored after. */
#define RT_COMPAT_INTERNAL_FRAME 1
#define RT_COMPAT_EVAL_HOOK 1
#include "rt_channel.h"
#include "rt_backend_frame.h"

#if RT_HAVE_FRAME_HOOK

#include <stdlib.h>
#include <string.h>

#include "rt_engine_priv.h"
#include "rt_exceptions.h"
#include "rt_goto.h"
#include "rt_log.h"
#include "rt_stats.h"
#include "rt_stop.h"
#include "rt_support.h"

PyObject *(*rt_frame_main_code)(PyObject *code);

static bool rt_frame_active;    /* installed */
static bool rt_frame_permanent; /* evalframe */
static bool rt_frame_hook_on;
static bool rt_frame_global;    /* every frame traced (exception filters) */
static bool rt_frame_main_pending;
/* No main script pending, swap pending, exception filter (rt_frame_global),
 * function breakpoint, step-in nor stopOnEntry: the hook's quick path may
 * decide (rt_frame_set_quiet). */
static bool rt_frame_quiet;
/* Lending (rt_frame_can_lend): frames below a stepped-over call run
 * without the hook; rt_frame_lend_broken: the state changed since, the
 * hook is back until the outermost lending ends. */
static int rt_frame_lending;
static bool rt_frame_lend_broken;
static void rt_frame_apply_hook(bool lent);
/* rt_frame_swap_next: the code about to run on this thread (strong) and
 * what runs instead (strong); rt_frame_nswaps threads have one pending. */
static RT_TLS PyObject *rt_tls_swap_from, *rt_tls_swap_to;
static int rt_frame_nswaps;
static PyObject *rt_frame_main_dict; /* strong */

/* Per-file fallback state (rt_frame_set_fallback). */
#define RT_FRAME_MAX_IDENTS 32
typedef struct rt_fbfile {
  struct rt_fbfile *next;
  char *canon;
  int ncodes;
  int nidents;
  unsigned long idents[RT_FRAME_MAX_IDENTS];
} rt_fbfile_t;
static rt_fbfile_t *rt_fbfiles;
static int rt_frame_nfallback; /* sum of ncodes */

/* The line execution this thread is in (per thread): 3.11 reports a line
 * again, mid-line, after an instruction without a line (the inserted
 * try/except's jumps) or when tracing is turned on in the middle of it
 * (during a stop in the breakpoint builtin). One execution = same frame,
 * same line, increasing instruction offset. `evaluated`: the trace function
 * evaluated its breakpoints, so the inserted checks must not. */
static RT_TLS PyObject *rt_tls_line_frame;
static RT_TLS int rt_tls_line_line, rt_tls_line_lasti;
static RT_TLS bool rt_tls_line_evaluated;

/* True when (frame, line) at the frame's current offset continues the
 * recorded line execution (and records the offset); else starts a new one. */
static bool rt_frame_same_line(PyObject *frame, int line) {
  int lasti = PyFrame_GetLasti((PyFrameObject *)frame);
  if (rt_tls_line_frame == frame && rt_tls_line_line == line &&
      lasti > rt_tls_line_lasti) {
    rt_tls_line_lasti = lasti;
    return true;
  }
  rt_tls_line_frame = frame;
  rt_tls_line_line = line;
  rt_tls_line_lasti = lasti;
  rt_tls_line_evaluated = false;
  return false;
}

static int rt_frame_trace(PyObject *obj, PyFrameObject *frame, int what,
                          PyObject *arg);

/* ---- which threads are traced --------------------------------------------- */

static bool rt_frame_ident_fallback(unsigned long ident) {
  for (rt_fbfile_t *f = rt_fbfiles; f != NULL; f = f->next) {
    for (int i = 0; i < f->nidents; i++) {
      if (f->idents[i] == ident) return true;
    }
  }
  return false;
}

static bool rt_frame_ident_stepping(unsigned long ident) {
  bool stepping = false;
  if (rt_nstepping <= 0) return false;
  rt_threads_lock();
  for (rt_thread_t *t = rt_threads_first_locked(); t != NULL; t = t->next) {
    if (t->ident == ident) {
      stepping = t->step_kind != RT_STEP_NONE;
      break;
    }
  }
  rt_threads_unlock();
  return stepping;
}

static bool rt_frame_thread_needs(PyThreadState *ts) {
  unsigned long ident = rt_compat_thread_ident(ts);
  if (rt_frame_global || atomic_load(&rt_pause_all)) return true;
  return rt_frame_ident_fallback(ident) || rt_frame_ident_stepping(ident);
}

/* Gives every thread that needs it the trace function, and takes it from
 * those that do not (never touching another tool's trace function). */
static void rt_frame_sync_threads(void) {
  PyInterpreterState *interp = PyInterpreterState_Get();
  rt_compat_exc_t saved;

  if (!rt_frame_active) return;
  rt_compat_exc_save(&saved);
  for (PyThreadState *ts = PyInterpreterState_ThreadHead(interp); ts != NULL;
       ts = PyThreadState_Next(ts)) {
    Py_tracefunc tf = rt_compat_thread_tracefunc(ts);
    bool need = false;
    if (tf != NULL && tf != rt_frame_trace) continue;
    need = rt_frame_thread_needs(ts);
    /* Only added here: a thread drops it itself at a line that needs no
     * tracing (rt_frame_trace), since only it knows what its frames need. */
    if (need && tf == NULL) {
      if (rt_compat_set_thread_trace(ts, rt_frame_trace) < 0) PyErr_Clear();
    }
  }
  rt_compat_exc_restore(&saved);
}

/* ---- the hook ------------------------------------------------------------------ */

static bool rt_frame_is_module_code(PyObject *code) {
  return PyUnicode_CompareWithASCIIString(((PyCodeObject *)code)->co_name,
                                          "<module>") == 0;
}

/* True when the frame about to run must be traced. */
static inline bool rt_frame_wants(rt_codeinfo_t *ci, rt_iframe_t *f) {
  if (ci == NULL || ci->hidden) return false;
  if (ci->bits != NULL && !(ci->armed & RT_FRAME_INS_CODE)) return true;
  if (ci->funcbp_id != 0) return true;
  if (atomic_load_explicit(&rt_pause_all, memory_order_relaxed)) return true;
  if (atomic_load_explicit(&rt_entry_pending, memory_order_relaxed) &&
      rt_compat_iframe_globals(f) == rt_frame_main_dict &&
      rt_compat_iframe_fresh(f) && rt_frame_is_module_code(ci->code)) {
    return true;
  }
  if (rt_nstepping > 0) {
    rt_thread_t *t = rt_threads_current();
    if (t != NULL && !rt_thread_is_gone(t) &&
        (t->step_kind == RT_STEP_IN ||
         (t->step_frame != NULL && rt_compat_iframe_frameobj(f) == (void *)t->step_frame))) {
      return true; /* stepping in, or the step's frame resumes (after an await) */
    }
  }
  return false;
}

/* Runs `other` (stolen) in the namespace of the fresh frame f instead of
 * its own code; the original frame, never started, is cleared by its
 * caller. */
static PyObject *rt_frame_run_instead(rt_iframe_t *f, PyObject *other) {
  PyObject *globals = rt_compat_iframe_globals(f);
  PyObject *locals = rt_compat_iframe_locals(f);
  PyObject *r = PyEval_EvalCode(other, globals, locals != NULL ? locals : globals);
  Py_DECREF(other);
  return r;
}

/* The instrumented backend's trampoline for the main script's module code. */
static PyObject *rt_frame_main(PyThreadState *ts, rt_iframe_t *f, int throwflag) {
  PyObject *code = rt_compat_iframe_code(f), *other = NULL;

  rt_frame_main_pending = false;
  if (rt_frame_main_code != NULL) {
    rt_compat_exc_t saved;
    rt_compat_exc_save(&saved);
    other = rt_frame_main_code(code);
    rt_compat_exc_restore(&saved);
  }
  rt_frame_update_hook();
  if (other == NULL) return NULL; /* run it as it is (no exception set) */
  return rt_frame_run_instead(f, other);
}

void rt_frame_swap_next(PyObject *code, PyObject *other) {
  if (rt_tls_swap_from == NULL) rt_frame_nswaps++;
  Py_XSETREF(rt_tls_swap_from, Py_NewRef(code));
  Py_XSETREF(rt_tls_swap_to, other);
  rt_frame_update_hook();
}

/* The code rt_frame_swap_next registered starts: run its replacement. */
static PyObject *rt_frame_swap(rt_iframe_t *f) {
  PyObject *other = rt_tls_swap_to;
  Py_CLEAR(rt_tls_swap_from);
  rt_tls_swap_to = NULL;
  if (rt_frame_nswaps > 0) rt_frame_nswaps--;
  rt_frame_update_hook();
  return rt_frame_run_instead(f, other);
}

/* The flag of the frame a callee returns to. 3.11 gives exception events
 * to the trace function even in frames running untraced, then traces the
 * rest of that frame, and the flag climbs to the caller on return: the
 * caller gets back what it had (`saved`), and tracing only when it needs
 * it now (a pause; a step that continues in it: the step moved out to it
 * or steps in). */
static __attribute__((noinline)) int rt_frame_after(PyThreadState *ts, int saved,
                                                    rt_iframe_t *caller) {
  if (rt_compat_thread_tracefunc(ts) != rt_frame_trace) {
    /* the callee dropped the trace function: a traced caller gets it back
     * (and drops it itself at its next line if it does not need it) */
    if (saved && rt_compat_thread_tracefunc(ts) == NULL) {
      rt_compat_exc_t exc;
      int rc = 0;
      rt_compat_exc_save(&exc);
      rc = rt_compat_set_thread_trace(ts, rt_frame_trace);
      if (rc < 0) PyErr_Clear();
      rt_compat_exc_restore(&exc);
      return rc < 0 ? 0 : saved;
    }
    return 0;
  }
  if (saved) return saved;
  if (atomic_load_explicit(&rt_pause_all, memory_order_relaxed)) return 1;
  if (rt_nstepping > 0) {
    rt_thread_t *t = rt_threads_current();
    if (t != NULL && !rt_thread_is_gone(t) && t->step_kind != RT_STEP_NONE &&
        (t->step_kind == RT_STEP_IN ||
         rt_compat_iframe_frameobj(caller) == (void *)t->step_frame)) {
      return 1;
    }
  }
  return 0;
}

static void rt_frame_set_quiet(void) {
  /* Each of these changes before a call of rt_frame_update_hook (a step
   * begins or ends: rt_frame_step_changed, rt_frame_control_changed;
   * function breakpoints: breakpoints_changed; stopOnEntry is set before
   * rt_frame_control_changed, and its clearing may leave the quick path
   * off until the next change: slower, not wrong). */
  rt_frame_quiet = rt_frame_active && !rt_frame_main_pending && rt_frame_nswaps == 0 &&
                   !rt_frame_global && rt_engine_nfuncbps == 0 && rt_nstepping_in == 0 &&
                   !atomic_load_explicit(&rt_entry_pending, memory_order_relaxed);
}

/* The hook's whole decision for most calls: false when the frame about
 * to run certainly needs no tracing (rt_frame_wants would say false);
 * true when it may (rt_frame_hook_full decides). No call, no store. */
static inline bool rt_frame_maybe_wants(const rt_codeinfo_t *ci, rt_iframe_t *f) {
  void *fo = NULL;
  if (ci == NULL || ci->gen != rt_engine_gen) return true; /* to make or refresh */
  if (ci->hidden) return false;
  /* (no function breakpoint nor step-in: rt_frame_quiet) */
  if ((ci->bits != NULL && !(ci->armed & RT_FRAME_INS_CODE)) ||
      atomic_load_explicit(&rt_pause_all, memory_order_relaxed)) {
    return true;
  }
  /* stepping over or out: a new frame (no frame object yet) is never the
   * step frame, a generator or coroutine resuming may be */
  fo = rt_compat_iframe_frameobj(f);
  if (fo != NULL && rt_nstepping > 0) {
    const rt_thread_t *t = rt_tls_thread;
    return t == NULL || fo == (void *)t->step_frame;
  }
  return false;
}

static PyObject *rt_frame_hook_full(PyThreadState *ts, rt_iframe_t *f, int throwflag)
    __attribute__((noinline));

/* True when the frame about to run, untraced, is called by the frame a
 * step-over or -out of this thread is relative to, and nothing but that
 * step needs the hook: the instrumented backend (breakpoints are inserted
 * checks, no fallback code), no function breakpoint, pause, stopOnEntry,
 * exception filter, other stepping thread, pending swap or main script.
 * Then the callee and everything below it need nothing: a new frame is
 * never the step frame, and the step frame, running, cannot be resumed
 * below itself. The hook is removed while the callee runs (3.11 inlines
 * its Python-to-Python calls again, untraced) and comes back when it
 * returns, or at once when any of that state changes
 * (rt_frame_update_hook). */
static bool rt_frame_can_lend(rt_iframe_t *caller) {
  const rt_thread_t *t = NULL;
  if (rt_frame_permanent || rt_frame_lending > 0 || rt_fbfiles != NULL ||
      rt_frame_nfallback > 0 || rt_engine_nfuncbps > 0 || rt_nstepping != 1 ||
      rt_nstepping_in != 0 || !rt_frame_quiet ||
      atomic_load_explicit(&rt_pause_all, memory_order_relaxed) ||
      atomic_load_explicit(&rt_entry_pending, memory_order_relaxed)) {
    return false;
  }
  t = rt_tls_thread;
  return t != NULL && !rt_thread_is_gone(t) &&
         (t->step_kind == RT_STEP_OVER || t->step_kind == RT_STEP_OUT) &&
         t->funcbp_frame == NULL && t->step_frame != NULL &&
         rt_compat_iframe_frameobj(caller) == (void *)t->step_frame;
}

/* PEP 523 hook. The common case while it is installed (frames called by
 * an untraced frame during a step, every frame of an `evalframe` session
 * that needs nothing) is decided by loads and compares: the caller runs
 * untraced, the thread has no trace function or ours, the frame's
 * codeinfo is current and asks for nothing. */
static PyObject *rt_frame_hook(PyThreadState *ts, rt_iframe_t *f, int throwflag) {
  rt_stat_inc(RT_STAT_FRAME_EVAL);
  if (__builtin_expect(rt_frame_quiet, 1) && rt_compat_cframe_tracing(ts) == 0 &&
      !rt_tls_in_debugger) {
    Py_tracefunc tf = rt_compat_thread_tracefunc(ts);
    if ((tf == NULL || tf == rt_frame_trace) &&
        !rt_frame_maybe_wants(rt_compat_iframe_code_extra(f, rt_engine_extra_index), f)) {
      PyObject *r = NULL;
      if (tf == NULL) return rt_compat_eval_default(ts, f, throwflag);
      /* the flag is still off on return unless an exception event turned
       * it on in the callee, or the callee let go of the trace function;
       * the callee's C frame is gone: the current frame is the caller */
      r = rt_compat_eval_default(ts, f, throwflag);
      if (__builtin_expect(rt_compat_cframe_tracing(ts) != 0 ||
                               rt_compat_thread_tracefunc(ts) != rt_frame_trace,
                           0)) {
        rt_compat_set_cframe_tracing(
            ts, rt_frame_after(ts, 0, rt_compat_current_iframe(ts)));
      }
      return r;
    }
  }
  return rt_frame_hook_full(ts, f, throwflag);
}

static PyObject *rt_frame_hook_full(PyThreadState *ts, rt_iframe_t *f, int throwflag) {
  PyObject *code = rt_compat_iframe_code(f), *r = NULL;
  Py_tracefunc tf = rt_compat_thread_tracefunc(ts);
  rt_codeinfo_t *ci = NULL;
  bool want = false, ours = tf == rt_frame_trace;
  int saved = 0;
  rt_iframe_t *caller = NULL;

  if (rt_tls_swap_from == code && code != NULL && rt_compat_iframe_fresh(f)) {
    return rt_frame_swap(f);
  }
  if (tf != NULL && !ours) return rt_compat_eval_default(ts, f, throwflag);
  if (rt_tls_in_debugger) {
    /* the runtime's own code: never traced, whatever its caller is */
    if (!ours) return rt_compat_eval_default(ts, f, throwflag);
    saved = rt_compat_cframe_tracing(ts);
    caller = rt_compat_current_iframe(ts);
    rt_compat_set_cframe_tracing(ts, 0);
    r = rt_compat_eval_default(ts, f, throwflag);
    rt_compat_set_cframe_tracing(ts, rt_frame_after(ts, saved, caller));
    return r;
  }
  if (rt_frame_main_pending && rt_compat_iframe_globals(f) == rt_frame_main_dict &&
      rt_compat_iframe_fresh(f) && rt_frame_is_module_code(code)) {
    r = rt_frame_main(ts, f, throwflag);
    if (r != NULL || PyErr_Occurred()) return r;
  }
  ci = rt_engine_codeinfo_peek(code);
  if (ci == NULL || ci->gen != rt_engine_gen) {
    ci = rt_engine_codeinfo(code, rt_compat_iframe_globals(f));
  }
  want = rt_frame_wants(ci, f);
  if (want || rt_frame_global) rt_stat_inc(RT_STAT_FRAMES_TRACED);
  if (!want && !ours) return rt_compat_eval_default(ts, f, throwflag);
  if (rt_frame_global) return rt_compat_eval_default(ts, f, throwflag);
  saved = rt_compat_cframe_tracing(ts);
  caller = rt_compat_current_iframe(ts);
  if (!want && !saved) {
    /* untraced, calling what needs nothing (most calls during a step):
     * the flag is still off on return unless an exception event turned
     * it on in the callee, or the callee let go of the trace function */
    r = rt_compat_eval_default(ts, f, throwflag);
    if (rt_compat_cframe_tracing(ts) != 0 ||
        rt_compat_thread_tracefunc(ts) != rt_frame_trace) {
      rt_compat_set_cframe_tracing(ts, rt_frame_after(ts, saved, caller));
    }
    return r;
  }
  if (want && !ours) {
    rt_compat_exc_t exc;
    int rc = 0;
    rt_compat_exc_save(&exc);
    rc = rt_compat_set_thread_trace(ts, rt_frame_trace); /* sets `saved`'s cframe */
    if (rc < 0) PyErr_Clear();
    rt_compat_exc_restore(&exc);
    if (rc < 0) return rt_compat_eval_default(ts, f, throwflag);
  }
  if (!want && saved && rt_frame_can_lend(caller)) {
    rt_compat_set_cframe_tracing(ts, 0);
    rt_frame_lending++;
    rt_frame_apply_hook(true);
    r = rt_compat_eval_default(ts, f, throwflag);
    if (--rt_frame_lending == 0) rt_frame_lend_broken = false;
    rt_frame_apply_hook(true);
    rt_compat_set_cframe_tracing(ts, rt_frame_after(ts, saved, caller));
    return r;
  }
  rt_compat_set_cframe_tracing(ts, want);
  r = rt_compat_eval_default(ts, f, throwflag);
  rt_compat_set_cframe_tracing(ts, rt_frame_after(ts, saved, caller));
  return r;
}

bool rt_frame_program_pending(void) { return rt_frame_main_pending; }

/* Installs or removes the hook as the state needs; `lent`: only the
 * lending in rt_frame_hook_full changed (not logged). */
static void rt_frame_apply_hook(bool lent) {
  bool need = false;
  rt_frame_set_quiet();
  if (!rt_frame_active) return;
  need = rt_frame_permanent || rt_frame_nfallback > 0 || rt_nstepping > 0 ||
         atomic_load(&rt_entry_pending) || rt_frame_main_pending ||
         rt_frame_nswaps > 0 || rt_engine_nfuncbps > 0;
  if (rt_frame_lending > 0 && !rt_frame_lend_broken) need = false;
  if (need == rt_frame_hook_on) return;
  rt_frame_hook_on = need;
  rt_compat_set_eval_hook(need ? rt_frame_hook : NULL);
  if (!lent) rt_log(RT_LOG_INFO, "eval-frame hook %s", need ? "installed" : "removed");
}

void rt_frame_update_hook(void) {
  /* whatever changed (a stop, a step, a pause, breakpoints, function
   * breakpoints, exception filters) ends a lending: the hook is back */
  if (rt_frame_lending > 0) rt_frame_lend_broken = true;
  rt_frame_apply_hook(false);
}

/* ---- the scoped trace function ---------------------------------------------------- */

void rt_frame_line_done(PyObject *frame, int line) {
  rt_tls_line_frame = frame;
  rt_tls_line_line = line;
  rt_tls_line_lasti = PyFrame_GetLasti((PyFrameObject *)frame) - 1;
  rt_tls_line_evaluated = true;
}

bool rt_frame_bp_skip(PyObject *frame, int line) {
  return rt_frame_same_line(frame, line) && rt_tls_line_evaluated;
}

/* True when the only control the thread needs is a step that can neither
 * stop nor end in this frame: a callee of the step frame traced because an
 * exception event turned tracing on in it, or the runtime's own code. */
static bool rt_frame_step_elsewhere(const rt_thread_t *t, const rt_codeinfo_t *ci,
                                    PyFrameObject *frame) {
  if (atomic_load_explicit(&rt_pause_all, memory_order_relaxed) ||
      atomic_load_explicit(&rt_entry_pending, memory_order_relaxed) ||
      t->funcbp_frame != NULL || t->step_kind == RT_STEP_NONE) {
    return false;
  }
  if (ci->hidden) return true;
  return t->step_kind != RT_STEP_IN && (PyObject *)frame != t->step_frame;
}

static int rt_frame_trace(PyObject *obj, PyFrameObject *frame, int what,
                          PyObject *arg) {
  rt_thread_t *t = NULL;
  PyCodeObject *code = NULL;
  rt_codeinfo_t *ci = NULL;

  (void)obj;
  rt_stat_inc(RT_STAT_TRACE_CALLS);
  if (rt_tls_in_debugger) return 0;
  t = rt_threads_current();
  if (t == NULL || rt_thread_is_gone(t)) return 0;
  code = PyFrame_GetCode(frame); /* alive as long as the frame runs */
  Py_DECREF(code);

  switch (what) {
    case PyTrace_LINE: {
      int line = 0, w = 0;
      if (t->goto_pending) return 0; /* the opcode event of this instruction jumps */
      ci = rt_engine_codeinfo((PyObject *)code, NULL);
      if (ci == NULL) return 0;
      line = PyFrame_GetLineNumber(frame);
      if (rt_frame_same_line((PyObject *)frame, line)) {
        if (!rt_compat_jump_back_target((PyObject *)code, PyFrame_GetLasti(frame))) {
          return 0; /* not a new line */
        }
        rt_tls_line_evaluated = false; /* the next iteration of a one-line loop */
      }
      if (rt_stop_control_needed(t) && !rt_frame_step_elsewhere(t, ci, frame)) {
        w |= RT_LINE_CONTROL;
      }
      if (w == 0 && !rt_frame_global &&
          (ci->bits == NULL || (ci->armed & RT_FRAME_INS_CODE))) {
        /* Traced only because the flag leaked into this C frame (a pause
         * or step ended, the caller was traced): stop tracing the thread;
         * the hook gives it back to frames that need it. */
        if (!rt_frame_ident_fallback(t->ident)) { /* none may share this cframe */
          rt_compat_exc_t saved;
          rt_compat_exc_save(&saved);
          if (rt_compat_set_thread_trace(PyThreadState_Get(), NULL) < 0) PyErr_Clear();
          rt_compat_exc_restore(&saved);
        }
        if (ci->bits == NULL) return 0;
      }
      if (rt_codeinfo_has_line(ci, line)) {
        if (ci->armed & RT_FRAME_INS_CODE) {
          rt_tls_line_evaluated = true; /* the inserted checks come next */
        } else if (w == 0 &&
                   rt_engine_line_quick(
                       ci, line, rt_compat_frame_fastlocals(frame, (PyObject *)code))) {
          return 0;
        }
        w |= RT_LINE_BREAKPOINTS;
      }
      if (w != 0) rt_stop_line(t, ci, (PyObject *)frame, line, w);
      return 0;
    }
    case PyTrace_CALL:
      rt_stop_trace_call(t, frame, code);
      return 0;
    case PyTrace_RETURN:
      rt_stop_trace_return(t, frame, arg);
      return 0;
    case PyTrace_EXCEPTION:
      if ((rt_exc_raised || rt_exc_user_unhandled) && arg != NULL &&
          PyTuple_Check(arg) && PyTuple_GET_SIZE(arg) >= 3) {
        rt_exceptions_raise(t, (PyObject *)frame, PyTuple_GET_ITEM(arg, 1),
                            PyTuple_GET_ITEM(arg, 2));
      }
      return 0;
    case PyTrace_OPCODE: { /* only where a jump is pending (rt_frame_arm_opcode) */
      int event = rt_compat_swap_trace_event(PyTrace_LINE);
      rt_goto_opcode(t, (PyObject *)frame);
      rt_compat_swap_trace_event(event);
      return 0;
    }
    default:
      return 0;
  }
}

const Py_tracefunc rt_frame_func = rt_frame_trace;

bool rt_frame_can_arm_opcode(void) {
  Py_tracefunc tf = rt_compat_thread_tracefunc(PyThreadState_Get());
  return tf == NULL || tf == rt_frame_trace;
}

void rt_frame_trace_here(void) {
  PyThreadState *ts = PyThreadState_Get();
  rt_compat_exc_t saved;
  int rc = 0;
  if (!rt_frame_can_arm_opcode()) return;
  rt_compat_exc_save(&saved);
  if (rt_compat_thread_tracefunc(ts) == NULL) rc = rt_compat_set_thread_trace(ts, rt_frame_trace);
  if (rc < 0) PyErr_Clear();
  rt_compat_exc_restore(&saved);
  if (rc == 0) rt_compat_set_cframe_tracing(ts, 1);
}

int rt_frame_arm_opcode(PyObject *frame) {
  PyThreadState *ts = PyThreadState_Get();
  if (!rt_frame_can_arm_opcode()) return -1;
  if (rt_compat_thread_tracefunc(ts) == NULL &&
      rt_compat_set_thread_trace(ts, rt_frame_trace) < 0) {
    return -1;
  }
  if (PyObject_SetAttrString(frame, "f_trace_opcodes", Py_True) < 0) return -1;
  rt_compat_set_cframe_tracing(ts, 1);
  return 0;
}

/* ---- shared backend hooks ------------------------------------------------------------ */

void rt_frame_set_fallback(const char *canon, int ncodes, PyObject *idents) {
  rt_fbfile_t *f = NULL, **pp = NULL;
  Py_ssize_t n = idents != NULL && PyList_Check(idents) ? PyList_GET_SIZE(idents) : 0;

  for (f = rt_fbfiles; f != NULL; f = f->next) {
    if (strcmp(f->canon, canon) == 0) break;
  }
  if (f == NULL && (ncodes > 0 || n > 0)) {
    f = calloc(1, sizeof *f);
    if (f == NULL || (f->canon = strdup(canon)) == NULL) {
      free(f);
      return;
    }
    f->next = rt_fbfiles;
    rt_fbfiles = f;
  }
  if (f == NULL) return;
  rt_frame_nfallback += ncodes - f->ncodes;
  f->ncodes = ncodes;
  f->nidents = 0;
  for (Py_ssize_t i = 0; i < n && f->nidents < RT_FRAME_MAX_IDENTS; i++) {
    unsigned long id = PyLong_AsUnsignedLong(PyList_GET_ITEM(idents, i));
    if (id == (unsigned long)-1 && PyErr_Occurred()) {
      PyErr_Clear();
      continue;
    }
    f->idents[f->nidents++] = id;
  }
  if (f->ncodes == 0 && f->nidents == 0) {
    for (pp = &rt_fbfiles; *pp != NULL; pp = &(*pp)->next) {
      if (*pp == f) {
        *pp = f->next;
        break;
      }
    }
    free(f->canon);
    free(f);
  }
  rt_frame_sync_threads();
  rt_frame_update_hook();
}

void rt_frame_add_fallback(const char *canon, int n) {
  rt_fbfile_t *f = rt_fbfiles;
  PyObject *idents = NULL;
  int have = 0;
  while (f != NULL && strcmp(f->canon, canon) != 0) f = f->next;
  if (f != NULL) {
    have = f->ncodes;
    idents = PyList_New(0);
    for (int i = 0; idents != NULL && i < f->nidents; i++) {
      PyObject *v = PyLong_FromUnsignedLong(f->idents[i]);
      if (v == NULL || PyList_Append(idents, v) < 0) PyErr_Clear();
      Py_XDECREF(v);
    }
  }
  rt_frame_set_fallback(canon, have + n, idents);
  Py_XDECREF(idents);
}

void rt_frame_control_changed(void) {
  rt_frame_sync_threads();
  rt_frame_update_hook();
}

void rt_frame_step_changed(rt_thread_t *t) {
  rt_frame_sync_threads();
  rt_frame_update_hook();
  if (t->step_kind != RT_STEP_NONE && t == rt_threads_current()) {
    /* the step frame is the current one (or its caller when the step
     * moved out): its line events must come */
    PyThreadState *ts = PyThreadState_Get();
    if (rt_compat_thread_tracefunc(ts) == rt_frame_trace) {
      rt_compat_set_cframe_tracing(ts, 1);
    }
  }
}

void rt_frame_exceptions_changed(void) {
  rt_frame_global = rt_exc_raised || rt_exc_user_unhandled;
  rt_frame_update_hook(); /* ends a lending; recomputes rt_frame_quiet */
  rt_frame_sync_threads();
}

void rt_frame_thread_started(void) { rt_frame_sync_threads(); }

int rt_frame_install(bool permanent) {
  PyObject *main = NULL;
  int owner = rt_compat_eval_hook_owner(rt_frame_hook);

  if (owner < 0) {
    PyErr_SetString(PyExc_RuntimeError,
                    "another tool owns the PEP 523 eval-frame hook");
    return -1;
  }
  main = PyImport_AddModule("__main__"); /* borrowed */
  if (main == NULL) return -1;
  Py_XSETREF(rt_frame_main_dict, Py_NewRef(PyModule_GetDict(main)));
  rt_frame_main_pending =
      !permanent && PyDict_GetItemString(rt_frame_main_dict, "__file__") == NULL;
  rt_frame_active = true;
  rt_frame_permanent = permanent;
  rt_frame_hook_on = owner == 1;
  rt_frame_global = false;
  rt_frame_update_hook();
  return 0;
}

void rt_frame_uninstall(void) {
  PyInterpreterState *interp = NULL;
  if (!rt_frame_active) return;
  if (rt_frame_hook_on) rt_compat_set_eval_hook(NULL);
  rt_frame_hook_on = false;
  rt_frame_active = false;
  rt_frame_main_pending = false;
  rt_frame_set_quiet();
  interp = PyInterpreterState_Get();
  for (PyThreadState *ts = PyInterpreterState_ThreadHead(interp); ts != NULL;
       ts = PyThreadState_Next(ts)) {
    if (rt_compat_thread_tracefunc(ts) == rt_frame_trace) {
      if (rt_compat_set_thread_trace(ts, NULL) < 0) PyErr_Clear();
    }
  }
  while (rt_fbfiles != NULL) {
    rt_fbfile_t *f = rt_fbfiles;
    rt_fbfiles = f->next;
    free(f->canon);
    free(f);
  }
  rt_frame_nfallback = 0;
  Py_CLEAR(rt_tls_swap_from);
  Py_CLEAR(rt_tls_swap_to);
  rt_frame_nswaps = 0; /* other threads' pending ones are never run */
  rt_frame_main_code = NULL;
  Py_CLEAR(rt_frame_main_dict);
}

/* ---- the `evalframe` backend ------------------------------------------------------------- */

/* Threads running frames of `canon` whose code has breakpoint lines get
 * the trace function (frames started before the breakpoint was set); new
 * frames are the hook's business. */
static void rt_ef_scan(rt_bpfile_t *bf) {
  PyObject *bps = NULL, *res = NULL;
  PyObject *mod = NULL;
  rt_channel_t *ch = NULL;

  bps = PyList_New(0);
  if (bps == NULL) goto done;
  for (int i = 0; i < bf->n; i++) {
    PyObject *item = NULL;
    if (!bf->bps[i].verified || bf->bps[i].line <= 0) continue;
    item = Py_BuildValue("(iiO)", bf->bps[i].id, bf->bps[i].line, Py_None);
    if (item == NULL || PyList_Append(bps, item) < 0) {
      Py_XDECREF(item);
      goto done;
    }
    Py_DECREF(item);
  }
  mod = rt_instrument_module();
  if (mod == NULL) goto done;
  /* before `start`, a file no module was loaded from has no code: no heap
   * scan per setBreakpoints (update() checks sys.modules and __main__) */
  ch = rt_channel_get();
  res = PyObject_CallMethod(mod, "update", "sOOO", bf->canon, bps, Py_False,
                            ch != NULL && rt_channel_is_holding(ch) ? Py_True : Py_False);
  if (res != NULL && PyTuple_Check(res) && PyTuple_GET_SIZE(res) >= 3) {
    rt_frame_set_fallback(bf->canon, 0, PyTuple_GET_ITEM(res, 2));
  }
done:
  if (PyErr_Occurred()) {
    char text[512];
    rt_exc_text(text, sizeof text);
    rt_log(RT_LOG_ERROR, "evalframe: scanning %s failed: %s", bf->canon, text);
  }
  Py_XDECREF(mod);
  Py_XDECREF(bps);
  Py_XDECREF(res);
}

static void rt_ef_breakpoints_changed(const char *canon) {
  rt_compat_exc_t saved;
  if (!rt_frame_active) return;
  rt_compat_exc_save(&saved);
  rt_tls_in_debugger++;
  /* a lazily answered file has no code yet (rt_lazy.c): nothing to scan */
  if (canon != NULL) {
    rt_bpfile_t *bf = rt_bpfile_find(canon);
    if (bf == NULL) rt_frame_set_fallback(canon, 0, NULL);
    else if (!bf->lazy) rt_ef_scan(bf);
  } else {
    for (rt_bpfile_t *bf = rt_bpfiles; bf != NULL; bf = bf->next) {
      if (!bf->lazy) rt_ef_scan(bf);
    }
  }
  rt_tls_in_debugger--;
  rt_frame_update_hook();
  rt_compat_exc_restore(&saved);
}

static int rt_ef_install(void) { return rt_frame_install(true); }

const rt_backend_t rt_backend_evalframe = {
    .name = "evalframe",
    .description = "a PEP 523 eval-frame hook",
    .install = rt_ef_install,
    .uninstall = rt_frame_uninstall,
    .breakpoints_changed = rt_ef_breakpoints_changed,
    .exceptions_changed = rt_frame_exceptions_changed,
    .control_changed = rt_frame_control_changed,
    .step_changed = rt_frame_step_changed,
    .thread_started = rt_frame_thread_started,
};

#endif /* RT_HAVE_FRAME_HOOK */
