/* The `monitoring` backend (3.12+): sys.monitoring with C builtin
 * callbacks (DESIGN §3, research/runtime.md §5-6).
 *
 * Discovery: no global event. The code objects of a file with breakpoints
 * are found when its breakpoints change (the file's live functions, running
 * frames and suspended generators: _dapper_support.live_codes) and when
 * module code of that file is about to run (the `exec` audit event: every
 * import, the main script, runpy, exec(), pytest's rewritten modules), each
 * with the code nested in its constants; they are registered (codeinfo in
 * co_extra, the per-file registry) and armed before they run.
 *
 * Breakpoint tool (sys.monitoring.DEBUGGER_ID):
 *   PY_START (global)  only while function breakpoints are set (any code
 *                      may match a name): registers the code object and
 *                      returns DISABLE, one call per code object; (local)
 *                      on 3.13 on code with a breakpoint on its RESUME line,
 *                      never disabled (RT_COMPAT_RESUME_LINE_NEEDS_START);
 *   LINE (local)       only on code objects whose lines hold breakpoints;
 *                      returns DISABLE for a line without one;
 *   RAISE (global)     only while `raised`/`userUnhandled` is on.
 * A breakpoint change re-arms the code objects of that file:
 * set_local_events(tool, code, 0) then LINE (never restart_events()).
 *
 * Control tool (a free id, 3 or 4): never returns DISABLE.
 *   LINE               global while "pause all" or stopOnEntry is pending;
 *                      local on the code of a stepping frame and of a code
 *                      with a function breakpoint;
 *   PY_START           global while a thread steps in; local on code with
 *                      a function breakpoint (its fresh frames);
 *   PY_RESUME          global while a thread steps in (a generator or
 *                      coroutine it resumes is stepped into; no function
 *                      breakpoint: a resumed frame is not a fresh call);
 *   PY_RETURN/PY_YIELD local on the stepping frame's code (with LINE; on
 *                      until the last thread stepping in that code ends);
 *   PY_RETURN          also global while a thread steps over and
 *                      showReturnValue is on: its stepping frame's callees'
 *                      return values (filtered by the caller's frame);
 *   PY_UNWIND          global while a step is in progress.
 * Callbacks filter by thread and frame. The hot rule holds: with no
 * breakpoint, step or pause involved no callback runs at all.
 *
 * At a breakpoint line of an armed code both tools get the LINE event, the
 * control tool first: it leaves the line to the bp tool's callback, which
 * then does the control part (park/pause, entry, function breakpoint,
 * step) and the breakpoints in one rt_stop_line(): one stop per line.
 *
 * Otherwise a LINE callback at a breakpoint line first tries the quick decision
 * (rt_engine_line_quick): simple conditions read the triggering frame's
 * fast locals through the internal frame (rt_compat.h), so a false one
 * costs no frame object and no Python call.
 *
 * The `evalframe` backend on 3.12+ is this backend with discovery done by a
 * permanent PEP 523 eval-frame hook instead of the global PY_START: every
 * frame's code is looked up in co_extra (generation compare); a code seen
 * first or stale since a breakpoint change is refreshed and armed
 * (rt_mon_arm: local LINE on the bp tool only where breakpoints are, the
 * control tool for function breakpoints), before the frame runs. Lines,
 * steps, pause and exceptions go through the same callbacks. */
#define RT_COMPAT_INTERNAL_FRAME 1
#define RT_COMPAT_EVAL_HOOK 1
#include "rt_backend.h"

#if RT_HAVE_MONITORING

#include <stdarg.h>
#include <string.h>

#include "rt_channel.h"
#include "rt_engine_priv.h"
#include "rt_exceptions.h"
#include "rt_goto.h"
#include "rt_log.h"
#include "rt_stats.h"
#include "rt_stop.h"
#include "rt_support.h"

/* sys.monitoring.events values (fixed by CPython). */
enum {
  RT_EV_PY_START = 1 << 0,
  RT_EV_PY_RESUME = 1 << 1,
  RT_EV_PY_RETURN = 1 << 2,
  RT_EV_PY_YIELD = 1 << 3,
  RT_EV_LINE = 1 << 5,
  RT_EV_RAISE = 1 << 10,
  RT_EV_PY_UNWIND = 1 << 12,
};

#define RT_ARMED_BP 1   /* bp tool: local LINE */
#define RT_ARMED_STEP 2 /* control tool: local LINE|PY_START (function bp) */
#define RT_ARMED_SEEN 4 /* rt_mon_arm ran (a codeinfo made by a control-tool
                           callback, which runs first, is not armed yet) */
#define RT_ARMED_START 8 /* bp tool: local PY_START too, never disabled
                            (RT_COMPAT_RESUME_LINE_NEEDS_START) */

static PyObject *rt_mon;      /* strong: sys.monitoring */
static PyObject *rt_disable;  /* strong: sys.monitoring.DISABLE */
static int rt_bp_tool = -1, rt_ctl_tool = -1;
static int rt_ctl_global = -1, rt_bp_global = -1; /* last set_events values */
static bool rt_mon_ef;      /* the `evalframe` backend: discovery by the hook */
static bool rt_ef_hook_on;  /* our PEP 523 hook is installed */

/* ---- sys.monitoring calls (cold) ------------------------------------------ */

static void rt_mon_call(const char *name, const char *fmt, ...) {
  PyObject *func = NULL, *args = NULL, *res = NULL;
  va_list ap;
  rt_compat_exc_t saved;

  if (rt_mon == NULL) return;
  rt_compat_exc_save(&saved);
  rt_tls_in_debugger++;
  func = PyObject_GetAttrString(rt_mon, name);
  va_start(ap, fmt);
  args = Py_VaBuildValue(fmt, ap);
  va_end(ap);
  if (func != NULL && args != NULL) res = PyObject_Call(func, args, NULL);
  if (res == NULL) {
    char text[512];
    rt_exc_text(text, sizeof text);
    rt_log(RT_LOG_ERROR, "sys.monitoring.%s failed: %s", name, text);
  }
  Py_XDECREF(func);
  Py_XDECREF(args);
  Py_XDECREF(res);
  rt_tls_in_debugger--;
  PyErr_Clear();
  rt_compat_exc_restore(&saved);
}

static void rt_set_local(int tool, PyObject *code, int events) {
  rt_mon_call("set_local_events", "(iOi)", tool, code, events);
}

/* The control tool's local events for a code object, apart from steps. */
static int rt_ctl_base_events(const rt_codeinfo_t *ci) {
  return ci != NULL && ci->funcbp_id != 0 ? (RT_EV_LINE | RT_EV_PY_START) : 0;
}

/* Brings a (current) codeinfo's local events in line with its breakpoints.
 * The bp tool is always cleared first so lines that returned DISABLE come
 * back. */
/* True when a breakpoint is on the line of the code's RESUME (3.13: that
 * line's LINE event needs RESUME kept instrumented). */
static bool rt_mon_bp_on_resume_line(rt_codeinfo_t *ci) {
  int line = 0;
  if (!RT_COMPAT_RESUME_LINE_NEEDS_START || ci->bits == NULL) return false;
  line = rt_compat_resume_line(ci->code);
  return line > 0 && rt_codeinfo_has_line(ci, line);
}

static void rt_mon_arm(rt_codeinfo_t *ci) {
  bool want_bp = ci->bits != NULL;
  bool want_step = ci->funcbp_id != 0;
  bool want_start = want_bp && rt_mon_bp_on_resume_line(ci);

  if (want_bp || (ci->armed & RT_ARMED_BP)) {
    rt_set_local(rt_bp_tool, ci->code, 0);
    if (want_bp) {
      rt_set_local(rt_bp_tool, ci->code,
                   RT_EV_LINE | (want_start ? RT_EV_PY_START : 0));
    }
  }
  if (want_step != ((ci->armed & RT_ARMED_STEP) != 0)) {
    rt_set_local(rt_ctl_tool, ci->code, rt_ctl_base_events(ci));
  }
  ci->armed = RT_ARMED_SEEN | (want_bp ? RT_ARMED_BP : 0) |
              (want_step ? RT_ARMED_STEP : 0) | (want_start ? RT_ARMED_START : 0);
}

static void rt_mon_refresh_and_arm(rt_codeinfo_t *ci) {
  ci = rt_engine_codeinfo(ci->code, NULL); /* refresh for this generation */
  if (ci != NULL) rt_mon_arm(ci);
}

static void rt_mon_disarm(rt_codeinfo_t *ci) {
  if (ci->armed & RT_ARMED_BP) rt_set_local(rt_bp_tool, ci->code, 0);
  if (ci->armed & RT_ARMED_STEP) rt_set_local(rt_ctl_tool, ci->code, 0);
  ci->armed = 0;
}

/* ---- the `evalframe` hook (PEP 523) ------------------------------------- */

static RT_TLS int rt_ef_busy; /* refreshing a codeinfo (re-entry) */

static PyObject *rt_ef_hook(PyThreadState *ts, rt_iframe_t *f, int throwflag) {
  PyObject *code = rt_compat_iframe_code(f);
  rt_codeinfo_t *ci = NULL;

  rt_stat_inc(RT_STAT_FRAME_EVAL);
  if (code != NULL && PyCode_Check(code)) {
    ci = rt_engine_codeinfo_peek(code);
    if ((ci == NULL || ci->gen != rt_engine_gen) && rt_ef_busy == 0 && rt_mon != NULL) {
      rt_ef_busy++;
      ci = rt_engine_codeinfo(code, rt_compat_iframe_globals(f));
      if (ci != NULL) rt_mon_arm(ci); /* before the frame's first instruction */
      rt_ef_busy--;
    }
    /* its code has local events (breakpoint lines, function breakpoint) */
    if (ci != NULL && ci->armed != 0) rt_stat_inc(RT_STAT_FRAMES_TRACED);
  }
  return rt_compat_eval_default(ts, f, throwflag);
}

/* ---- callbacks (hot: C only unless a breakpoint/step/pause is involved) -- */

/* The thread, or NULL when the callback must do nothing. */
static inline rt_thread_t *rt_mon_thread(void) {
  rt_thread_t *t = NULL;
  rt_stat_inc(RT_STAT_MON_CALLBACKS); /* every callback calls this once */
  if (rt_tls_in_debugger) return NULL;
  t = rt_threads_current();
  return t == NULL || rt_thread_is_gone(t) ? NULL : t;
}

/* The line number argument of a LINE event (an int; -1 if not). */
static inline int rt_mon_line(PyObject *arg) {
  long long v = 0;
  if (PyLong_CheckExact(arg) && rt_compat_long_compact(arg, &v)) return (int)v;
  v = PyLong_AsLong(arg);
  if (v == -1 && PyErr_Occurred()) PyErr_Clear();
  return (int)v;
}

static PyObject *rt_cb_bp_start(PyObject *self, PyObject *const *args,
                                Py_ssize_t nargs) {
  rt_codeinfo_t *ci = NULL;
  rt_thread_t *t = NULL;

  if (nargs < 1) Py_RETURN_NONE;
  ci = rt_engine_codeinfo_peek(args[0]);
  if (ci != NULL && ci->modname == NULL) {
    rt_engine_codeinfo_module(ci, PyEval_GetGlobals()); /* seen by the audit hook */
  }
  if (ci == NULL || ci->gen != rt_engine_gen || !(ci->armed & RT_ARMED_SEEN)) {
    ci = rt_engine_codeinfo(args[0], PyEval_GetGlobals());
    if (ci != NULL) rt_mon_arm(ci);
  }
  t = rt_mon_thread();
  if (ci != NULL && t != NULL && ci->funcbp_id != 0) {
    rt_stop_frame_start(t, ci, (PyObject *)PyEval_GetFrame());
  }
  if (ci != NULL && (ci->armed & RT_ARMED_START)) Py_RETURN_NONE;
  rt_stat_inc(RT_STAT_MON_DISABLED);
  Py_INCREF(rt_disable);
  return rt_disable;
}

static PyObject *rt_cb_bp_line(PyObject *self, PyObject *const *args,
                               Py_ssize_t nargs) {
  rt_codeinfo_t *ci = NULL;
  rt_thread_t *t = NULL;
  int line = 0;

  if (nargs < 2) Py_RETURN_NONE;
  t = rt_mon_thread();
  if (t == NULL) Py_RETURN_NONE; /* never DISABLE for the debugger's own work */
  ci = rt_engine_codeinfo(args[0], NULL);
  line = rt_mon_line(args[1]);
  if (ci == NULL || !rt_codeinfo_has_line(ci, line)) {
    rt_stat_inc(RT_STAT_MON_DISABLED);
    Py_INCREF(rt_disable);
    return rt_disable;
  }
  if (rt_stop_control_needed(t)) {
    /* the control tool left this line to us: one decision, one stop */
    rt_stop_line(t, ci, (PyObject *)PyEval_GetFrame(), line,
                 RT_LINE_CONTROL | RT_LINE_BREAKPOINTS);
    Py_RETURN_NONE;
  }
  if (rt_engine_line_quick(ci, line, rt_compat_callback_fastlocals(args[0]))) {
    Py_RETURN_NONE; /* nothing fires: stay armed, no frame object made */
  }
  rt_stop_line(t, ci, (PyObject *)PyEval_GetFrame(), line, RT_LINE_BREAKPOINTS);
  Py_RETURN_NONE;
}

static PyObject *rt_cb_bp_raise(PyObject *self, PyObject *const *args,
                                Py_ssize_t nargs) {
  rt_thread_t *t = rt_mon_thread();
  if (t != NULL && nargs >= 3) {
    rt_exceptions_raise(t, (PyObject *)PyEval_GetFrame(), args[2], NULL);
  }
  Py_RETURN_NONE;
}

static PyObject *rt_cb_ctl_line(PyObject *self, PyObject *const *args,
                                Py_ssize_t nargs) {
  rt_thread_t *t = rt_mon_thread();
  rt_codeinfo_t *ci = NULL;

  int line = 0;

  if (t == NULL || nargs < 2 || !rt_stop_control_needed(t)) Py_RETURN_NONE;
  ci = rt_engine_codeinfo(args[0], NULL);
  if (ci == NULL) Py_RETURN_NONE;
  line = rt_mon_line(args[1]);
  /* A breakpoint line of an armed code: the bp tool's LINE callback for
   * this same event comes next (tools run from the highest id down) and
   * does the control part too, so a step or pause landing there and the
   * line's breakpoints make one stop, not two. */
  if ((ci->armed & RT_ARMED_BP) && rt_codeinfo_has_line(ci, line)) Py_RETURN_NONE;
  rt_stop_line(t, ci, (PyObject *)PyEval_GetFrame(), line, RT_LINE_CONTROL);
  Py_RETURN_NONE;
}

/* Stepping in: `frame` (borrowed, running `code`) is the one to stop in. */
static void rt_mon_step_into(rt_thread_t *t, PyObject *frame, PyObject *code) {
  Py_INCREF(frame);
  Py_XSETREF(t->step_frame, frame);
  Py_INCREF(code);
  Py_XSETREF(t->step_code, code);
  rt_backend_step_changed(t);
}

static PyObject *rt_cb_ctl_start(PyObject *self, PyObject *const *args,
                                 Py_ssize_t nargs) {
  rt_thread_t *t = rt_mon_thread();
  rt_codeinfo_t *ci = NULL;
  PyObject *frame = NULL;

  if (t == NULL || nargs < 1) Py_RETURN_NONE;
  ci = rt_engine_codeinfo(args[0], PyEval_GetGlobals());
  if (ci == NULL) Py_RETURN_NONE;
  frame = (PyObject *)PyEval_GetFrame();
  if (ci->funcbp_id != 0) rt_stop_frame_start(t, ci, frame);
  if (t->step_kind == RT_STEP_IN && !ci->hidden && frame != NULL &&
      !rt_step_skips(t, ci) && rt_step_target_allows(t, frame)) {
    rt_mon_step_into(t, frame, args[0]);
  }
  Py_RETURN_NONE;
}

/* PY_RESUME (global while a thread steps in): a generator or coroutine
 * resumed by the stepping thread is where the step-in lands (its next
 * line). Not a fresh call: no function-breakpoint handling. */
static PyObject *rt_cb_ctl_resume(PyObject *self, PyObject *const *args,
                                  Py_ssize_t nargs) {
  rt_thread_t *t = rt_mon_thread();
  rt_codeinfo_t *ci = NULL;
  PyObject *frame = NULL;

  if (t == NULL || nargs < 1 || t->step_kind != RT_STEP_IN) Py_RETURN_NONE;
  ci = rt_engine_codeinfo(args[0], PyEval_GetGlobals());
  if (ci == NULL || ci->hidden || rt_step_skips(t, ci)) Py_RETURN_NONE;
  frame = (PyObject *)PyEval_GetFrame();
  if (frame != NULL && rt_step_target_allows(t, frame)) rt_mon_step_into(t, frame, args[0]);
  Py_RETURN_NONE;
}

/* PY_RETURN, PY_YIELD (code, offset, value) and PY_UNWIND (code, offset,
 * exception) of a stepping frame or a function-breakpoint frame; t from
 * rt_mon_thread(). */
static void rt_mon_frame_exit(rt_thread_t *t, rt_exit_t how, PyObject *const *args,
                              Py_ssize_t nargs) {
  if (t != NULL && (t->step_kind != RT_STEP_NONE || t->funcbp_frame != NULL)) {
    rt_stop_frame_exit(t, (PyObject *)PyEval_GetFrame(), how,
                       how != RT_EXIT_UNWIND && nargs >= 3 ? args[2] : NULL);
  }
}

static PyObject *rt_cb_ctl_unwind(PyObject *self, PyObject *const *args,
                                  Py_ssize_t nargs) {
  rt_mon_frame_exit(rt_mon_thread(), RT_EXIT_UNWIND, args, nargs);
  Py_RETURN_NONE;
}

static void rt_mon_control_changed(void);

/* PY_RETURN: local on the stepping frame's code; global while a thread
 * steps over (rt_mon_control_changed), for the returns of its stepping
 * frame's callees (kept for the "Return value" scope). */
static PyObject *rt_cb_ctl_return(PyObject *self, PyObject *const *args,
                                  Py_ssize_t nargs) {
  rt_thread_t *t = rt_mon_thread();

  if (t == NULL || nargs < 3) Py_RETURN_NONE;
  if (rt_stop_records_calls(t) && t->step_frame != NULL) {
    if (rt_compat_callback_caller_is(t->step_frame)) {
      rt_stop_call_returned(t, args[0], args[2]); /* (maybe a recursion) */
      t->calls_others = 0;
    } else if (args[0] != t->step_code && ++t->calls_others > RT_RET_OTHERS_MAX) {
      /* A callee making many calls: the global event would cost a
       * callback per return (a step over a heavy call stays at full
       * speed instead). This step shows no return values at all rather
       * than some of them. */
      t->calls_off = true;
      rt_stop_calls_clear(t);
      rt_mon_control_changed();
    }
  }
  /* Another frame's return, reported by the global event: not ours. */
  if (args[0] != t->step_code && t->funcbp_frame == NULL) Py_RETURN_NONE;
  rt_mon_frame_exit(t, RT_EXIT_RETURN, args, nargs);
  Py_RETURN_NONE;
}

static PyObject *rt_cb_ctl_yield(PyObject *self, PyObject *const *args,
                                 Py_ssize_t nargs) {
  rt_mon_frame_exit(rt_mon_thread(), RT_EXIT_YIELD, args, nargs);
  Py_RETURN_NONE;
}

static PyMethodDef rt_cb_defs[] = {
    {"bp_start", (PyCFunction)(void (*)(void))rt_cb_bp_start, METH_FASTCALL, NULL},
    {"bp_line", (PyCFunction)(void (*)(void))rt_cb_bp_line, METH_FASTCALL, NULL},
    {"bp_raise", (PyCFunction)(void (*)(void))rt_cb_bp_raise, METH_FASTCALL, NULL},
    {"ctl_line", (PyCFunction)(void (*)(void))rt_cb_ctl_line, METH_FASTCALL, NULL},
    {"ctl_start", (PyCFunction)(void (*)(void))rt_cb_ctl_start, METH_FASTCALL, NULL},
    {"ctl_unwind", (PyCFunction)(void (*)(void))rt_cb_ctl_unwind, METH_FASTCALL, NULL},
    {"ctl_return", (PyCFunction)(void (*)(void))rt_cb_ctl_return, METH_FASTCALL, NULL},
    {"ctl_resume", (PyCFunction)(void (*)(void))rt_cb_ctl_resume, METH_FASTCALL, NULL},
    {"ctl_yield", (PyCFunction)(void (*)(void))rt_cb_ctl_yield, METH_FASTCALL, NULL},
};

/* performance_monitoring: the same callbacks, timed (rt_stats.h). */
#define RT_TIMED_CB(name)                                                        \
  static PyObject *name##_timed(PyObject *self, PyObject *const *args,           \
                                Py_ssize_t nargs) {                              \
    unsigned stops = rt_tls_stops;                                               \
    uint64_t t0 = rt_perf_now();                                                 \
    PyObject *res = name(self, args, nargs);                                     \
    rt_perf_end(t0, stops);                                                      \
    return res;                                                                  \
  }
RT_TIMED_CB(rt_cb_bp_start)
RT_TIMED_CB(rt_cb_bp_line)
RT_TIMED_CB(rt_cb_bp_raise)
RT_TIMED_CB(rt_cb_ctl_line)
RT_TIMED_CB(rt_cb_ctl_start)
RT_TIMED_CB(rt_cb_ctl_unwind)
RT_TIMED_CB(rt_cb_ctl_return)
RT_TIMED_CB(rt_cb_ctl_resume)
RT_TIMED_CB(rt_cb_ctl_yield)
#undef RT_TIMED_CB

static PyMethodDef rt_cb_defs_timed[] = {
    {"bp_start", (PyCFunction)(void (*)(void))rt_cb_bp_start_timed, METH_FASTCALL, NULL},
    {"bp_line", (PyCFunction)(void (*)(void))rt_cb_bp_line_timed, METH_FASTCALL, NULL},
    {"bp_raise", (PyCFunction)(void (*)(void))rt_cb_bp_raise_timed, METH_FASTCALL, NULL},
    {"ctl_line", (PyCFunction)(void (*)(void))rt_cb_ctl_line_timed, METH_FASTCALL, NULL},
    {"ctl_start", (PyCFunction)(void (*)(void))rt_cb_ctl_start_timed, METH_FASTCALL, NULL},
    {"ctl_unwind", (PyCFunction)(void (*)(void))rt_cb_ctl_unwind_timed, METH_FASTCALL, NULL},
    {"ctl_return", (PyCFunction)(void (*)(void))rt_cb_ctl_return_timed, METH_FASTCALL, NULL},
    {"ctl_resume", (PyCFunction)(void (*)(void))rt_cb_ctl_resume_timed, METH_FASTCALL, NULL},
    {"ctl_yield", (PyCFunction)(void (*)(void))rt_cb_ctl_yield_timed, METH_FASTCALL, NULL},
};

static int rt_register(int tool, int event, int def) {
  PyObject *fn = PyCFunction_New(rt_perf_on ? &rt_cb_defs_timed[def] : &rt_cb_defs[def], NULL);
  PyObject *res = NULL;
  if (fn == NULL) return -1;
  res = PyObject_CallMethod(rt_mon, "register_callback", "iiO", tool, event, fn);
  Py_DECREF(fn);
  if (res == NULL) return -1;
  Py_DECREF(res);
  return 0;
}

/* ---- backend hooks -------------------------------------------------------- */

/* True when a thread steps over with return values shown: its stepping
 * frame's callees' returns are wanted. */
static bool rt_mon_any_records_calls(void) {
  bool any = false;
  if (rt_nstepping <= rt_nstepping_in || !rt_show_return_value) return false;
  rt_threads_lock();
  for (rt_thread_t *o = rt_threads_first_locked(); o != NULL && !any; o = o->next) {
    any = rt_stop_records_calls(o);
  }
  rt_threads_unlock();
  return any;
}

static void rt_mon_control_changed(void) {
  int ev = 0;
  if (rt_mon == NULL) return;
  if (atomic_load(&rt_pause_all) || atomic_load(&rt_entry_pending)) ev |= RT_EV_LINE;
  if (rt_nstepping_in > 0) ev |= RT_EV_PY_START | RT_EV_PY_RESUME;
  if (rt_nstepping > 0) ev |= RT_EV_PY_UNWIND;
  if (rt_mon_any_records_calls()) ev |= RT_EV_PY_RETURN;
  if (ev != rt_ctl_global) {
    rt_ctl_global = ev;
    rt_mon_call("set_events", "(ii)", rt_ctl_tool, ev);
  }
}

static void rt_mon_exceptions_changed(void) {
  /* function breakpoints: any code may match (evalframe: the hook sees it) */
  int ev = !rt_mon_ef && rt_engine_nfuncbps > 0 ? RT_EV_PY_START : 0;
  if (rt_mon == NULL) return;
  if (rt_exc_raised || rt_exc_user_unhandled) ev |= RT_EV_RAISE;
  if (ev != rt_bp_global) {
    rt_bp_global = ev;
    rt_mon_call("set_events", "(ii)", rt_bp_tool, ev);
  }
}

/* Registers the live code objects of a file with breakpoints. */
static void rt_mon_scan(const char *canon) {
  PyObject *codes = NULL;
  rt_compat_exc_t saved;
  rt_channel_t *ch = rt_channel_get();
  bool early = false;

  rt_compat_exc_save(&saved);
  rt_tls_in_debugger++;
  /* before `start` (the program held before its first line), a file no
   * module was loaded from has no code: no heap scan per setBreakpoints */
  early = ch != NULL && rt_channel_is_holding(ch);
  codes = rt_support_call("live_codes", "(sO)", canon, early ? Py_True : Py_False);
  for (Py_ssize_t i = 0; codes != NULL && PyList_Check(codes) && i < PyList_GET_SIZE(codes);
       i++) {
    PyObject *code = PyList_GET_ITEM(codes, i);
    if (PyCode_Check(code)) (void)rt_engine_codeinfo(code, NULL); /* armed below */
  }
  if (codes == NULL) {
    char text[512];
    rt_exc_text(text, sizeof text);
    rt_log(RT_LOG_ERROR, "monitoring: finding the code of %s failed: %s", canon, text);
  }
  Py_XDECREF(codes);
  rt_tls_in_debugger--;
  PyErr_Clear();
  rt_compat_exc_restore(&saved);
}

static bool rt_mon_scan_all; /* installed: scan every file with breakpoints once */

static void rt_mon_breakpoints_changed(const char *canon) {
  if (rt_mon == NULL) return;
  if (!rt_mon_ef) {
    if (canon == NULL) rt_mon_exceptions_changed(); /* function breakpoints */
    /* a lazily answered file has no code yet (rt_lazy.c): nothing to find */
    if (canon != NULL) {
      rt_bpfile_t *bf = rt_bpfile_find(canon);
      if (bf != NULL && bf->n > 0 && !bf->lazy) rt_mon_scan(bf->canon);
    } else {
      for (rt_bpfile_t *bf = rt_bpfiles; bf != NULL && rt_mon_scan_all; bf = bf->next) {
        if (bf->n > 0 && !bf->lazy) rt_mon_scan(bf->canon);
      }
    }
    rt_mon_scan_all = false;
  }
  if (canon != NULL) {
    rt_bpfile_t *bf = rt_bpfile_find(canon);
    if (bf != NULL && bf->lazy) return;
  }
  rt_engine_foreach_code(canon, rt_mon_refresh_and_arm);
}

/* The exec audit hook: module code about to run; when its file has
 * breakpoints, it and the code nested in it are registered and armed. */
static void rt_mon_code_executed(PyObject *code) {
  rt_bpfile_t *bf = NULL;
  if (rt_mon == NULL || rt_mon_ef) return;
  bf = rt_engine_code_bpfile(code);
  if (bf == NULL || bf->n == 0) return;
  rt_engine_codeinfo_tree(code, rt_mon_arm);
}

/* True when a thread other than t steps in `code` (its mon_code): the
 * code's step events stay on until the last step using them ends. Every
 * mon_code is written with the GIL held, which the caller holds. */
static bool rt_mon_code_stepped_by_other(const rt_thread_t *t, PyObject *code) {
  bool used = false;
  rt_threads_lock();
  for (rt_thread_t *o = rt_threads_first_locked(); o != NULL && !used; o = o->next) {
    used = o != t && o->mon_code == code;
  }
  rt_threads_unlock();
  return used;
}

static void rt_mon_step_changed(rt_thread_t *t) {
  PyObject *old = t->mon_code; /* strong, or NULL */
  rt_codeinfo_t *ci = NULL;

  if (rt_mon == NULL) return;
  t->mon_code = NULL;
  if (old != NULL && (t->step_kind == RT_STEP_NONE || old != t->step_code) &&
      !rt_mon_code_stepped_by_other(t, old)) {
    rt_set_local(rt_ctl_tool, old, rt_ctl_base_events(rt_engine_codeinfo_peek(old)));
  }
  if (t->step_kind != RT_STEP_NONE && t->step_code != NULL) {
    ci = rt_engine_codeinfo_peek(t->step_code);
    rt_set_local(rt_ctl_tool, t->step_code,
                 rt_ctl_base_events(ci) | RT_EV_LINE | RT_EV_PY_RETURN |
                     RT_EV_PY_YIELD);
    Py_INCREF(t->step_code);
    t->mon_code = t->step_code;
  }
  Py_XDECREF(old);
  rt_mon_control_changed(); /* a `next` started or ended: global PY_RETURN */
}

static int rt_claim_tool(int tool, const char *name) {
  PyObject *res = PyObject_CallMethod(rt_mon, "use_tool_id", "is", tool, name);
  if (res == NULL) {
    PyErr_Clear();
    return -1;
  }
  Py_DECREF(res);
  return 0;
}

static void rt_mon_uninstall(void);

static int rt_mon_install_mode(bool ef) {
  PyObject *sys_mon = PySys_GetObject("monitoring"); /* borrowed */

  rt_mon_ef = ef;
  if (ef && rt_compat_eval_hook_owner(rt_ef_hook) < 0) {
    PyErr_SetString(PyExc_RuntimeError,
                    "another tool owns the PEP 523 eval-frame hook");
    return -1;
  }
  if (sys_mon == NULL) {
    PyErr_SetString(PyExc_RuntimeError, "sys.monitoring is missing");
    return -1;
  }
  Py_INCREF(sys_mon);
  rt_mon = sys_mon;
  rt_disable = PyObject_GetAttrString(rt_mon, "DISABLE");
  if (rt_disable == NULL) goto error;
  rt_bp_tool = 0; /* sys.monitoring.DEBUGGER_ID */
  if (rt_claim_tool(rt_bp_tool, "dapper") < 0) {
    PyErr_SetString(PyExc_RuntimeError,
                    "sys.monitoring.DEBUGGER_ID is in use by another tool");
    rt_bp_tool = -1;
    goto error;
  }
  rt_ctl_tool = rt_claim_tool(3, "dapper-control") == 0 ? 3
                : rt_claim_tool(4, "dapper-control") == 0 ? 4 : -1;
  if (rt_ctl_tool < 0) {
    PyErr_SetString(PyExc_RuntimeError, "no free sys.monitoring tool id (3, 4)");
    goto error;
  }
  if (rt_register(rt_bp_tool, RT_EV_PY_START, 0) < 0 ||
      rt_register(rt_bp_tool, RT_EV_LINE, 1) < 0 ||
      rt_register(rt_bp_tool, RT_EV_RAISE, 2) < 0 ||
      rt_register(rt_ctl_tool, RT_EV_LINE, 3) < 0 ||
      rt_register(rt_ctl_tool, RT_EV_PY_START, 4) < 0 ||
      rt_register(rt_ctl_tool, RT_EV_PY_RETURN, 6) < 0 ||
      rt_register(rt_ctl_tool, RT_EV_PY_YIELD, 8) < 0 ||
      rt_register(rt_ctl_tool, RT_EV_PY_UNWIND, 5) < 0 ||
      rt_register(rt_ctl_tool, RT_EV_PY_RESUME, 7) < 0) {
    goto error;
  }
  rt_ctl_global = rt_bp_global = -1;
  rt_mon_scan_all = true;
  rt_mon_exceptions_changed();
  rt_mon_control_changed();
  rt_mon_breakpoints_changed(NULL); /* code seen before (another backend) */
  if (ef) {
    rt_compat_set_eval_hook(rt_ef_hook);
    rt_ef_hook_on = true;
    rt_log(RT_LOG_INFO, "eval-frame hook installed");
  }
  return 0;
error:
  {
    rt_compat_exc_t saved;
    rt_compat_exc_save(&saved);
    rt_mon_uninstall();
    rt_compat_exc_restore(&saved);
  }
  return -1;
}

static int rt_mon_install(void) { return rt_mon_install_mode(false); }
static int rt_ef_install(void) { return rt_mon_install_mode(true); }

static void rt_mon_uninstall(void) {
  if (rt_ef_hook_on) {
    rt_compat_set_eval_hook(NULL);
    rt_ef_hook_on = false;
    rt_log(RT_LOG_INFO, "eval-frame hook removed");
  }
  if (rt_mon == NULL) return;
  rt_engine_foreach_code(NULL, rt_mon_disarm);
  for (int i = 0; i < 2; i++) {
    int tool = i == 0 ? rt_bp_tool : rt_ctl_tool;
    if (tool < 0) continue;
    rt_mon_call("set_events", "(ii)", tool, 0);
    static const int evs[] = {RT_EV_PY_START, RT_EV_LINE, RT_EV_RAISE,
                              RT_EV_PY_RETURN, RT_EV_PY_YIELD, RT_EV_PY_UNWIND,
                              RT_EV_PY_RESUME};
    for (size_t k = 0; k < sizeof evs / sizeof evs[0]; k++) {
      rt_mon_call("register_callback", "(iiO)", tool, evs[k], Py_None);
    }
    rt_mon_call("free_tool_id", "(i)", tool);
  }
  rt_bp_tool = rt_ctl_tool = -1;
  Py_CLEAR(rt_disable);
  Py_CLEAR(rt_mon);
}

const rt_backend_t rt_backend_monitoring = {
    .name = "monitoring",
    .description = "sys.monitoring",
    .install = rt_mon_install,
    .uninstall = rt_mon_uninstall,
    .breakpoints_changed = rt_mon_breakpoints_changed,
    .exceptions_changed = rt_mon_exceptions_changed,
    .control_changed = rt_mon_control_changed,
    .step_changed = rt_mon_step_changed,
    .code_executed = rt_mon_code_executed,
};

const rt_backend_t rt_backend_evalframe = {
    .name = "evalframe",
    .description = "a PEP 523 eval-frame hook",
    .install = rt_ef_install,
    .uninstall = rt_mon_uninstall,
    .breakpoints_changed = rt_mon_breakpoints_changed,
    .exceptions_changed = rt_mon_exceptions_changed,
    .control_changed = rt_mon_control_changed,
    .step_changed = rt_mon_step_changed,
};

#endif
