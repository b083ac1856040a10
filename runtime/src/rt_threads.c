/* See rt_threads.h. */
#include "rt_threads.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rt_channel.h"
#include "rt_log.h"
#include "rt_stop.h"

RT_TLS int rt_tls_in_debugger;
RT_TLS rt_thread_t *rt_tls_thread;

static pthread_mutex_t rt_threads_mu = PTHREAD_MUTEX_INITIALIZER;
static rt_thread_t *rt_threads_head;
static int rt_threads_next_id = 1;
rt_thread_t rt_thread_gone_sentinel = {.gone = true};

/* The door to Python (rt_python_enter). */
static int rt_python_inside; /* (mu) threads between enter and leave */
static pthread_cond_t rt_python_out_cv; /* CLOCK_MONOTONIC: the count fell to 0 */
static pthread_once_t rt_python_once = PTHREAD_ONCE_INIT;

static void rt_python_cv_init(void) {
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&rt_python_out_cv, &attr);
  pthread_condattr_destroy(&attr);
}

void rt_threads_lock(void) { pthread_mutex_lock(&rt_threads_mu); }
void rt_threads_unlock(void) { pthread_mutex_unlock(&rt_threads_mu); }
void rt_threads_wait(pthread_cond_t *cv) { pthread_cond_wait(cv, &rt_threads_mu); }
void rt_threads_timedwait(pthread_cond_t *cv, const struct timespec *until) {
  (void)pthread_cond_timedwait(cv, &rt_threads_mu, until);
}

rt_thread_t *rt_threads_first_locked(void) { return rt_threads_head; }

rt_thread_t *rt_threads_find_id_locked(int id) {
  for (rt_thread_t *t = rt_threads_head; t != NULL; t = t->next) {
    if (t->id == id) return t;
  }
  return NULL;
}

/* (mu) Creates and links a thread state. */
static rt_thread_t *rt_threads_new_locked(unsigned long ident) {
  rt_thread_t *t = calloc(1, sizeof *t);
  pthread_condattr_t attr;

  if (t == NULL) return NULL;
  t->id = rt_threads_next_id++;
  t->ident = ident;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&t->cv, &attr);
  pthread_condattr_destroy(&attr);
  /* append: the list stays in id order */
  rt_thread_t **pp = &rt_threads_head;
  while (*pp != NULL) pp = &(*pp)->next;
  *pp = t;
  return t;
}

rt_thread_t *rt_threads_get_ident(unsigned long ident) {
  rt_thread_t *t = NULL;

  rt_threads_lock();
  for (t = rt_threads_head; t != NULL; t = t->next) {
    if (t->ident == ident) break;
  }
  if (t == NULL) t = rt_threads_new_locked(ident);
  rt_threads_unlock();
  return t;
}

rt_thread_t *rt_threads_current_create(void) {
  rt_tls_thread = rt_threads_get_ident(PyThread_get_thread_ident());
  return rt_tls_thread;
}

int rt_threads_exit_current(void) {
  rt_thread_t *t = rt_tls_thread;
  int id = 0;

  if (t == NULL || rt_thread_is_gone(t)) return 0;
  id = t->id;
  rt_threads_lock();
  for (rt_thread_t **pp = &rt_threads_head; *pp != NULL; pp = &(*pp)->next) {
    if (*pp == t) {
      *pp = t->next;
      break;
    }
  }
  rt_threads_unlock();
  Py_CLEAR(t->step_frame);
  Py_CLEAR(t->step_code);
  Py_CLEAR(t->mon_code);
  Py_CLEAR(t->last_raised);
  Py_CLEAR(t->last_unhandled);
  Py_CLEAR(t->ret_code);
  Py_CLEAR(t->ret_value);
  Py_CLEAR(t->tgt_frame);
  Py_CLEAR(t->tgt_caller);
  cJSON_Delete(t->goto_reply);
  rt_stop_calls_clear(t);
  while (t->q_head != NULL) { /* not waiting: nothing is queued, but be safe */
    rt_cmd_t *c = t->q_head;
    t->q_head = c->next;
    cJSON_Delete(c->request);
    free(c);
  }
  pthread_cond_destroy(&t->cv);
  free(t);
  rt_tls_thread = &rt_thread_gone_sentinel;
  return id;
}

void rt_threads_after_fork_child(void) {
  rt_thread_t *me = rt_tls_thread;

  pthread_mutex_init(&rt_threads_mu, NULL);
  /* Of the threads inside Python only the caller exists in the child (and
   * rt_python_leave does not count below zero). */
  rt_python_inside = 0;
  /* Other threads do not exist in the child: drop them (leaking their
   * Python references is safer than touching them here). */
  rt_threads_head = NULL;
  if (me != NULL && !rt_thread_is_gone(me)) {
    me->next = NULL;
    me->waiting = false;
    me->resume = false;
    me->q_head = me->q_tail = NULL;
    me->step_kind = RT_STEP_NONE;
    rt_threads_head = me;
  }
}

/* ---- the door to Python ------------------------------------------------------ */

bool rt_python_enter(PyGILState_STATE *gil) {
  rt_channel_t *ch = rt_channel_get();
  bool allowed = false;

  pthread_once(&rt_python_once, rt_python_cv_init);
  pthread_mutex_lock(&rt_threads_mu);
  allowed = rt_channel_python_allowed(ch);
  if (allowed) rt_python_inside++;
  pthread_mutex_unlock(&rt_threads_mu);
  if (allowed) *gil = PyGILState_Ensure();
  return allowed;
}

void rt_python_leave(PyGILState_STATE gil) {
  PyGILState_Release(gil);
  pthread_mutex_lock(&rt_threads_mu);
  if (rt_python_inside > 0 && --rt_python_inside == 0) pthread_cond_broadcast(&rt_python_out_cv);
  pthread_mutex_unlock(&rt_threads_mu);
}

void rt_python_close(void) {
  pthread_mutex_lock(&rt_threads_mu);
  rt_channel_at_exit(rt_channel_get());
  pthread_mutex_unlock(&rt_threads_mu);
}

bool rt_python_wait_out(void) {
  struct timespec until;
  int inside = 0;

  pthread_once(&rt_python_once, rt_python_cv_init);
  Py_BEGIN_ALLOW_THREADS
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_sec += RT_PYTHON_EXIT_WAIT_NS / 1000000000LL;
  until.tv_nsec += RT_PYTHON_EXIT_WAIT_NS % 1000000000LL;
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&rt_threads_mu);
  while (rt_python_inside > 0) {
    if (pthread_cond_timedwait(&rt_python_out_cv, &rt_threads_mu, &until) == ETIMEDOUT)
      break;
  }
  inside = rt_python_inside;
  pthread_mutex_unlock(&rt_threads_mu);
  Py_END_ALLOW_THREADS
  if (inside > 0) {
    rt_log(RT_LOG_ERROR,
           "%d thread(s) of the debugger still run Python code at exit (after %lld s)",
           inside, RT_PYTHON_EXIT_WAIT_NS / 1000000000LL);
    return false;
  }
  return true;
}
