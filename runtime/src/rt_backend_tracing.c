/* The `tracing` backend ("traditional tracing"): a C trace function on
 * every thread, called for every call, return and exception, and for the
 * lines of the frames that may stop. The baseline the faster backends are
 * measured against, and the fallback.
 *
 * selective_tracing (the default): a frame whose code has no breakpoint
 * line and no function breakpoint, while no step, pause or entry stop is
 * pending, gets its line events turned off (f_trace_lines) at its call
 * event or at its first line; a breakpoint change, step or pause turns
 * them on again in every running frame. `false`: every line is traced.
 * Per line it costs a co_extra lookup, a generation compare and a bitmap
 * test when no breakpoint, step or pause is involved. Threads started
 * later get the trace function from the threading bootstrap hook
 * (rt_backend_thread_started). At a breakpoint line, simple conditions
 * are decided over the frame's fast locals (rt_engine_line_quick). */
#define RT_COMPAT_INTERNAL_FRAME 1
#include "rt_backend.h"

#include "rt_engine.h"
#include "rt_exceptions.h"
#include "rt_stats.h"
#include "rt_stop.h"

static bool rt_tracing_installed;
static Py_tracefunc rt_tracing_active; /* rt_trace, or rt_trace_timed */
bool rt_selective_tracing = true;

/* selective_tracing: this frame runs without line events (the frame's
 * f_trace_lines, which 3.11's line tracing and 3.12+'s legacy tracing both
 * honour); they come back by rt_tracing_lines_on. */
static inline void rt_trace_lines_off(PyFrameObject *frame) {
  if (frame->f_trace_lines) {
    frame->f_trace_lines = 0;
    rt_stat_inc(RT_STAT_LINES_OFF);
  }
}

/* Line events for every frame of every thread again (GIL held): a
 * breakpoint, step or pause may need a frame that runs without them. Each
 * frame that needs none turns them off again at its next line. */
static void rt_tracing_lines_on(void) {
  PyInterpreterState *interp = NULL;
  if (!rt_tracing_installed) return;
  interp = PyInterpreterState_Get();
  for (PyThreadState *ts = PyInterpreterState_ThreadHead(interp); ts != NULL;
       ts = PyThreadState_Next(ts)) {
    PyFrameObject *f = PyThreadState_GetFrame(ts); /* new or NULL */
    while (f != NULL) {
      PyFrameObject *back = PyFrame_GetBack(f);
      f->f_trace_lines = 1;
      Py_DECREF(f);
      f = back;
    }
  }
}

static int rt_trace(PyObject *obj, PyFrameObject *frame, int what, PyObject *arg) {
  rt_thread_t *t = NULL;
  PyCodeObject *code = NULL;
  rt_codeinfo_t *ci = NULL;

  (void)obj;
  rt_stat_inc(RT_STAT_TRACE_CALLS);
  if (rt_tls_in_debugger) return 0;
  t = rt_threads_current();
  if (t == NULL || rt_thread_is_gone(t)) return 0;
  code = PyFrame_GetCode(frame); /* new; alive as long as the frame runs */
  Py_DECREF(code);

  switch (what) {
    case PyTrace_LINE: {
      int line = 0;
      ci = rt_engine_codeinfo((PyObject *)code, NULL);
      if (ci == NULL) return 0;
      if (!rt_stop_control_needed(t)) {
        if (ci->bits == NULL) { /* no breakpoint in this code */
          if (rt_selective_tracing) rt_trace_lines_off(frame);
          return 0;
        }
        line = PyFrame_GetLineNumber(frame);
        if (!rt_codeinfo_has_line(ci, line) ||
            rt_engine_line_quick(
                ci, line, rt_compat_frame_fastlocals(frame, (PyObject *)code))) {
          return 0;
        }
      } else {
        line = PyFrame_GetLineNumber(frame);
      }
      rt_stop_line(t, ci, (PyObject *)frame, line,
                   RT_LINE_CONTROL | RT_LINE_BREAKPOINTS);
      return 0;
    }
    case PyTrace_CALL:
      rt_stop_trace_call(t, frame, code);
      if (rt_selective_tracing) {
        /* a resumed generator's frame may have run without them before */
        ci = rt_engine_codeinfo_peek((PyObject *)code); /* fresh: the call made it */
        if (!rt_stop_control_needed(t) && ci != NULL && ci->gen == rt_engine_gen &&
            ci->bits == NULL && ci->funcbp_id == 0) {
          rt_trace_lines_off(frame);
        } else {
          frame->f_trace_lines = 1;
        }
      }
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
    default:
      return 0;
  }
}

/* performance_monitoring: rt_trace, timed (rt_stats.h). */
static int rt_trace_timed(PyObject *obj, PyFrameObject *frame, int what, PyObject *arg) {
  unsigned stops = rt_tls_stops;
  uint64_t t0 = rt_perf_now();
  int rc = rt_trace(obj, frame, what, arg);
  rt_perf_end(t0, stops);
  return rc;
}

const Py_tracefunc rt_tracing_func = rt_trace;
const Py_tracefunc rt_tracing_func_timed = rt_trace_timed;

static int rt_tracing_install(void) {
  rt_tracing_active = rt_perf_on ? rt_trace_timed : rt_trace;
  rt_compat_set_trace_all(rt_tracing_active, NULL);
  rt_tracing_installed = true;
  return 0;
}

static void rt_tracing_uninstall(void) {
  if (!rt_tracing_installed) return;
  rt_tracing_lines_on(); /* the next backend may trace (3.11 scoped tracing) */
  rt_compat_set_trace_all(NULL, NULL);
  rt_tracing_installed = false;
}

static void rt_tracing_thread_started(void) {
  if (rt_tracing_installed) PyEval_SetTrace(rt_tracing_active, NULL);
}

/* Breakpoints, steps, pause, entry: frames that ran without line events
 * may need them now. */
static void rt_tracing_breakpoints_changed(const char *canon) {
  (void)canon;
  rt_tracing_lines_on();
}

static void rt_tracing_step_changed(rt_thread_t *t) {
  (void)t;
  rt_tracing_lines_on();
}

const rt_backend_t rt_backend_tracing = {
    .name = "tracing",
    .description = "traditional tracing",
    .install = rt_tracing_install,
    .uninstall = rt_tracing_uninstall,
    .thread_started = rt_tracing_thread_started,
    .breakpoints_changed = rt_tracing_breakpoints_changed,
    .control_changed = rt_tracing_lines_on,
    .step_changed = rt_tracing_step_changed,
};
