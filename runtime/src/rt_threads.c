/* See rt_threads.h. */
#include "rt_threads.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rt_log.h"

_Thread_local int rt_tls_in_debugger;
static _Thread_local rt_thread_t *rt_tls_thread;

static pthread_mutex_t rt_threads_mu = PTHREAD_MUTEX_INITIALIZER;
static rt_thread_t *rt_threads_head;
static int rt_threads_next_id = 1;
static rt_thread_t rt_thread_gone_sentinel = {.gone = true};

void rt_threads_lock(void) { pthread_mutex_lock(&rt_threads_mu); }
void rt_threads_unlock(void) { pthread_mutex_unlock(&rt_threads_mu); }
void rt_threads_wait(pthread_cond_t *cv) { pthread_cond_wait(cv, &rt_threads_mu); }
void rt_threads_timedwait(pthread_cond_t *cv, const struct timespec *until) {
  (void)pthread_cond_timedwait(cv, &rt_threads_mu, until);
}

bool rt_thread_is_gone(const rt_thread_t *t) {
  return t == &rt_thread_gone_sentinel;
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

rt_thread_t *rt_threads_current(void) {
  if (rt_tls_thread == NULL) {
    rt_tls_thread = rt_threads_get_ident(PyThread_get_thread_ident());
  }
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
