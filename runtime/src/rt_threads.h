/* Per-thread state of the runtime: a small C struct per Python thread,
 * found from the thread itself through a thread-local pointer and by the
 * channel thread through a list walked under rt_threads_lock().
 *
 * Thread ids are assigned from 1 (the thread that called connect(), the
 * main thread) upwards and never reused. A thread whose run() ended is
 * unlinked and freed; its thread-local pointer then points to a sentinel
 * (rt_thread_is_gone) so late callbacks in it do nothing.
 *
 * Fields marked (mu) are guarded by rt_threads_lock(); fields marked (own)
 * are touched only by the thread itself with the GIL held. */
#ifndef RT_THREADS_H
#define RT_THREADS_H

#include "rt_compat.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <cjson/cJSON.h>

typedef enum {
  RT_STEP_NONE = 0,
  RT_STEP_OVER,
  RT_STEP_IN,
  RT_STEP_OUT,
} rt_step_kind_t;

/* The most step-in targets one line offers (stepInTargets lists no more). */
#define RT_STEP_TARGETS_MAX 32

/* A request routed to a stopped thread, answered by that thread. */
typedef struct rt_cmd {
  struct rt_cmd *next;
  cJSON *request; /* owned */
  int thread_id;  /* the thread it is for (a thread blocked in C: the
                   * stand-in of rt_standin.c answers for it) */
} rt_cmd_t;

/* Return values of the calls a `next` stepped over kept for its stop. */
#define RT_RET_CALLS 16
/* Returns of other frames (a callee's own callees) a `next` lets pass
 * between two of its direct callees' before it stops collecting return
 * values for the rest of that step (rt_backend_monitoring.c). */
#define RT_RET_OTHERS_MAX 64

typedef struct rt_thread {
  struct rt_thread *next; /* (mu) */
  int id;
  unsigned long ident; /* PyThread_get_thread_ident() */
  bool gone;

  /* stop state (mu) */
  pthread_cond_t cv;
  rt_cmd_t *q_head, *q_tail;
  bool waiting;    /* stopped or parked: serves its queue */
  bool resume;     /* continue/step arrived */
  bool exempt;     /* resumed alone (singleThread): does not park */
  rt_step_kind_t step_req; /* the step the resume asked for */
  long long busy_seq;      /* wire seq of the request it runs now, or 0 */
  atomic_bool busy_abandoned; /* the adapter gave up on that request */
  bool snapshot;        /* its frames were read while it is blocked in C
                         * during a stop (released at the next continue) */
  unsigned snapshot_stop; /* the stop (rt_stop.c's count) they were read for */
  bool snapshot_ending; /* that snapshot is being released: a stop of its
                         * own waits for the end (cv is signalled) */

  /* stepping (own) */
  rt_step_kind_t step_kind;
  bool step_user;         /* a step-in that stops in user code only: a
                             coroutine returned into the event loop */
  PyObject *step_frame;   /* strong: the frame a step is relative to */
  PyObject *step_code;    /* strong: its code (monitoring re-arming) */
  PyObject *mon_code;     /* strong: code the monitoring step tool armed */
  void *funcbp_frame;     /* identity only: frame that started a function bp */
  int funcbp_id;
  PyObject *last_raised;    /* strong: last exception reported as raised */
  PyObject *last_unhandled; /* strong: last reported as userUnhandled */
  /* inspection (own) */
  PyObject *ret_code;       /* strong: code of the frame a step left, */
  PyObject *ret_value;      /* strong: and the value it returned */
  PyObject *calls_frame;    /* strong: the frame a `next` steps over whose */
  PyObject *calls[RT_RET_CALLS][2]; /* direct callees returned (code, value):
                                       the last RT_RET_CALLS, a ring */
  unsigned ncalls;          /* returns recorded since calls_frame was set */
  unsigned calls_others;    /* other returns seen since the last direct one */
  bool calls_off;           /* this step collects no return values */
  PyObject *stop_exc;       /* borrowed while an exception stop is reported */
  const char *stop_exc_kind; /* "raised", "uncaught", "userUnhandled" */

  /* jumps and step-in targets (rt_goto.h) */
  PyObject *line_frame;  /* (own) borrowed: frame of the line event being handled */
  PyObject *check_frame; /* (own) borrowed: instrumented frame in its breakpoint check */
  bool goto_restop;      /* (own) a jump was made: stop again, reason goto */
  bool goto_pending;     /* (own) a jump to make at the frame's next instruction */
  int goto_line;         /* (own) its target line */
  long long goto_seq;    /* (own) the wire seq of that goto request */
  cJSON *goto_reply;     /* (own) its response, sent once stopped again */
  bool goto_silent;      /* (own) it was refused: stop again without `stopped` */
  int tgt_n;             /* (mu) step-in targets of the last stepInTargets */
  struct {
    int lo, hi; /* the call instruction's offsets [lo, hi) */
  } tgt[RT_STEP_TARGETS_MAX];
  int tgt_sel;           /* (mu) the target stepIn chose (index + 1), or 0 */
  PyObject *tgt_frame;   /* (own) strong: the frame of those targets */
  PyObject *tgt_caller;  /* (own) strong: the frame a targeted step-in is in */
  int tgt_lo, tgt_hi;    /* (own) the chosen call's offsets */
} rt_thread_t;

/* Nesting count of the runtime's own Python work on this thread: every
 * callback returns at once while it is non-zero. */
extern RT_TLS int rt_tls_in_debugger;

/* The calling thread's state (inline: every callback asks), and the
 * sentinel of a thread whose run() ended. */
extern RT_TLS rt_thread_t *rt_tls_thread;
extern rt_thread_t rt_thread_gone_sentinel;
rt_thread_t *rt_threads_current_create(void);

/* The calling thread's state, created on first use (GIL held). Returns
 * NULL when out of memory. May return the "gone" sentinel. */
static inline rt_thread_t *rt_threads_current(void) {
  rt_thread_t *t = rt_tls_thread;
  return t != NULL ? t : rt_threads_current_create();
}

/* True for the sentinel of a thread whose run() ended. */
static inline bool rt_thread_is_gone(const rt_thread_t *t) {
  return t == &rt_thread_gone_sentinel;
}

/* Marks the calling thread as ended: unlinks and frees its state. Returns
 * its id (0 if it had none). GIL held. */
int rt_threads_exit_current(void);

void rt_threads_lock(void);
void rt_threads_unlock(void);
/* (mu) Waits on cv, releasing the threads mutex meanwhile. */
void rt_threads_wait(pthread_cond_t *cv);
/* (mu) The same, until the CLOCK_MONOTONIC time `until` at the latest
 * (cv must use that clock). */
void rt_threads_timedwait(pthread_cond_t *cv, const struct timespec *until);

/* (mu) The thread with that id / ident, or NULL. */
rt_thread_t *rt_threads_find_id_locked(int id);
/* Finds or creates the state of thread `ident` (mu taken inside). */
rt_thread_t *rt_threads_get_ident(unsigned long ident);
/* (mu) First thread of the list (walk with ->next). */
rt_thread_t *rt_threads_first_locked(void);

/* After fork, in the child: forget every thread but the caller's. */
void rt_threads_after_fork_child(void);

/* ---- the door to Python for the runtime's own threads ---------------------
 * PyGILState_Ensure() must never run once the interpreter finalizes (3.11-3.13
 * then end or hang the calling thread, and a thread state made while the
 * interpreter is torn down can abort the process), and checking "not
 * finalizing" first leaves a window. So every thread of the runtime's own
 * (the channel thread and its handlers, the evaluation worker, value
 * helpers; statistics that Python code may also ask for) takes the GIL
 * through rt_python_enter(), and the atexit hook, which CPython runs before
 * it marks the interpreter finalizing, closes the door and waits for the
 * threads inside. (The stand-in, rt_standin.c, decides under the same mutex
 * and the hook waits for it to end.) */

/* Under the threads' mutex: refuses (returns false, *gil untouched) once
 * the door is closed or the interpreter finalizes, else counts the caller
 * in; then, outside the mutex, PyGILState_Ensure() into *gil. A thread that
 * holds the GIL already may enter too. Never with the threads' mutex held.
 * A refused request is answered with rt_commands_exiting(). */
bool rt_python_enter(PyGILState_STATE *gil);
/* PyGILState_Release(gil), then counts the caller out. Only after a
 * successful rt_python_enter(). */
void rt_python_leave(PyGILState_STATE gil);

/* The atexit hook (GIL held): under the threads' mutex, closes the door and
 * marks the channel `exiting` (rt_channel_at_exit). */
void rt_python_close(void);
/* The atexit hook, after rt_python_close (GIL held, released while it
 * waits): waits until no thread is inside, at most RT_PYTHON_EXIT_WAIT_NS;
 * past that logs an error and returns false. */
#define RT_PYTHON_EXIT_WAIT_NS 5000000000LL /* 5 s */
bool rt_python_wait_out(void);

#endif
