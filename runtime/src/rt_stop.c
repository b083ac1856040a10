/* See rt_stop.h: stopping, parking and resuming, and the execution
 * requests. Stepping is in rt_step.c, the stand-in for threads blocked in
 * C in rt_standin.c; the state they share is in rt_stop_priv.h. */
#include "rt_stop.h"
#include "rt_stop_priv.h"
#include "rt_stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <dapper/errors.h>
#include <dapper/message.h>

#include "rt_backend.h"
#include "rt_goto.h"
#include "rt_inspect.h"
#include "rt_support.h"

atomic_int rt_pause_all;
atomic_int rt_entry_pending;
atomic_int rt_disconnected;

rt_thread_t *rt_stop_owner;
int rt_pause_target;
bool rt_pause_promote;
bool rt_stop_shown;
unsigned rt_stop_gen;
struct timespec rt_pause_since;

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

void rt_stop_refuse_cmd(rt_cmd_t *cmd, int thread_id) {
  const cJSON *r = cmd->request;
  cJSON *reply = dap_msg_error_response(
      (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "seq")),
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "command")),
      DAPPER_ESTATE, "thread %d is not stopped any more", thread_id);
  if (reply != NULL) (void)rt_channel_send(rt_channel_get(), reply);
  cJSON_Delete(cmd->request);
  free(cmd);
}

/* (mu held) Answers what is still queued when t stops waiting. */
static void rt_drain_locked(rt_thread_t *t, PyThreadState **ts) {
  while (t->q_head != NULL) {
    rt_cmd_t *cmd = t->q_head;
    t->q_head = cmd->next;
    rt_threads_unlock();
    rt_stop_refuse_cmd(cmd, t->id);
    rt_threads_lock();
  }
  t->q_tail = NULL;
  (void)ts;
}

/* ---- stopping and parking ---------------------------------------------------- */

cJSON *rt_stopped_body(int thread_id, const char *reason, const int *ids,
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

void rt_frames_end_id(int thread_id) {
  PyObject *res = NULL;
  rt_ids_release(thread_id); /* from here on the thread's references are stale */
  res = rt_support_call("stop_end", "(i)", thread_id);
  Py_XDECREF(res);
  PyErr_Clear();
}

void rt_frames_end(rt_thread_t *t) { rt_frames_end_id(t->id); }


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
    rt_standin_queue_locked(cmd);
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
