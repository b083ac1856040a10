/* Threads blocked in C during a stop (see rt_stop.h).
 *
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
#include "rt_stop.h"
#include "rt_stop_priv.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "rt_log.h"
#include "rt_stats.h"
#include "rt_support.h"

/* (mu) Requests for threads blocked in C, answered by the stand-in. */
static rt_cmd_t *rt_standin_head, *rt_standin_tail;

#define RT_PAUSE_PROMOTE_NS 100000000LL /* 0.1 s */
#define RT_PAUSE_BLOCKED_NS 500000000LL /* 0.5 s */
#define RT_PAUSE_POLL_NS 20000000LL     /* waiting for a promoted thread */

/* How long the atexit hook waits for the stand-in to finish what it runs
 * (an evaluate is abandoned at once; reading frames takes milliseconds). */
#define RT_STANDIN_EXIT_WAIT_NS 5000000000LL /* 5 s */

static pthread_once_t rt_standin_once = PTHREAD_ONCE_INIT;
static pthread_cond_t rt_standin_cv;      /* CLOCK_MONOTONIC */
static pthread_cond_t rt_standin_done_cv; /* CLOCK_MONOTONIC: it exited */
static bool rt_standin_running;      /* (mu) */
static long long rt_standin_busy_seq; /* (mu) wire seq of what it runs now */
static atomic_bool rt_standin_abandoned;

static void rt_standin_init(void) {
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&rt_standin_cv, &attr);
  pthread_cond_init(&rt_standin_done_cv, &attr);
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

void rt_snapshot_take_over(rt_thread_t *t) {
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
    rt_stop_refuse_cmd(cmd, cmd->thread_id);
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
  pthread_cond_broadcast(&rt_standin_done_cv);
  rt_threads_unlock();
  return NULL;
}

void rt_standin_at_exit(void) {
  struct timespec until;
  bool gone = true;

  pthread_once(&rt_standin_once, rt_standin_init);
  Py_BEGIN_ALLOW_THREADS
  rt_threads_lock();
  /* The door is closed (rt_python_close, `exiting`) before this: the
   * stand-in's next look under mu ends it. Wake it from its timed wait and
   * abandon what it evaluates. */
  atomic_store(&rt_standin_abandoned, true);
  pthread_cond_signal(&rt_standin_cv);
  clock_gettime(CLOCK_MONOTONIC, &until);
  until = rt_ns_after(&until, RT_STANDIN_EXIT_WAIT_NS);
  while (rt_standin_running) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec > until.tv_sec ||
        (now.tv_sec == until.tv_sec && now.tv_nsec >= until.tv_nsec)) {
      gone = false;
      break;
    }
    rt_threads_timedwait(&rt_standin_done_cv, &until);
  }
  rt_threads_unlock();
  Py_END_ALLOW_THREADS
  if (!gone) {
    rt_log(RT_LOG_ERROR, "the thread that answers for threads blocked in C is still "
                         "busy at exit");
  }
}

void rt_standin_kick_locked(void) {
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

void rt_standin_queue_locked(rt_cmd_t *cmd) {
  if (rt_standin_tail != NULL) rt_standin_tail->next = cmd;
  else rt_standin_head = cmd;
  rt_standin_tail = cmd;
  rt_standin_kick_locked();
}

bool rt_standin_cancel_locked(long long seq) {
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

void rt_standin_after_fork_child(void) {
  /* The stand-in does not exist in the child; its requests were the
   * parent's (leaked, as the other threads' state). */
  rt_standin_running = false;
  rt_standin_head = rt_standin_tail = NULL;
  rt_standin_busy_seq = 0;
}
