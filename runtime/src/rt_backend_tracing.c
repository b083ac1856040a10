/* The `tracing` backend ("traditional tracing"): a C trace function on
 * every thread, called for every call, line, return and exception. The
 * baseline the faster backends are measured against, and the fallback.
 *
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
        if (ci->bits == NULL) return 0; /* no breakpoint in this code */
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

const Py_tracefunc rt_tracing_func = rt_trace;

static int rt_tracing_install(void) {
  rt_compat_set_trace_all(rt_trace, NULL);
  rt_tracing_installed = true;
  return 0;
}

static void rt_tracing_uninstall(void) {
  if (!rt_tracing_installed) return;
  rt_compat_set_trace_all(NULL, NULL);
  rt_tracing_installed = false;
}

static void rt_tracing_thread_started(void) {
  if (rt_tracing_installed) PyEval_SetTrace(rt_trace, NULL);
}

const rt_backend_t rt_backend_tracing = {
    .name = "tracing",
    .description = "traditional tracing",
    .install = rt_tracing_install,
    .uninstall = rt_tracing_uninstall,
    .thread_started = rt_tracing_thread_started,
};
