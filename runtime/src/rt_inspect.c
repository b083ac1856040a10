/* See rt_inspect.h. */
#include "rt_inspect.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <dapper/errors.h>
#include <dapper/message.h>

#include "rt_backend.h"
#include "rt_commands.h"
#include "rt_log.h"
#include "rt_stop.h"
#include "rt_support.h"
#include "rt_threads.h"

bool rt_show_return_value = true;
RT_TLS atomic_bool *rt_tls_cancel;

/* ---- ids ------------------------------------------------------------------
 * Ids are handed out in blocks of RT_ID_BLOCK per thread; the table maps a
 * block to its thread. A stop uses a few blocks at most, so the table stays
 * small and a linear scan is fine. Ids start at RT_ID_BLOCK (never 0). */
#define RT_ID_BLOCK 256
#define RT_ID_MAX_BLOCK (0x7fffffffLL / RT_ID_BLOCK)

typedef struct {
  long long block;
  int thread_id;
  int used;
} rt_id_block_t;

static pthread_mutex_t rt_ids_mu = PTHREAD_MUTEX_INITIALIZER;
static rt_id_block_t *rt_id_blocks;
static size_t rt_id_n, rt_id_cap;
static long long rt_id_next_block = 1;

long long rt_ids_new(int thread_id) {
  long long id = 0;
  pthread_mutex_lock(&rt_ids_mu);
  rt_id_block_t *b = NULL;
  for (size_t i = rt_id_n; i-- > 0;) {
    if (rt_id_blocks[i].thread_id == thread_id) {
      if (rt_id_blocks[i].used < RT_ID_BLOCK) b = &rt_id_blocks[i];
      break;
    }
  }
  if (b == NULL) {
    if (rt_id_n == rt_id_cap) {
      size_t cap = rt_id_cap ? rt_id_cap * 2 : 16;
      rt_id_block_t *nb = realloc(rt_id_blocks, cap * sizeof *nb);
      if (nb == NULL) goto out;
      rt_id_blocks = nb;
      rt_id_cap = cap;
    }
    b = &rt_id_blocks[rt_id_n++];
    b->block = rt_id_next_block++;
    if (rt_id_next_block > RT_ID_MAX_BLOCK) rt_id_next_block = 1;
    b->thread_id = thread_id;
    b->used = 0;
  }
  id = b->block * RT_ID_BLOCK + b->used++;
out:
  pthread_mutex_unlock(&rt_ids_mu);
  return id;
}

int rt_ids_lookup(long long id) {
  int tid = 0;
  long long block = id / RT_ID_BLOCK;
  if (id <= 0) return 0;
  pthread_mutex_lock(&rt_ids_mu);
  for (size_t i = 0; i < rt_id_n; i++) {
    if (rt_id_blocks[i].block == block) {
      if (id % RT_ID_BLOCK < rt_id_blocks[i].used) tid = rt_id_blocks[i].thread_id;
      break;
    }
  }
  pthread_mutex_unlock(&rt_ids_mu);
  return tid;
}

void rt_ids_release(int thread_id) {
  size_t j = 0;
  pthread_mutex_lock(&rt_ids_mu);
  for (size_t i = 0; i < rt_id_n; i++) {
    if (rt_id_blocks[i].thread_id != thread_id) rt_id_blocks[j++] = rt_id_blocks[i];
  }
  rt_id_n = j;
  pthread_mutex_unlock(&rt_ids_mu);
}

/* ---- Python functions ---------------------------------------------------- */

static PyObject *rt_py_new_id(PyObject *module, PyObject *arg) {
  long tid = PyLong_AsLong(arg);
  long long id = 0;
  if (tid == -1 && PyErr_Occurred()) return NULL;
  id = rt_ids_new((int)tid);
  if (id == 0) return PyErr_NoMemory();
  return PyLong_FromLongLong(id);
}

static PyObject *rt_py_cancelled(PyObject *module, PyObject *unused) {
  return PyBool_FromLong(rt_tls_cancel != NULL && atomic_load(rt_tls_cancel));
}

static PyObject *rt_py_locals_to_fast(PyObject *module, PyObject *frame) {
  if (!PyFrame_Check(frame)) {
    PyErr_SetString(PyExc_TypeError, "_locals_to_fast(frame)");
    return NULL;
  }
  if (rt_compat_locals_to_fast((PyFrameObject *)frame) < 0) return NULL;
  Py_RETURN_NONE;
}

/* _spawn(callable): runs callable() once on a new detached thread that is
 * "inside the debugger" (no breakpoint, step or park; not a program thread)
 * and holds the GIL while it runs. Used to give each rendered value its own
 * time budget (_dapper_values.py): the stopped thread waits for the helper
 * with a timeout and leaves it behind when a __repr__ or getter is slow. */
static void *rt_spawn_main(void *arg) {
  PyObject *fn = arg;
  PyGILState_STATE gil;
  rt_tls_in_debugger = 1;
  if (!rt_python_enter(&gil)) return NULL; /* fn leaks: the program is exiting */
  PyObject *res = PyObject_CallNoArgs(fn);
  if (res == NULL) {
    char text[512];
    rt_exc_text(text, sizeof text);
    rt_log(RT_LOG_ERROR, "value helper thread: %s", text);
  }
  Py_XDECREF(res);
  Py_DECREF(fn);
  rt_python_leave(gil);
  return NULL;
}

static PyObject *rt_py_spawn(PyObject *module, PyObject *fn) {
  pthread_attr_t attr;
  pthread_t tid;
  sigset_t all, old;
  int rc = 0;
  (void)module;
  if (!PyCallable_Check(fn)) {
    PyErr_SetString(PyExc_TypeError, "_spawn(callable)");
    return NULL;
  }
  Py_INCREF(fn);
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  rc = pthread_create(&tid, &attr, rt_spawn_main, fn);
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc != 0) {
    Py_DECREF(fn);
    PyErr_SetString(PyExc_RuntimeError, "cannot start a helper thread");
    return NULL;
  }
  Py_RETURN_NONE;
}

PyMethodDef rt_inspect_methods[] = {
    {"_spawn", rt_py_spawn, METH_O, NULL},
    {"_new_id", rt_py_new_id, METH_O, NULL},
    {"_cancelled", rt_py_cancelled, METH_NOARGS, NULL},
    {"_locals_to_fast", rt_py_locals_to_fast, METH_O, NULL},
    {NULL, NULL, 0, NULL},
};

/* ---- configure --------------------------------------------------------------- */

int rt_handle_configure_all(rt_channel_t *ch, const cJSON *req, cJSON **body) {
  const cJSON *args = cJSON_GetObjectItemCaseSensitive(req, "arguments");
  bool show = true, jmc = true;
  int rc = 0;

  (void)dap_get_bool(args, "showReturnValue", &show);
  rt_show_return_value = show;
  (void)dap_get_bool(args, "justMyCode", &jmc);
  rt_just_my_code = jmc;
  rc = rt_handle_configure(ch, req, body);
  if (rc == 0 && args != NULL) {
    PyGILState_STATE gil;
    if (!rt_python_enter(&gil)) {
      cJSON_Delete(*body);
      *body = NULL;
      return rt_commands_exiting();
    }
    PyObject *settings = rt_py_from_json(args);
    PyObject *res = settings != NULL ? rt_support_call("configure", "(O)", settings) : NULL;
    if (res != NULL) rt_engine_reclassify(); /* with the `rules` */
    if (res == NULL) {
      char text[512];
      rt_exc_text(text, sizeof text);
      rt_log(RT_LOG_ERROR, "configure (inspection): %s", text);
    }
    Py_XDECREF(res);
    Py_XDECREF(settings);
    PyErr_Clear();
    rt_python_leave(gil);
  }
  return rc;
}

/* ---- routing ---------------------------------------------------------------- */

static int rt_route_id(const cJSON *req, long long id, const char *what) {
  int tid = rt_ids_lookup(id);
  if (tid == 0) {
    return rt_commands_fail(DAPPER_ESTATE,
                            "%s %lld is not valid any more: references last until "
                            "the program resumes",
                            what, id);
  }
  return rt_stop_route(req, tid);
}

/* The worker that evaluates while nothing is stopped. One at a time. */
static atomic_bool rt_worker_busy;
static atomic_bool rt_worker_abandoned;
static atomic_llong rt_worker_seq;

static void *rt_worker_main(void *arg) {
  cJSON *req = arg;
  rt_channel_t *ch = rt_channel_get();
  PyGILState_STATE gil;

  rt_tls_in_debugger = 1;
  rt_tls_cancel = &rt_worker_abandoned;
  if (rt_python_enter(&gil)) {
    rt_stop_run_request(0, req);
    rt_python_leave(gil);
  } else {
    cJSON *reply = dap_msg_error_response(
        (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(req, "seq")),
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "command")),
        DAPPER_ERUNTIME, "%s", RT_EXITING_TEXT);
    if (reply != NULL) (void)rt_channel_send(ch, reply);
  }
  cJSON_Delete(req);
  atomic_store(&rt_worker_busy, false);
  return NULL;
}

void rt_inspect_at_exit(void) {
  if (atomic_load(&rt_worker_busy)) atomic_store(&rt_worker_abandoned, true);
}

static int rt_run_on_worker(rt_channel_t *ch, const cJSON *req) {
  pthread_attr_t attr;
  pthread_t tid;
  sigset_t all, old;
  cJSON *copy = NULL;
  bool expected = false;
  int rc = 0;

  /* (A hint: the worker asks again through rt_python_enter.) */
  if (!rt_channel_python_allowed(ch)) return rt_commands_exiting();
  if (!atomic_compare_exchange_strong(&rt_worker_busy, &expected, true)) {
    return rt_commands_fail(DAPPER_ESTATE,
                            "an earlier evaluation (made while the program runs) is "
                            "still running%s; try again when it returns",
                            atomic_load(&rt_worker_abandoned) ? " after its time budget"
                                                              : "");
  }
  copy = cJSON_Duplicate(req, true);
  if (copy == NULL) {
    atomic_store(&rt_worker_busy, false);
    return DAPPER_ENOMEM;
  }
  atomic_store(&rt_worker_abandoned, false);
  atomic_store(&rt_worker_seq, (long long)cJSON_GetNumberValue(
                                   cJSON_GetObjectItemCaseSensitive(req, "seq")));
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  rc = pthread_create(&tid, &attr, rt_worker_main, copy);
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc != 0) {
    cJSON_Delete(copy);
    atomic_store(&rt_worker_busy, false);
    return rt_commands_fail(DAPPER_ERUNTIME, "cannot start an evaluation thread");
  }
  return RT_DEFERRED;
}

int rt_handle_scopes(rt_channel_t *ch, const cJSON *req, cJSON **body) {
  long long id = 0;
  (void)ch;
  (void)body;
  int rc = rt_commands_int_arg(req, "frameId", true, &id);
  if (rc != 0) return rc;
  return rt_route_id(req, id, "frame");
}

/* variables, setVariable */
int rt_handle_by_ref(rt_channel_t *ch, const cJSON *req, cJSON **body) {
  long long id = 0;
  (void)ch;
  (void)body;
  int rc = rt_commands_int_arg(req, "variablesReference", true, &id);
  if (rc != 0) return rc;
  return rt_route_id(req, id, "variablesReference");
}

/* evaluate, completions, setExpression: in a frame, else in __main__. */
int rt_handle_by_frame(rt_channel_t *ch, const cJSON *req, cJSON **body) {
  long long id = 0;
  int tid = 0, rc = 0;
  (void)body;
  /* A frameId of the wrong type is an error, not "no frame". */
  rc = rt_commands_int_arg(req, "frameId", false, &id);
  if (rc < 0) return rc;
  if (rc == 0) return rt_route_id(req, id, "frame");
  tid = rt_stop_any_waiting();
  if (tid != 0) return rt_stop_route(req, tid);
  return rt_run_on_worker(ch, req);
}

int rt_handle_exception_info(rt_channel_t *ch, const cJSON *req, cJSON **body) {
  long long id = 0;
  (void)ch;
  (void)body;
  int rc = rt_commands_int_arg(req, "threadId", true, &id);
  if (rc != 0) return rc;
  return rt_stop_route(req, (int)id);
}

/* source, loadedSources, modules: no user code; the channel thread takes
 * the GIL and answers. */
int rt_handle_channel_gil(rt_channel_t *ch, const cJSON *req, cJSON **body) {
  PyGILState_STATE gil;
  (void)ch;
  (void)body;
  if (!rt_python_enter(&gil)) return rt_commands_exiting();
  rt_stop_run_request(0, req);
  rt_python_leave(gil);
  return RT_DEFERRED;
}

/* `cancel` {requestId}: the adapter answered that request already (it was
 * cancelled or ran out of time). A queued one is dropped; a running one
 * is flagged so that loops check it and its late answer is ignored. */
int rt_handle_cancel(rt_channel_t *ch, const cJSON *req, cJSON **body) {
  long long id = 0;
  (void)ch;
  (void)body;
  int rc = rt_commands_int_arg(req, "requestId", true, &id);
  if (rc != 0) return rc;
  if (!rt_stop_cancel(id) && atomic_load(&rt_worker_busy) &&
      atomic_load(&rt_worker_seq) == id) {
    atomic_store(&rt_worker_abandoned, true);
  }
  return 0;
}
