/* Stepping (see rt_stop.h): a step's state on its thread, how a frame
 * that is left moves it, the return values a step shows, and the call and
 * return events of C trace functions. The stop it ends in is rt_stop.c's. */
#include "rt_stop.h"
#include "rt_stop_priv.h"

#include <string.h>

#include "rt_backend.h"
#include "rt_goto.h"

int rt_nstepping, rt_nstepping_in;
bool rt_just_my_code = true;

void rt_stop_step_end(rt_thread_t *t) {
  if (t->step_kind == RT_STEP_NONE) return;
  if (t->step_kind == RT_STEP_IN) rt_nstepping_in--;
  rt_nstepping--;
  t->step_kind = RT_STEP_NONE;
  t->step_user = false;
  rt_step_target_clear(t);
  rt_backend_step_changed(t);
  Py_CLEAR(t->step_frame);
  Py_CLEAR(t->step_code);
  rt_backend_control_changed();
}

void rt_step_begin(rt_thread_t *t, rt_step_kind_t kind, PyObject *frame) {
  Py_CLEAR(t->ret_code);
  Py_CLEAR(t->ret_value);
  rt_stop_calls_clear(t);
  t->calls_others = 0;
  t->calls_off = false;
  if (frame == NULL || kind == RT_STEP_NONE) return;
  t->step_kind = kind;
  Py_INCREF(frame);
  Py_XSETREF(t->step_frame, frame);
  Py_XSETREF(t->step_code, (PyObject *)PyFrame_GetCode((PyFrameObject *)frame));
  rt_nstepping++;
  if (kind == RT_STEP_IN) rt_nstepping_in++;
  rt_backend_step_changed(t);
  rt_backend_control_changed();
}

/* A coroutine (or async generator) frame yielding `value` suspends at an
 * await (the yield goes up to the event loop or whoever drives it) rather
 * than hands a value to its consumer, as a generator's or an async
 * generator's own `yield` does. */
static bool rt_is_suspension(PyCodeObject *code, PyObject *value) {
  if (code->co_flags & (CO_COROUTINE | CO_ITERABLE_COROUTINE)) return true;
  if (code->co_flags & CO_ASYNC_GENERATOR) {
    return value == NULL ||
           strcmp(Py_TYPE(value)->tp_name, "async_generator_wrapped_value") != 0;
  }
  return false;
}

void rt_stop_calls_clear(rt_thread_t *t) {
  unsigned n = t->ncalls < RT_RET_CALLS ? t->ncalls : RT_RET_CALLS;
  for (unsigned i = 0; i < n; i++) {
    Py_CLEAR(t->calls[i][0]);
    Py_CLEAR(t->calls[i][1]);
  }
  t->ncalls = 0;
  Py_CLEAR(t->calls_frame);
}

void rt_stop_call_returned(rt_thread_t *t, PyObject *code, PyObject *value) {
  unsigned i = 0;
  rt_codeinfo_t *ci = NULL;

  if (value == NULL || t->step_frame == NULL) return;
  ci = rt_engine_codeinfo_peek(code);
  if (ci != NULL && ci->hidden) return; /* the runtime's own code */
  if (t->calls_frame != t->step_frame) {
    rt_stop_calls_clear(t);
    Py_INCREF(t->step_frame);
    t->calls_frame = t->step_frame;
  }
  i = t->ncalls++ % RT_RET_CALLS;
  if (t->ncalls == 2 * RT_RET_CALLS) t->ncalls = RT_RET_CALLS; /* a full ring */
  Py_INCREF(code);
  Py_XSETREF(t->calls[i][0], code);
  Py_INCREF(value);
  Py_XSETREF(t->calls[i][1], value);
}

PyObject *rt_take_return_values(rt_thread_t *t, PyObject *frame) {
  PyObject *out = NULL;
  unsigned n = t->ncalls < RT_RET_CALLS ? t->ncalls : RT_RET_CALLS;

  if (t->ret_code != NULL && t->ret_value != NULL) {
    PyObject *pair = PyTuple_Pack(2, t->ret_code, t->ret_value);
    out = pair != NULL ? PyTuple_Pack(1, pair) : NULL;
    Py_XDECREF(pair);
  } else if (n > 0 && frame != NULL && frame == t->calls_frame) {
    out = PyTuple_New(n);
    for (unsigned k = 0; out != NULL && k < n; k++) {
      unsigned i = (t->ncalls - n + k) % RT_RET_CALLS;
      PyObject *pair = PyTuple_Pack(2, t->calls[i][0], t->calls[i][1]);
      if (pair == NULL) Py_CLEAR(out);
      else PyTuple_SET_ITEM(out, k, pair);
    }
  }
  Py_CLEAR(t->ret_code);
  Py_CLEAR(t->ret_value);
  rt_stop_calls_clear(t);
  return out;
}

/* `frame` returns `value`: kept as the return value to show at the stop
 * the step makes in its caller. */
static void rt_keep_return_value(rt_thread_t *t, PyObject *frame, PyObject *value) {
  if (!rt_show_return_value || value == NULL) return;
  Py_XSETREF(t->ret_code, (PyObject *)PyFrame_GetCode((PyFrameObject *)frame));
  Py_INCREF(value);
  Py_XSETREF(t->ret_value, value);
}

/* The stepping frame that t leaves is a coroutine (or async generator)
 * of user code, or t already steps towards user code (justMyCode: every
 * step does). */
static bool rt_leaves_user_coroutine(rt_thread_t *t, PyObject *frame) {
  PyCodeObject *code = NULL;
  rt_codeinfo_t *ci = NULL;
  bool coro = false;

  if (t->step_user || rt_just_my_code) return true;
  code = PyFrame_GetCode((PyFrameObject *)frame);
  coro = (code->co_flags &
          (CO_COROUTINE | CO_ITERABLE_COROUTINE | CO_ASYNC_GENERATOR)) != 0;
  if (coro) ci = rt_engine_codeinfo((PyObject *)code, NULL);
  Py_DECREF(code);
  return coro && ci != NULL && !ci->library;
}

void rt_stop_frame_exit(rt_thread_t *t, PyObject *frame, rt_exit_t how,
                        PyObject *value) {
  PyObject *back = NULL;
  PyCodeObject *code = NULL;
  rt_codeinfo_t *ci = NULL;
  bool suspends = false;

  if (t->funcbp_frame == (void *)frame) t->funcbp_frame = NULL;
  if (t->step_kind == RT_STEP_NONE || frame != t->step_frame) return;
  if (how == RT_EXIT_YIELD) {
    code = PyFrame_GetCode((PyFrameObject *)frame);
    suspends = rt_is_suspension(code, value);
    Py_DECREF(code);
  }
  if (suspends) {
    /* An await: the step waits for this same coroutine to resume (its
     * next line); the event loop runs other tasks meanwhile. */
    if (t->step_kind == RT_STEP_IN && !t->step_user) {
      t->step_kind = RT_STEP_OVER;
      rt_nstepping_in--;
      rt_backend_step_changed(t);
      rt_backend_control_changed();
    }
    return;
  }
  if (rt_engine_is_entry_frame(frame)) {
    rt_stop_step_end(t); /* stepping off the end of the program */
    return;
  }
  back = (PyObject *)PyFrame_GetBack((PyFrameObject *)frame);
  if (back != NULL) {
    code = PyFrame_GetCode((PyFrameObject *)back);
    ci = rt_engine_codeinfo((PyObject *)code, NULL);
    Py_DECREF(code);
  }
  if (back == NULL || ci == NULL) {
    Py_XDECREF(back);
    rt_stop_step_end(t);
    return;
  }
  if (ci->hidden ||
      (ci->library && (ci->excluded || rt_leaves_user_coroutine(t, frame)))) {
    /* Into the event loop (or a library frame on the way out of it), or
     * into the runtime's own code (a wrapper of the runtime that called
     * user code back): the step goes on to the next line of user code
     * this thread runs (a task resumed, the awaiter of a task) or the
     * user frame the library returns into (after asyncio.run). */
    Py_XSETREF(t->step_frame, back); /* takes the new reference */
    Py_XSETREF(t->step_code, (PyObject *)PyFrame_GetCode((PyFrameObject *)back));
    if (t->step_kind != RT_STEP_IN) {
      t->step_kind = RT_STEP_IN;
      rt_nstepping_in++;
    }
    t->step_user = true;
    rt_backend_step_changed(t);
    rt_backend_control_changed();
    return;
  }
  if (how != RT_EXIT_UNWIND) {
    /* Stop in the caller now, after the return and before the rest of
     * the call's line runs: nothing of the program runs between this
     * event and the caller's next instruction. */
    if (how == RT_EXIT_RETURN) rt_keep_return_value(t, frame, value);
    rt_stop_report(t, back, NULL, "step", NULL, 0, NULL);
    Py_DECREF(back);
    return;
  }
  /* An exception: the caller's next line (its handler), or further out. */
  Py_XSETREF(t->step_frame, back); /* takes the new reference */
  Py_XSETREF(t->step_code, (PyObject *)PyFrame_GetCode((PyFrameObject *)back));
  if (t->step_kind == RT_STEP_OUT) t->step_kind = RT_STEP_OVER;
  rt_backend_step_changed(t);
}

void rt_stop_frame_start(rt_thread_t *t, rt_codeinfo_t *ci, PyObject *frame) {
  if (ci->funcbp_id != 0) t->funcbp_frame = frame;
}

/* A frame entered through a call event is fresh unless it is a generator
 * or coroutine being resumed: a fresh one is still on its `def` line (its
 * RESUME), a resumed one on the line of its yield/await. */
static bool rt_frame_is_fresh(PyFrameObject *frame, PyCodeObject *code) {
  if ((code->co_flags & (CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR)) == 0) {
    return true;
  }
  return PyFrame_GetLineNumber(frame) == code->co_firstlineno;
}

void rt_stop_trace_call(rt_thread_t *t, PyFrameObject *frame, PyCodeObject *code) {
  rt_codeinfo_t *ci = rt_engine_codeinfo_peek((PyObject *)code);
  if (ci == NULL || ci->gen != rt_engine_gen) {
    PyObject *globals = PyFrame_GetGlobals(frame);
    ci = rt_engine_codeinfo((PyObject *)code, globals);
    Py_XDECREF(globals);
  }
  if (ci != NULL && ci->funcbp_id != 0 && rt_frame_is_fresh(frame, code)) {
    rt_stop_frame_start(t, ci, (PyObject *)frame);
  }
}

/* A return event of a frame other than the stepping one during a `next`:
 * a return (not a yield or an exception) into the stepping frame is kept
 * (rt_stop_call_returned). */
static void rt_trace_callee_return(rt_thread_t *t, PyFrameObject *frame,
                                   PyObject *value) {
  PyFrameObject *back = NULL;

  if (value == NULL) return; /* an exception */
  back = PyFrame_GetBack(frame);
  if ((PyObject *)back == t->step_frame) {
    PyCodeObject *code = PyFrame_GetCode(frame);
    if (rt_compat_trace_exit_kind(frame, code, value) == RT_COMPAT_TRACE_RETURN) {
      rt_stop_call_returned(t, (PyObject *)code, value);
    }
    Py_DECREF(code);
  }
  Py_XDECREF(back);
}

void rt_stop_trace_return(rt_thread_t *t, PyFrameObject *frame, PyObject *value) {
  static const rt_exit_t how[] = {
      [RT_COMPAT_TRACE_RETURN] = RT_EXIT_RETURN,
      [RT_COMPAT_TRACE_YIELD] = RT_EXIT_YIELD,
      [RT_COMPAT_TRACE_UNWIND] = RT_EXIT_UNWIND,
  };
  rt_compat_trace_exit_t kind = RT_COMPAT_TRACE_UNWIND;

  if (t->step_kind == RT_STEP_NONE && t->funcbp_frame == NULL) return;
  if ((PyObject *)frame != t->step_frame && rt_stop_records_calls(t)) {
    rt_trace_callee_return(t, frame, value);
  }
  if ((PyObject *)frame == t->step_frame) {
    PyCodeObject *code = PyFrame_GetCode(frame);
    kind = rt_compat_trace_exit_kind(frame, code, value);
    Py_DECREF(code);
  }
  rt_stop_frame_exit(t, (PyObject *)frame, how[kind],
                     kind == RT_COMPAT_TRACE_UNWIND ? NULL : value);
}
