/* See rt_stop.h. */
#include "rt_stop.h"
#include "rt_stats.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dapper/errors.h>
#include <dapper/message.h>

#include "rt_backend.h"
#include "rt_goto.h"
#include "rt_inspect.h"
#include "rt_log.h"
#include "rt_support.h"

atomic_int rt_pause_all;
atomic_int rt_entry_pending;
atomic_int rt_disconnected;
int rt_nstepping, rt_nstepping_in;
bool rt_just_my_code = true;

/* (mu) The thread that reported the current stop, and the thread a pause
 * request targets (0 = none). */
static rt_thread_t *rt_stop_owner;
static int rt_pause_target;
/* (mu) A `stopped` event went out and no continue of every thread came
 * since: threads blocked in C count as stopped (their requests go to the
 * stand-in, see "threads blocked in C" below). */
static bool rt_stop_shown;
/* (mu) Counts the continues of every thread: the stop a snapshot of a
 * blocked thread was read for. */
static unsigned rt_stop_gen;
/* (mu) When the pending pause was asked (CLOCK_MONOTONIC). */
static struct timespec rt_pause_since;
/* (mu) Requests for threads blocked in C, answered by the stand-in. */
static rt_cmd_t *rt_standin_head, *rt_standin_tail;

static void rt_standin_kick_locked(void);
static bool rt_standin_cancel_locked(long long seq);
static void rt_standin_after_fork_child(void);
static void rt_snapshot_take_over(rt_thread_t *t);
static void rt_frames_end(rt_thread_t *t);

/* ---- serving the queue -------------------------------------------------- */

void rt_stop_run_request(int thread_id, const cJSON *request) {
  const cJSON *args = cJSON_GetObjectItemCaseSensitive(request, "arguments");
  const char *command = cJSON_GetStringValue(
      cJSON_GetObjectItemCaseSensitive(request, "command"));
  long long seq = (long long)cJSON_GetNumberValue(
      cJSON_GetObjectItemCaseSensitive(request, "seq"));
  PyObject *pyargs = NULL;
  PyObject *res = NULL;
  cJSON *reply = NULL;

  pyargs = args != NULL ? rt_py_from_json(args) : PyDict_New();
  if (pyargs != NULL) {
    res = rt_support_call("handle_request", "(isO)", thread_id, command, pyargs);
    Py_DECREF(pyargs);
  }
  if (res == Py_None) {
    /* answered later by this thread itself (a jump made at its next
     * instruction, rt_goto.h) */
  } else if (res != NULL && PyTuple_Check(res) && PyTuple_GET_SIZE(res) == 1) {
    cJSON *body = rt_json_from_py(PyTuple_GET_ITEM(res, 0));
    if (body != NULL) {
      reply = dap_msg_response((cJSON *)request, body);
    } else {
      char text[512];
      rt_exc_text(text, sizeof text);
      reply = dap_msg_error_response(seq, command, DAPPER_EINVAL, "%s", text);
    }
  } else {
    char text[512];
    if (res != NULL && !PyErr_Occurred()) {
      PyErr_SetString(PyExc_TypeError, "handle_request returned neither (body,) nor None");
    }
    rt_exc_text(text, sizeof text);
    reply = dap_msg_error_response(seq, command, DAPPER_EINVAL, "%s", text);
  }
  Py_XDECREF(res);
  PyErr_Clear();
  if (reply != NULL) (void)rt_send_gil(reply);
}

/* (mu held, GIL released in *ts) Waits for a command or a wake-up; runs a
 * command with the GIL. */
static void rt_serve_once_locked(rt_thread_t *t, PyThreadState **ts) {
  rt_cmd_t *cmd = t->q_head;

  if (cmd == NULL) {
    rt_threads_wait(&t->cv);
    return;
  }
  t->q_head = cmd->next;
  if (t->q_head == NULL) t->q_tail = NULL;
  t->busy_seq = (long long)cJSON_GetNumberValue(
      cJSON_GetObjectItemCaseSensitive(cmd->request, "seq"));
  atomic_store(&t->busy_abandoned, false);
  rt_threads_unlock();
  PyEval_RestoreThread(*ts);
  rt_tls_cancel = &t->busy_abandoned;
  rt_stop_run_request(t->id, cmd->request);
  rt_tls_cancel = NULL;
  cJSON_Delete(cmd->request);
  free(cmd);
  *ts = PyEval_SaveThread();
  rt_threads_lock();
  t->busy_seq = 0;
  atomic_store(&t->busy_abandoned, false);
}

/* (mu held) Answers what is still queued when t stops waiting. */
static void rt_drain_locked(rt_thread_t *t, PyThreadState **ts) {
  while (t->q_head != NULL) {
    rt_cmd_t *cmd = t->q_head;
    t->q_head = cmd->next;
    rt_threads_unlock();
    {
      const cJSON *r = cmd->request;
      cJSON *reply = dap_msg_error_response(
          (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "seq")),
          cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "command")),
          DAPPER_ESTATE, "thread %d is not stopped any more", t->id);
      if (reply != NULL) (void)rt_channel_send(rt_channel_get(), reply);
    }
    cJSON_Delete(cmd->request);
    free(cmd);
    rt_threads_lock();
  }
  t->q_tail = NULL;
  (void)ts;
}

/* ---- stepping ------------------------------------------------------------ */

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

static void rt_step_begin(rt_thread_t *t, rt_step_kind_t kind, PyObject *frame) {
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

/* The return values to show at a stop in `frame` (a new tuple of (code,
 * value) pairs, in call order), or NULL: the function a step left, or the
 * calls a `next` stepped over in that frame. Forgets them. */
static PyObject *rt_take_return_values(rt_thread_t *t, PyObject *frame) {
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
  if (back == NULL || ci == NULL || ci->hidden) {
    Py_XDECREF(back);
    rt_stop_step_end(t);
    return;
  }
  if (ci->library && (ci->excluded || rt_leaves_user_coroutine(t, frame))) {
    /* Into the event loop (or a library frame on the way out of it): the
     * step goes on to the next line of user code this thread runs (a
     * task resumed, the awaiter of a task) or the user frame the library
     * returns into (after asyncio.run). */
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

/* ---- stopping and parking ---------------------------------------------------- */

static cJSON *rt_stopped_body(int thread_id, const char *reason, const int *ids,
                              int nids, const char *description) {
  cJSON *body = cJSON_CreateObject();
  if (body == NULL) return NULL;
  cJSON_AddStringToObject(body, "reason", reason);
  cJSON_AddNumberToObject(body, "threadId", thread_id);
  cJSON_AddBoolToObject(body, "allThreadsStopped", true);
  if (ids != NULL && nids > 0) {
    cJSON *arr = cJSON_AddArrayToObject(body, "hitBreakpointIds");
    for (int i = 0; arr != NULL && i < nids; i++) {
      cJSON_AddItemToArray(arr, cJSON_CreateNumber(ids[i]));
    }
  }
  if (description != NULL) {
    cJSON_AddStringToObject(body, "description", description);
    cJSON_AddStringToObject(body, "text", description);
  }
  return body;
}

/* report: a stop that is reported (not a parked thread): its exception
 * (t->stop_exc) and the return value a step saw go with it. */
static void rt_frames_begin(rt_thread_t *t, PyObject *frame, PyObject *tb,
                            bool report) {
  PyObject *ret = NULL, *res = NULL;
  rt_tls_stops++; /* performance_monitoring: this hook call waits for the user */
  rt_snapshot_take_over(t);
  if (report) ret = rt_take_return_values(t, frame);
  res = rt_support_call("stop_begin", "(iOOOsOi)", t->id,
                        frame != NULL ? frame : Py_None,
                        tb != NULL ? tb : Py_None,
                        report && t->stop_exc != NULL ? t->stop_exc : Py_None,
                        report && t->stop_exc_kind != NULL ? t->stop_exc_kind : "",
                        ret != NULL ? ret : Py_None, (int)report);
  Py_XDECREF(ret);
  Py_XDECREF(res);
  PyErr_Clear();
}

static void rt_frames_end_id(int thread_id) {
  PyObject *res = NULL;
  rt_ids_release(thread_id); /* from here on the thread's references are stale */
  res = rt_support_call("stop_end", "(i)", thread_id);
  Py_XDECREF(res);
  PyErr_Clear();
}

static void rt_frames_end(rt_thread_t *t) { rt_frames_end_id(t->id); }

/* (mu) A pause still waits for its stop and the stand-in asked a parked
 * thread to report it (the thread asked for is blocked in C). */
static bool rt_pause_promote;

/* Serves t's queue until resumed (or, when parking, until the pause is
 * over), then applies a requested step. GIL held on entry and exit.
 * Returns the thread a pending pause asked for when this parked thread
 * must report that pause in its place (else 0). */
static int rt_wait_resumed(rt_thread_t *t, PyObject *frame, bool parking) {
  PyThreadState *ts = PyEval_SaveThread();
  rt_step_kind_t step = RT_STEP_NONE;
  int promoted = 0;

  rt_threads_lock();
  while (!t->resume && !atomic_load(&rt_disconnected) &&
         (!parking || (atomic_load(&rt_pause_all) && !t->exempt))) {
    if (parking && rt_pause_promote && rt_stop_owner == NULL && rt_pause_target != 0) {
      promoted = rt_pause_target;
      rt_pause_target = 0;
      rt_pause_promote = false;
      break;
    }
    rt_serve_once_locked(t, &ts);
  }
  t->waiting = false;
  step = t->step_req;
  t->step_req = RT_STEP_NONE;
  t->resume = false;
  rt_drain_locked(t, &ts);
  rt_threads_unlock();
  PyEval_RestoreThread(ts);
  if (!t->goto_pending) rt_frames_end(t); /* a deferred jump keeps the ids */
  if (!atomic_load(&rt_disconnected)) rt_step_begin(t, step, frame);
  rt_step_target_begin(t);
  rt_backend_control_changed();
  return promoted;
}

static void rt_stop_report_once(rt_thread_t *t, PyObject *frame, PyObject *tb,
                                const char *reason, const int *ids, int nids,
                                const char *description) {
  rt_compat_exc_t saved;
  PyThreadState *ts = NULL;
  cJSON *body = NULL;

  if (atomic_load(&rt_disconnected) || t == NULL || rt_thread_is_gone(t)) return;
  rt_compat_exc_save(&saved);
  rt_tls_in_debugger++;
  rt_stop_step_end(t);
  t->funcbp_frame = NULL;

  /* Become the owner of the stop; park meanwhile. */
  rt_frames_begin(t, frame, tb, true);
  ts = PyEval_SaveThread();
  rt_threads_lock();
  t->waiting = true;
  while (rt_stop_owner != NULL && rt_stop_owner != t &&
         !atomic_load(&rt_disconnected)) {
    rt_serve_once_locked(t, &ts);
  }
  if (atomic_load(&rt_disconnected)) {
    t->waiting = false;
    rt_drain_locked(t, &ts);
    rt_threads_unlock();
    PyEval_RestoreThread(ts);
    rt_frames_end(t);
    goto out;
  }
  rt_stop_owner = t;
  rt_stop_shown = true;
  rt_stats_stop_shown(true);
  t->resume = false;
  t->step_req = RT_STEP_NONE;
  for (rt_thread_t *o = rt_threads_first_locked(); o != NULL; o = o->next) {
    o->exempt = false;
  }
  atomic_store(&rt_pause_all, 1);
  rt_threads_unlock();
  PyEval_RestoreThread(ts);
  rt_backend_control_changed();

  if (t->goto_reply != NULL) { /* a deferred goto's answer (rt_goto.h) */
    (void)rt_send_gil(t->goto_reply);
    t->goto_reply = NULL;
  }
  body = rt_stopped_body(t->id, reason, ids, nids, description);
  if (t->goto_silent) { /* a refused deferred jump: still the same stop */
    t->goto_silent = false;
    cJSON_Delete(body);
    body = NULL;
  }
  if (body != NULL) (void)rt_send_event_gil("stopped", body);
  rt_wait_resumed(t, frame, false);
out:
  rt_tls_in_debugger--;
  rt_compat_exc_restore(&saved);
}

void rt_stop_report(rt_thread_t *t, PyObject *frame, PyObject *tb,
                    const char *reason, const int *ids, int nids,
                    const char *description) {
  rt_stop_report_once(t, frame, tb, reason, ids, nids, description);
  while (t != NULL && t->goto_restop) { /* a jump: stopped at the new line */
    t->goto_restop = false;
    rt_stop_report_once(t, frame, NULL, "goto", NULL, 0, NULL);
  }
  if (t != NULL && t->goto_pending) rt_goto_after_stop(t, frame);
}

/* Parks t until the pause is over. Returns rt_wait_resumed's "report the
 * pause in place of thread N". */
static int rt_stop_park(rt_thread_t *t, PyObject *frame) {
  rt_compat_exc_t saved;
  PyThreadState *ts = NULL;
  int promoted = 0;

  rt_compat_exc_save(&saved);
  rt_tls_in_debugger++;
  for (bool jumped = false;; jumped = true) {
    rt_frames_begin(t, frame, NULL, false);
    ts = PyEval_SaveThread();
    rt_threads_lock();
    t->waiting = true;
    t->resume = false;
    rt_threads_unlock();
    PyEval_RestoreThread(ts);
    if (jumped) { /* parked again at the line jumped to (rt_goto.h) */
      cJSON *body = rt_stopped_body(t->id, "goto", NULL, 0, NULL);
      if (body != NULL) (void)rt_send_event_gil("stopped", body);
    }
    promoted = rt_wait_resumed(t, frame, true);
    if (!t->goto_restop || atomic_load(&rt_disconnected)) break;
    t->goto_restop = false;
  }
  t->goto_restop = false;
  rt_tls_in_debugger--;
  rt_compat_exc_restore(&saved);
  return promoted;
}

static void rt_stop_line_event(rt_thread_t *t, rt_codeinfo_t *ci, PyObject *frame,
                               int line, int what) {
  if (!(what & RT_LINE_CONTROL)) {
    (void)rt_engine_line_hit(t, ci, frame, line);
    return;
  }
  if (atomic_load_explicit(&rt_pause_all, memory_order_relaxed) && !t->exempt &&
      !ci->hidden) {
    bool report = false;
    rt_threads_lock();
    if (rt_pause_target == t->id && rt_stop_owner == NULL) {
      rt_pause_target = 0;
      report = true;
    }
    rt_threads_unlock();
    if (report) {
      rt_stop_report(t, frame, NULL, "pause", NULL, 0, NULL);
      return;
    }
    int asked = rt_stop_park(t, frame);
    if (asked != 0) {
      char text[160];
      snprintf(text, sizeof text,
               "Paused in thread %d: thread %d, which the pause asked for, is "
               "blocked in C code",
               t->id, asked);
      rt_stop_report(t, frame, NULL, "pause", NULL, 0, text);
      return;
    }
  }
  if (atomic_load_explicit(&rt_entry_pending, memory_order_relaxed) &&
      rt_engine_is_entry_frame(frame)) {
    atomic_store(&rt_entry_pending, 0);
    rt_backend_control_changed();
    rt_stop_report(t, frame, NULL, "entry", NULL, 0, NULL);
    return;
  }
  if (t->funcbp_frame == (void *)frame) {
    if (line == ci->funcbp_line || ci->funcbp_line <= 0) {
      t->funcbp_frame = NULL;
      if (rt_engine_funcbp_hit(t, ci, frame)) return;
    }
  }
  if ((what & RT_LINE_BREAKPOINTS) && rt_codeinfo_has_line(ci, line) &&
      rt_engine_line_hit(t, ci, frame, line)) {
    return;
  }
  if (t->step_kind != RT_STEP_NONE && !ci->hidden) {
    bool stop = (t->step_kind == RT_STEP_IN && !rt_step_skips(t, ci)) ||
                (t->step_kind == RT_STEP_OVER && frame == t->step_frame);
    if (stop && !rt_step_target_allows(t, frame)) stop = false;
    if (stop) rt_stop_report(t, frame, NULL, "step", NULL, 0, NULL);
  }
}

void rt_stop_line(rt_thread_t *t, rt_codeinfo_t *ci, PyObject *frame, int line,
                  int what) {
  PyObject *outer = NULL;
  if (atomic_load(&rt_disconnected)) return;
  outer = t->line_frame; /* a stop in here may jump (rt_goto.h) */
  t->line_frame = frame;
  rt_stop_line_event(t, ci, frame, line, what);
  t->line_frame = outer;
}

/* ---- requests ------------------------------------------------------------------- */

/* (mu) Resumes every waiting thread (or only `only`) and ends the stop. */
static void rt_resume_locked(rt_thread_t *only) {
  if (only != NULL) {
    only->resume = true;
    only->exempt = true;
    if (rt_stop_owner == only) rt_stop_owner = NULL;
    for (rt_thread_t *o = rt_threads_first_locked(); o != NULL; o = o->next) {
      if (o->waiting) pthread_cond_signal(&o->cv); /* owner may be free now */
    }
    return;
  }
  atomic_store(&rt_pause_all, 0);
  rt_pause_target = 0;
  rt_pause_promote = false;
  rt_stop_owner = NULL;
  rt_stop_shown = false;
  rt_stats_stop_shown(false);
  rt_stop_gen++;
  bool snapshots = false;
  for (rt_thread_t *o = rt_threads_first_locked(); o != NULL; o = o->next) {
    if (o->waiting) {
      o->resume = true;
      pthread_cond_signal(&o->cv);
    }
    snapshots = snapshots || o->snapshot;
  }
  if (snapshots) rt_standin_kick_locked(); /* it releases them */
}

/* Sends the success response of a continue/step request before the
 * threads are woken: a resumed program may end (and close the channel)
 * before a later write. */
static void rt_send_resume_response(const cJSON *request, rt_step_kind_t step,
                                    bool all) {
  cJSON *body = NULL;
  if (step == RT_STEP_NONE) {
    body = cJSON_CreateObject();
    if (body != NULL) cJSON_AddBoolToObject(body, "allThreadsContinued", all);
  }
  cJSON *reply = dap_msg_response(request, body);
  if (reply != NULL) (void)rt_channel_send(rt_channel_get(), reply);
}

int rt_stop_resume(const cJSON *request, int thread_id, bool single,
                   rt_step_kind_t step) {
  rt_thread_t *t = NULL;
  bool any = false;

  rt_threads_lock();
  /* A pause not reported yet, or a stop whose threads are all blocked
   * in C, is ended by a continue too. */
  any = atomic_load(&rt_pause_all) != 0;
  for (rt_thread_t *o = rt_threads_first_locked(); o != NULL; o = o->next) {
    if (o->waiting) any = true;
  }
  t = rt_threads_find_id_locked(thread_id);
  if (step != RT_STEP_NONE) {
    if (t != NULL && !t->waiting && rt_stop_shown && !t->exempt) {
      rt_threads_unlock();
      return rt_commands_fail(DAPPER_ESTATE,
                              "thread %d is blocked in C code (a call that has not "
                              "returned to Python): it can step once it runs Python "
                              "again; continue, or pause again later",
                              thread_id);
    }
    if (t == NULL || !t->waiting) {
      rt_threads_unlock();
      return rt_commands_fail(DAPPER_ESTATE, "thread %d is not stopped",
                              thread_id);
    }
    t->step_req = step;
  } else if (!any) {
    rt_threads_unlock();
    rt_send_resume_response(request, step, true);
    return RT_DEFERRED; /* nothing is stopped: a no-op */
  }
  if (single && t != NULL && t->waiting) {
    rt_send_resume_response(request, step, false);
    rt_resume_locked(t);
  } else {
    rt_send_resume_response(request, step, true);
    rt_resume_locked(NULL);
  }
  rt_threads_unlock();
  return RT_DEFERRED;
}

int rt_stop_pause(const cJSON *request, int thread_id) {
  rt_thread_t *t = NULL;
  cJSON *reply = NULL;

  rt_threads_lock();
  t = rt_threads_find_id_locked(thread_id);
  if (t == NULL) {
    rt_threads_unlock();
    return rt_commands_fail(DAPPER_EINVAL, "unknown thread %d", thread_id);
  }
  /* The response first: once the flag is set the thread may stop (and
   * send its events) at its next line. */
  reply = dap_msg_response(request, NULL);
  if (reply != NULL) (void)rt_channel_send(rt_channel_get(), reply);
  if (rt_stop_owner == NULL) {
    rt_pause_target = thread_id;
    rt_pause_promote = false;
    clock_gettime(CLOCK_MONOTONIC, &rt_pause_since);
    atomic_store(&rt_pause_all, 1);
    rt_standin_kick_locked(); /* reports it if that thread is blocked in C */
  }
  rt_threads_unlock();
  return RT_DEFERRED;
}

void rt_stop_break_here(int thread_id) {
  rt_threads_lock();
  if (rt_stop_owner == NULL) {
    rt_pause_target = thread_id;
    rt_pause_promote = false;
    clock_gettime(CLOCK_MONOTONIC, &rt_pause_since);
    atomic_store(&rt_pause_all, 1);
  }
  rt_threads_unlock();
}

int rt_stop_route(const cJSON *request, int thread_id) {
  rt_thread_t *t = NULL;
  rt_cmd_t *cmd = calloc(1, sizeof *cmd);

  if (cmd == NULL) return DAPPER_ENOMEM;
  cmd->request = cJSON_Duplicate(request, true);
  if (cmd->request == NULL) {
    free(cmd);
    return DAPPER_ENOMEM;
  }
  rt_threads_lock();
  t = rt_threads_find_id_locked(thread_id);
  if (t != NULL && !t->waiting && rt_stop_shown && !t->exempt &&
      !atomic_load(&rt_disconnected)) {
    /* Blocked in C while the others are stopped: the stand-in answers. */
    cmd->thread_id = thread_id;
    if (rt_standin_tail != NULL) rt_standin_tail->next = cmd;
    else rt_standin_head = cmd;
    rt_standin_tail = cmd;
    rt_standin_kick_locked();
    rt_threads_unlock();
    return RT_DEFERRED;
  }
  if (t == NULL || !t->waiting || (t->busy_seq != 0 && atomic_load(&t->busy_abandoned))) {
    bool busy = t != NULL && t->waiting;
    rt_threads_unlock();
    cJSON_Delete(cmd->request);
    free(cmd);
    if (t == NULL) return rt_commands_fail(DAPPER_EINVAL, "unknown thread %d", thread_id);
    if (busy) {
      return rt_commands_fail(DAPPER_ESTATE,
                              "thread %d is busy evaluating: an earlier request ran out of "
                              "time (a __repr__, property or expression that blocks); it "
                              "answers again once that returns",
                              thread_id);
    }
    return rt_commands_fail(DAPPER_ESTATE, "thread %d is not stopped", thread_id);
  }
  if (t->q_tail != NULL) t->q_tail->next = cmd;
  else t->q_head = cmd;
  t->q_tail = cmd;
  pthread_cond_signal(&t->cv);
  rt_threads_unlock();
  return RT_DEFERRED;
}

int rt_stop_any_waiting(void) {
  int id = 0;
  rt_threads_lock();
  if (rt_stop_owner != NULL && rt_stop_owner->waiting) id = rt_stop_owner->id;
  for (rt_thread_t *o = rt_threads_first_locked(); id == 0 && o != NULL; o = o->next) {
    if (o->waiting) id = o->id;
  }
  rt_threads_unlock();
  return id;
}

bool rt_stop_cancel(long long seq) {
  bool found = false;
  rt_threads_lock();
  found = rt_standin_cancel_locked(seq);
  for (rt_thread_t *o = rt_threads_first_locked(); o != NULL && !found; o = o->next) {
    rt_cmd_t *prev = NULL;
    for (rt_cmd_t *c = o->q_head; c != NULL; prev = c, c = c->next) {
      if ((long long)cJSON_GetNumberValue(
              cJSON_GetObjectItemCaseSensitive(c->request, "seq")) != seq) {
        continue;
      }
      if (prev != NULL) prev->next = c->next;
      else o->q_head = c->next;
      if (o->q_tail == c) o->q_tail = prev;
      cJSON_Delete(c->request);
      free(c);
      found = true;
      break;
    }
    if (!found && o->busy_seq == seq) {
      atomic_store(&o->busy_abandoned, true);
      found = true;
    }
  }
  rt_threads_unlock();
  return found;
}

void rt_stop_disconnect(void) {
  atomic_store(&rt_disconnected, 1);
  atomic_store(&rt_entry_pending, 0);
  rt_threads_lock();
  rt_resume_locked(NULL);
  rt_threads_unlock();
}

void rt_stop_reconnect(void) {
  atomic_store(&rt_entry_pending, 0);
  atomic_store(&rt_disconnected, 0);
}

void rt_stop_after_fork_child(void) {
  atomic_store(&rt_disconnected, 1);
  atomic_store(&rt_pause_all, 0);
  atomic_store(&rt_entry_pending, 0);
  rt_stop_owner = NULL;
  rt_pause_target = 0;
  rt_stop_shown = false;
  rt_pause_promote = false;
  rt_standin_after_fork_child();
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

/* ---- threads blocked in C ------------------------------------------------------
 * A thread waiting in a C call (Thread.join, a lock, a read, time.sleep)
 * runs no line event, so it can neither report a pause nor park. During a
 * stop it counts as stopped all the same: nothing of it runs Python, and
 * if its call returns it parks at its next line (rt_pause_all is set).
 * Another thread holding the GIL reads its frames (sys._current_frames()):
 * the stand-in, a runtime thread started when needed, which
 *   - watches a pause: the thread asked for reports it at its next line;
 *     if it has not after RT_PAUSE_PROMOTE_NS, a parked thread (one that
 *     runs Python) reports it instead; if no thread runs Python after
 *     RT_PAUSE_BLOCKED_NS, the stand-in reports it for the thread asked
 *     for, which is then the stop's owner while blocked;
 *   - answers the requests for blocked threads (stackTrace, scopes,
 *     variables, evaluate: read-only, see _dapper_support.stop_blocked);
 *   - at the next continue, releases the frames it read (the thread's
 *     `snapshot`), unless the thread parked meanwhile and took them over.
 * It exits when it has nothing left to do. */

#define RT_PAUSE_PROMOTE_NS 100000000LL /* 0.1 s */
#define RT_PAUSE_BLOCKED_NS 500000000LL /* 0.5 s */
#define RT_PAUSE_POLL_NS 20000000LL     /* waiting for a promoted thread */

static pthread_once_t rt_standin_once = PTHREAD_ONCE_INIT;
static pthread_cond_t rt_standin_cv; /* CLOCK_MONOTONIC */
static bool rt_standin_running;      /* (mu) */
static long long rt_standin_busy_seq; /* (mu) wire seq of what it runs now */
static atomic_bool rt_standin_abandoned;

static void rt_standin_init(void) {
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&rt_standin_cv, &attr);
  pthread_condattr_destroy(&attr);
}

static long long rt_ns_since(const struct timespec *t0) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (long long)(now.tv_sec - t0->tv_sec) * 1000000000LL +
         (now.tv_nsec - t0->tv_nsec);
}

static struct timespec rt_ns_after(const struct timespec *t0, long long ns) {
  struct timespec t = *t0;
  ns += t.tv_nsec;
  t.tv_sec += (time_t)(ns / 1000000000LL);
  t.tv_nsec = (long)(ns % 1000000000LL);
  return t;
}

/* (mu) A pause was asked and no stop reported it yet. */
static bool rt_pause_pending_locked(void) {
  return rt_stop_owner == NULL && rt_pause_target != 0 &&
         atomic_load(&rt_pause_all) != 0;
}

/* (mu) Some thread is parked (it runs Python). */
static bool rt_any_parked_locked(void) {
  for (rt_thread_t *o = rt_threads_first_locked(); o != NULL; o = o->next) {
    if (o->waiting && !o->exempt) return true;
  }
  return false;
}

/* (mu) A thread whose snapshot must be released (its stop is over). */
static rt_thread_t *rt_snapshot_to_end_locked(void) {
  for (rt_thread_t *o = rt_threads_first_locked(); o != NULL; o = o->next) {
    if (o->snapshot && o->snapshot_stop != rt_stop_gen) return o;
  }
  return NULL;
}

/* GIL held. Releases the snapshot of thread `id` that the stand-in marked
 * snapshot_ending; a stop of the thread's own waits meanwhile. */
static void rt_snapshot_end(int id) {
  rt_frames_end_id(id);
  rt_threads_lock();
  rt_thread_t *t = rt_threads_find_id_locked(id);
  if (t != NULL) {
    t->snapshot_ending = false;
    pthread_cond_broadcast(&t->cv);
  }
  rt_threads_unlock();
}

/* GIL held. t is about to record frames of its own (a stop or a park):
 * waits while the stand-in releases a snapshot of it, and takes over one
 * of the current stop (t's own frames replace it; its references stay
 * valid until t resumes); one of an earlier stop is released now. */
static void rt_snapshot_take_over(rt_thread_t *t) {
  bool old = false;
  rt_threads_lock();
  if (t->snapshot_ending) {
    PyThreadState *ts = NULL;
    rt_threads_unlock();
    ts = PyEval_SaveThread();
    rt_threads_lock();
    while (t->snapshot_ending) rt_threads_wait(&t->cv);
    rt_threads_unlock();
    PyEval_RestoreThread(ts);
    rt_threads_lock();
  }
  old = t->snapshot && t->snapshot_stop != rt_stop_gen;
  t->snapshot = false;
  rt_threads_unlock();
  if (old) rt_frames_end(t);
}

void rt_stop_thread_exit(rt_thread_t *t) {
  bool had = false;
  if (t == NULL || rt_thread_is_gone(t)) return;
  rt_threads_lock();
  had = t->snapshot || t->snapshot_ending;
  if (rt_stop_owner == t) rt_stop_owner = NULL; /* rt_stop_shown stays */
  rt_threads_unlock();
  if (!had) return;
  rt_snapshot_take_over(t);
  rt_frames_end(t);
}

/* GIL held. Reads the frames of thread `id` if it is still blocked (not
 * parked) and they were not read yet in this stop (one of an earlier stop
 * is released first). */
static void rt_standin_snapshot(int id) {
  unsigned long ident = 0;
  unsigned gen = 0;
  bool need = false, stale = false;
  PyObject *res = NULL;

  rt_threads_lock();
  gen = rt_stop_gen;
  rt_thread_t *t = rt_threads_find_id_locked(id);
  if (t != NULL && !t->waiting && !t->snapshot_ending &&
      !(t->snapshot && t->snapshot_stop == gen)) {
    need = true;
    stale = t->snapshot;
    t->snapshot = false;
    t->snapshot_ending = stale;
    ident = t->ident;
  }
  rt_threads_unlock();
  if (stale) rt_snapshot_end(id);
  if (!need) return;
  res = rt_support_call("stop_blocked", "(ik)", id, ident);
  if (res == NULL) {
    char text[512];
    rt_exc_text(text, sizeof text);
    rt_log(RT_LOG_ERROR, "reading the frames of thread %d: %s", id, text);
  }
  Py_XDECREF(res);
  PyErr_Clear();
  rt_threads_lock();
  t = rt_threads_find_id_locked(id);
  if (t != NULL && !t->waiting) {
    t->snapshot = true;
    t->snapshot_stop = gen;
  }
  rt_threads_unlock();
}

/* GIL held. No thread runs Python and the pause still waits: reports it
 * for the thread asked for, blocked in C. */
static void rt_standin_report_blocked(void) {
  int id = 0;
  bool report = false;
  cJSON *body = NULL;
  char text[200];

  rt_threads_lock();
  if (rt_pause_pending_locked()) {
    rt_thread_t *t = rt_threads_find_id_locked(rt_pause_target);
    if (t == NULL) t = rt_threads_first_locked(); /* it ended: the first */
    if (t != NULL && !t->waiting) id = t->id;
  }
  rt_threads_unlock();
  if (id == 0) return;
  rt_standin_snapshot(id);
  rt_threads_lock();
  rt_thread_t *t = rt_threads_find_id_locked(id);
  if (t != NULL && !t->waiting && rt_pause_pending_locked() && !rt_any_parked_locked()) {
    rt_stop_owner = t;
    rt_stop_shown = true;
    rt_stats_stop_shown(true);
    rt_pause_target = 0;
    for (rt_thread_t *o = rt_threads_first_locked(); o != NULL; o = o->next) {
      o->exempt = false;
    }
    report = true;
  }
  rt_threads_unlock();
  if (!report) return; /* a thread came to Python meanwhile: it reports */
  snprintf(text, sizeof text,
           "Paused while thread %d is blocked in C code and no thread runs Python: "
           "its frames are read-only until its call returns",
           id);
  body = rt_stopped_body(id, "pause", NULL, 0, text);
  if (body != NULL) (void)rt_send_event_gil("stopped", body);
}

/* Answers `cmd` (owned) for the blocked thread it is for. GIL held. */
static void rt_standin_serve(rt_cmd_t *cmd) {
  rt_standin_snapshot(cmd->thread_id);
  rt_tls_cancel = &rt_standin_abandoned;
  rt_stop_run_request(cmd->thread_id, cmd->request);
  rt_tls_cancel = NULL;
  cJSON_Delete(cmd->request);
  free(cmd);
}

/* (mu held, released meanwhile) Answers what is queued with an error. */
static void rt_standin_drain_locked(void) {
  while (rt_standin_head != NULL) {
    rt_cmd_t *cmd = rt_standin_head;
    rt_standin_head = cmd->next;
    if (rt_standin_head == NULL) rt_standin_tail = NULL;
    rt_threads_unlock();
    const cJSON *r = cmd->request;
    cJSON *reply = dap_msg_error_response(
        (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "seq")),
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "command")),
        DAPPER_ESTATE, "thread %d is not stopped any more", cmd->thread_id);
    if (reply != NULL) (void)rt_channel_send(rt_channel_get(), reply);
    cJSON_Delete(cmd->request);
    free(cmd);
    rt_threads_lock();
  }
}

static void *rt_standin_main(void *arg) {
  (void)arg;
  rt_tls_in_debugger = 1; /* nothing it runs stops or parks */
  rt_threads_lock();
  for (;;) {
    rt_cmd_t *cmd = NULL;
    int end_id = 0;
    bool blocked_report = false;

    /* (After a disconnect it still releases the snapshots.) */
    if (!rt_channel_python_allowed(rt_channel_get())) break;
    if (rt_standin_head != NULL) {
      cmd = rt_standin_head;
      rt_standin_head = cmd->next;
      if (rt_standin_head == NULL) rt_standin_tail = NULL;
      rt_standin_busy_seq = (long long)cJSON_GetNumberValue(
          cJSON_GetObjectItemCaseSensitive(cmd->request, "seq"));
      atomic_store(&rt_standin_abandoned, false);
    } else if (rt_pause_pending_locked()) {
      long long waited = rt_ns_since(&rt_pause_since);
      bool parked = rt_any_parked_locked();
      if (parked && waited >= RT_PAUSE_PROMOTE_NS && !rt_pause_promote) {
        rt_pause_promote = true;
        for (rt_thread_t *o = rt_threads_first_locked(); o != NULL; o = o->next) {
          if (o->waiting) pthread_cond_signal(&o->cv);
        }
      }
      if (!parked && !rt_pause_promote && waited >= RT_PAUSE_BLOCKED_NS) {
        blocked_report = true;
      } else {
        /* Look again at the first delay, then now and then until the
         * second (a thread may come back to Python meanwhile and park). */
        struct timespec until = rt_ns_after(&rt_pause_since, RT_PAUSE_PROMOTE_NS);
        if (waited >= RT_PAUSE_PROMOTE_NS) {
          clock_gettime(CLOCK_MONOTONIC, &until);
          until = rt_ns_after(&until, RT_PAUSE_POLL_NS);
        }
        rt_threads_timedwait(&rt_standin_cv, &until);
        continue;
      }
    } else {
      rt_thread_t *t = rt_snapshot_to_end_locked();
      if (t == NULL) break; /* nothing left to do */
      t->snapshot = false;
      t->snapshot_ending = true;
      end_id = t->id;
    }
    rt_threads_unlock();

    PyGILState_STATE gil = PyGILState_Ensure();
    if (blocked_report) {
      rt_standin_report_blocked();
    } else if (cmd != NULL) {
      rt_standin_serve(cmd);
    } else {
      rt_snapshot_end(end_id);
    }
    PyGILState_Release(gil);

    rt_threads_lock();
    rt_standin_busy_seq = 0;
  }
  rt_standin_drain_locked();
  rt_standin_running = false;
  rt_threads_unlock();
  return NULL;
}

/* (mu) Starts the stand-in, or wakes it. */
static void rt_standin_kick_locked(void) {
  pthread_attr_t attr;
  pthread_t tid;
  sigset_t all, old;

  pthread_once(&rt_standin_once, rt_standin_init);
  if (rt_standin_running) {
    pthread_cond_signal(&rt_standin_cv);
    return;
  }
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  if (pthread_create(&tid, &attr, rt_standin_main, NULL) == 0) {
    rt_standin_running = true;
  } else {
    rt_log(RT_LOG_ERROR, "cannot start the thread that answers for threads blocked in C");
  }
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* (mu) rt_stop_cancel for the stand-in's requests. */
static bool rt_standin_cancel_locked(long long seq) {
  rt_cmd_t *prev = NULL;
  for (rt_cmd_t *c = rt_standin_head; c != NULL; prev = c, c = c->next) {
    if ((long long)cJSON_GetNumberValue(
            cJSON_GetObjectItemCaseSensitive(c->request, "seq")) != seq) {
      continue;
    }
    if (prev != NULL) prev->next = c->next;
    else rt_standin_head = c->next;
    if (rt_standin_tail == c) rt_standin_tail = prev;
    cJSON_Delete(c->request);
    free(c);
    return true;
  }
  if (rt_standin_busy_seq == seq && seq != 0) {
    atomic_store(&rt_standin_abandoned, true);
    return true;
  }
  return false;
}

static void rt_standin_after_fork_child(void) {
  /* The stand-in does not exist in the child; its requests were the
   * parent's (leaked, as the other threads' state). */
  rt_standin_running = false;
  rt_standin_head = rt_standin_tail = NULL;
  rt_standin_busy_seq = 0;
}
