/* See rt_exceptions.h. */
#include "rt_exceptions.h"

#include "rt_engine.h"
#include "rt_stop.h"

/* The code info of a frame (borrowed frame), or NULL. */
static rt_codeinfo_t *rt_frame_ci(PyObject *frame) {
  PyCodeObject *code = PyFrame_GetCode((PyFrameObject *)frame);
  rt_codeinfo_t *ci = rt_engine_codeinfo((PyObject *)code, NULL);
  Py_DECREF(code);
  return ci;
}

/* Each exception is reported once per filter kind as it propagates, and
 * an exception reported as userUnhandled is not reported again as
 * uncaught. The last one is kept (strong) so its identity cannot be
 * recycled. */
static void rt_remember(PyObject **slot, PyObject *exc) {
  Py_INCREF(exc);
  Py_XSETREF(*slot, exc);
}

/* rt_engine_exception with the exception kept on t for the stop
 * (exceptionInfo). */
static void rt_exception_stop(rt_thread_t *t, const char *kind, PyObject *exc,
                              PyObject *frame, PyObject *tb) {
  PyObject *prev = t->stop_exc;
  const char *prev_kind = t->stop_exc_kind;
  t->stop_exc = exc;
  t->stop_exc_kind = kind;
  (void)rt_engine_exception(t, kind, exc, frame, tb);
  t->stop_exc = prev;
  t->stop_exc_kind = prev_kind;
}

void rt_exceptions_raise(rt_thread_t *t, PyObject *frame, PyObject *exc,
                         PyObject *tb_arg) {
  PyObject *tb = NULL;
  PyTracebackObject *tbo = NULL;
  rt_codeinfo_t *ci = NULL;

  if (exc == NULL || !PyExceptionInstance_Check(exc)) return;
  if (tb_arg != NULL && PyTraceBack_Check(tb_arg)) {
    Py_INCREF(tb_arg);
    tb = tb_arg;
  } else {
    tb = PyException_GetTraceback(exc); /* new or NULL */
  }
  if (tb == NULL) return;
  tbo = (PyTracebackObject *)tb;
  ci = rt_frame_ci(frame);
  if (ci == NULL || ci->hidden) goto done;
  if (tbo->tb_next == NULL) {
    /* raised here: `raised` reports it in user code */
    if (rt_exc_raised && !ci->library && t->last_raised != exc) {
      rt_remember(&t->last_raised, exc);
      rt_exception_stop(t, "raised", exc, frame, NULL);
    }
  } else if (rt_exc_user_unhandled && ci->library && t->last_unhandled != exc) {
    /* propagated from the callee into library code */
    rt_codeinfo_t *callee = rt_frame_ci((PyObject *)tbo->tb_next->tb_frame);
    if (callee != NULL && !callee->library && !callee->hidden) {
      rt_remember(&t->last_unhandled, exc);
      rt_exception_stop(t, "userUnhandled", exc, frame, tb);
    }
  }
done:
  Py_DECREF(tb);
}

void rt_exceptions_uncaught(rt_thread_t *t, PyObject *exc, PyObject *tb) {
  if (!rt_exc_uncaught || t->last_unhandled == exc) return;
  rt_exception_stop(t, "uncaught", exc, NULL, tb);
}
