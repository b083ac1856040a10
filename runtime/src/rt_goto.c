/* See rt_goto.h. */
#include "rt_goto.h"

#include <stdlib.h>
#include <string.h>

#include <dapper/errors.h>
#include <dapper/message.h>

#include "rt_backend_frame.h"
#include "rt_commands.h"
#include "rt_stop.h"
#include "rt_support.h"

/* ---- goto ------------------------------------------------------------------- */

/* Asks the calling thread's wait (rt_stop.c) to end after this request. */
static void rt_goto_leave_wait(rt_thread_t *t) {
  rt_threads_lock();
  t->resume = true;
  rt_threads_unlock();
}

/* _goto_mode(frame): "now" when the calling thread is stopped inside a
 * line event of frame (a jump works there), "later" when it is stopped
 * in the breakpoint check of instrumented code in frame (3.11), None when
 * it stopped elsewhere (an exception, a call). */
static PyObject *rt_py_goto_mode(PyObject *module, PyObject *frame) {
  rt_thread_t *t = rt_threads_current();
  (void)module;
  if (t == NULL || rt_thread_is_gone(t))
    Py_RETURN_NONE;
  if (t->line_frame == frame)
    return PyUnicode_FromString("now");
#if RT_HAVE_INSTRUMENTED
  if (t->check_frame == frame && rt_frame_can_arm_opcode()) {
    return PyUnicode_FromString("later");
  }
#endif
  Py_RETURN_NONE;
}

/* The jump to `line` was made in `frame`: its stop is that line's. */
static void rt_goto_made(PyObject *frame, int line) {
#if RT_HAVE_FRAME_HOOK
  rt_frame_line_done(frame, line);
#else
  (void)frame; /* 3.12+: no LINE event comes for the line jumped to */
  (void)line;
#endif
}

/* _goto_restop(frame, line): a jump was made in the stop's line event: the
 * thread stops again (reason goto) once the goto is answered. */
static PyObject *rt_py_goto_restop(PyObject *module, PyObject *args) {
  rt_thread_t *t = rt_threads_current();
  PyObject *frame = NULL;
  int line = 0;
  (void)module;
  if (!PyArg_ParseTuple(args, "O!i", &PyFrame_Type, &frame, &line))
    return NULL;
  rt_goto_made(frame, line);
  if (t != NULL && !rt_thread_is_gone(t)) {
    t->goto_restop = true;
    rt_goto_leave_wait(t);
  }
  Py_RETURN_NONE;
}

/* _goto_defer(line): the jump is made at the frame's next instruction;
 * the thread answers the goto request it runs now itself. */
static PyObject *rt_py_goto_defer(PyObject *module, PyObject *arg) {
  rt_thread_t *t = rt_threads_current();
  long line = PyLong_AsLong(arg);
  (void)module;
  if (line == -1 && PyErr_Occurred())
    return NULL;
  if (t == NULL || rt_thread_is_gone(t) || t->busy_seq == 0) {
    PyErr_SetString(PyExc_RuntimeError, "_goto_defer: not in a stopped thread's request");
    return NULL;
  }
  t->goto_pending = true;
  t->goto_line = (int)line;
  t->goto_seq = t->busy_seq;
  rt_goto_leave_wait(t);
  Py_RETURN_NONE;
}

/* Answers the deferred goto (error_text NULL: success) and stops again:
 * the answer goes out once the thread is stopped (before `stopped`), so a
 * request that follows it finds the thread serving. A refused jump stops
 * again without a `stopped` event: for the client the stop never ended
 * (its frame ids and references stay valid, rt_stop.c keeps them). */
static void rt_goto_finish(rt_thread_t *t, PyObject *frame, const char *error_text) {
  cJSON *reply = NULL;
  if (error_text == NULL) {
    cJSON *req = cJSON_CreateObject();
    if (req != NULL) {
      cJSON_AddNumberToObject(req, "seq", (double)t->goto_seq);
      cJSON_AddStringToObject(req, "command", "goto");
      reply = dap_msg_response(req, NULL);
      cJSON_Delete(req);
    }
  } else {
    reply = dap_msg_error_response(t->goto_seq, "goto", DAPPER_EINVAL, "%s", error_text);
  }
  cJSON_Delete(t->goto_reply);
  t->goto_reply = reply;               /* sent by the stop, once the thread serves again */
  t->goto_silent = error_text != NULL; /* refused: the same stop goes on */
  PyObject *outer = t->line_frame;
  t->line_frame = frame;
  rt_stop_report(t, frame, NULL, "goto", NULL, 0, NULL);
  t->line_frame = outer;
}

void rt_goto_after_stop(rt_thread_t *t, PyObject *frame) {
  rt_compat_exc_t saved;
  if (!t->goto_pending)
    return;
  if (atomic_load(&rt_disconnected)) {
    t->goto_pending = false;
    return;
  }
  rt_compat_exc_save(&saved);
#if RT_HAVE_INSTRUMENTED
  if (rt_frame_arm_opcode(frame) == 0) {
    rt_compat_exc_restore(&saved);
    return; /* rt_goto_opcode comes at the next instruction */
  }
#endif
  PyErr_Clear();
  t->goto_pending = false;
  rt_goto_finish(t, frame, "cannot jump: another tool's trace function runs on this thread");
  rt_compat_exc_restore(&saved);
}

void rt_goto_opcode(rt_thread_t *t, PyObject *frame) {
  rt_compat_exc_t saved;
  PyObject *res = NULL;
  char *text = NULL;

  if (!t->goto_pending || t->line_frame != NULL)
    return;
  rt_compat_exc_save(&saved);
  rt_tls_in_debugger++;
  if (!atomic_load(&rt_disconnected)) {
    t->line_frame = frame; /* a trace event of frame: the jump works here */
    res = rt_support_call("goto_attempt", "(Oi)", frame, t->goto_line);
    t->line_frame = NULL;
    if (res == Py_False) { /* not at a statement boundary yet: the next one */
      Py_DECREF(res);
      rt_tls_in_debugger--;
      rt_compat_exc_restore(&saved);
      return;
    }
    if (res == NULL) {
      char buf[512];
      rt_exc_text(buf, sizeof buf);
      text = strdup(buf);
    } else if (PyUnicode_Check(res)) {
      text = rt_strdup_py(res);
    } else {
      rt_goto_made(frame, t->goto_line);
    }
    Py_XDECREF(res);
    PyErr_Clear();
  }
  t->goto_pending = false;
  if (PyObject_SetAttrString(frame, "f_trace_opcodes", Py_False) < 0)
    PyErr_Clear();
  rt_tls_in_debugger--;
  if (!atomic_load(&rt_disconnected))
    rt_goto_finish(t, frame, text);
  free(text);
  rt_compat_exc_restore(&saved);
}

/* ---- step-in targets ---------------------------------------------------------- */

/* _set_step_targets(frame, [(lo, hi), ...]): the calls stepInTargets
 * lists for the calling (stopped) thread's frame, by target id - 1.
 * Returns how many are kept (at most RT_STEP_TARGETS_MAX). */
static PyObject *rt_py_set_step_targets(PyObject *module, PyObject *args) {
  rt_thread_t *t = rt_threads_current();
  PyObject *frame = NULL, *list = NULL;
  int lo[RT_STEP_TARGETS_MAX], hi[RT_STEP_TARGETS_MAX];
  int n = 0;

  (void)module;
  if (!PyArg_ParseTuple(args, "O!O!", &PyFrame_Type, &frame, &PyList_Type, &list))
    return NULL;
  if (t == NULL || rt_thread_is_gone(t))
    return PyLong_FromLong(0);
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list) && n < RT_STEP_TARGETS_MAX; i++) {
    if (!PyArg_ParseTuple(PyList_GET_ITEM(list, i), "ii", &lo[n], &hi[n]))
      return NULL;
    n++;
  }
  rt_threads_lock();
  for (int i = 0; i < n; i++) {
    t->tgt[i].lo = lo[i];
    t->tgt[i].hi = hi[i];
  }
  t->tgt_n = n;
  t->tgt_sel = 0;
  rt_threads_unlock();
  Py_INCREF(frame);
  Py_XSETREF(t->tgt_frame, frame);
  return PyLong_FromLong(n);
}

int rt_step_target_choose(const cJSON *req) {
  long long target = 0, tid = 0;
  int rc = rt_commands_int_arg(req, "targetId", false, &target);
  if (rc != 0)
    return rc < 0 ? rc : 0;
  rc = rt_commands_int_arg(req, "threadId", true, &tid);
  if (rc != 0)
    return rc;
  rt_threads_lock();
  rt_thread_t *t = rt_threads_find_id_locked((int)tid);
  if (t == NULL || !t->waiting) {
    rt_threads_unlock();
    return 0; /* the step itself says it is not stopped */
  }
  if (target < 1 || target > t->tgt_n) {
    int n = t->tgt_n;
    rt_threads_unlock();
    if (n == 0) {
      return rt_commands_fail(DAPPER_EINVAL,
                              "targetId %lld: thread %lld has no step-in targets; ask "
                              "stepInTargets for its top frame first",
                              target, tid);
    }
    return rt_commands_fail(DAPPER_EINVAL,
                            "targetId %lld is not one of the %d step-in targets of "
                            "thread %lld's line",
                            target, n, tid);
  }
  t->tgt_sel = (int)target;
  rt_threads_unlock();
  return 0;
}

void rt_step_target_begin(rt_thread_t *t) {
  int sel = 0, lo = 0, hi = 0;
  rt_threads_lock();
  sel = t->tgt_sel;
  if (sel > 0 && sel <= t->tgt_n) {
    lo = t->tgt[sel - 1].lo;
    hi = t->tgt[sel - 1].hi;
  }
  t->tgt_sel = 0;
  t->tgt_n = 0;
  rt_threads_unlock();
  Py_CLEAR(t->tgt_caller);
  if (sel > 0 && hi > lo && t->step_kind == RT_STEP_IN && t->tgt_frame != NULL &&
      t->tgt_frame == t->step_frame) {
    t->tgt_caller = Py_NewRef(t->tgt_frame);
    t->tgt_lo = lo;
    t->tgt_hi = hi;
  }
  Py_CLEAR(t->tgt_frame);
}

void rt_step_target_clear(rt_thread_t *t) {
  Py_CLEAR(t->tgt_caller);
}

bool rt_step_target_allows(rt_thread_t *t, PyObject *frame) {
  PyFrameObject *back = NULL;
  bool entered = false;
  if (t->tgt_caller == NULL || frame == t->step_frame)
    return true;
  back = PyFrame_GetBack((PyFrameObject *)frame);
  if (back != NULL && (PyObject *)back == t->tgt_caller) {
    int lasti = PyFrame_GetLasti(back);
    entered = lasti >= t->tgt_lo && lasti < t->tgt_hi;
  }
  Py_XDECREF(back);
  return entered;
}

/* ---- requests (channel thread) ------------------------------------------------ */

int rt_handle_goto(rt_channel_t *ch, const cJSON *req, cJSON **body) {
  long long tid = 0, target = 0;
  int rc = rt_commands_int_arg(req, "threadId", true, &tid);
  (void)ch;
  (void)body;
  if (rc != 0)
    return rc;
  rc = rt_commands_int_arg(req, "targetId", true, &target);
  if (rc != 0)
    return rc;
  return rt_stop_route(req, (int)tid);
}

/* gotoTargets has no thread: the lines are those of the stopped thread's
 * top frame (the stop's owner first). */
int rt_handle_goto_targets(rt_channel_t *ch, const cJSON *req, cJSON **body) {
  int tid = rt_stop_any_waiting();
  (void)ch;
  (void)body;
  if (tid == 0) {
    return rt_commands_fail(DAPPER_ESTATE,
                            "gotoTargets needs a stopped thread: a jump moves the line a "
                            "stopped function runs next");
  }
  return rt_stop_route(req, tid);
}

PyMethodDef rt_goto_methods[] = {
    {"_goto_mode", rt_py_goto_mode, METH_O, NULL},
    {"_goto_restop", rt_py_goto_restop, METH_VARARGS, NULL},
    {"_goto_defer", rt_py_goto_defer, METH_O, NULL},
    {"_set_step_targets", rt_py_set_step_targets, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};
