/* The execution requests of docs/wire-protocol.md: threads, stackTrace,
 * continue, next, stepIn, stepOut, pause. Channel thread. */
#include "rt_stop.h"

#include <stdlib.h>

#include <dapper/errors.h>
#include <dapper/message.h>

#include "rt_backend.h"
#include "rt_goto.h"
#include "rt_support.h"

/* threadId: "threadId is required" when absent, "threadId must be an
 * integer" when of another type. */
static int rt_thread_arg(const cJSON *req, int *id) {
  long long v = 0;
  int rc = rt_commands_int_arg(req, "threadId", true, &v);
  if (rc != 0) return rc;
  *id = (int)v;
  return 0;
}

int rt_handle_threads(rt_channel_t *ch, const cJSON *req, cJSON **body) {
  PyGILState_STATE gil;
  PyObject *list = NULL;
  cJSON *out = NULL, *arr = NULL;

  (void)req;
  (void)ch;
  out = cJSON_CreateObject();
  arr = cJSON_AddArrayToObject(out, "threads");
  if (arr == NULL) {
    cJSON_Delete(out);
    return DAPPER_ENOMEM;
  }
  if (!rt_python_enter(&gil)) {
    cJSON_Delete(out);
    return rt_commands_exiting();
  }
  list = rt_support_call("list_threads", "()");
  if (list != NULL && PyList_Check(list)) {
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++) {
      PyObject *pair = PyList_GET_ITEM(list, i);
      unsigned long ident = PyLong_AsUnsignedLong(PyTuple_GET_ITEM(pair, 0));
      char *name = rt_strdup_py(PyTuple_GET_ITEM(pair, 1));
      rt_thread_t *t = rt_threads_get_ident(ident);
      if (t != NULL && name != NULL) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", t->id);
        cJSON_AddStringToObject(o, "name", name);
        cJSON_AddItemToArray(arr, o);
      }
      free(name);
    }
  }
  Py_XDECREF(list);
  PyErr_Clear();
  rt_python_leave(gil);
  *body = out;
  return 0;
}

int rt_handle_stack_trace(rt_channel_t *ch, const cJSON *req, cJSON **body) {
  int id = 0, rc = rt_thread_arg(req, &id);
  (void)ch;
  (void)body;
  return rc < 0 ? rc : rt_stop_route(req, id);
}

static int rt_resume_request(const cJSON *req, cJSON **body,
                             rt_step_kind_t step) {
  const cJSON *args = cJSON_GetObjectItemCaseSensitive(req, "arguments");
  bool single = false;
  int id = 0, rc = 0;

  (void)body;
  (void)dap_get_bool(args, "singleThread", &single);
  /* continue may omit threadId (all threads), but a threadId that is not
   * an integer is an error, not "continue everything". */
  long long v = 0;
  rc = rt_commands_int_arg(req, "threadId", step != RT_STEP_NONE, &v);
  if (rc < 0) return rc;
  if (rc == 0) id = (int)v;
  return rt_stop_resume(req, id, single, step);
}

int rt_handle_continue(rt_channel_t *ch, const cJSON *req, cJSON **body) {
  (void)ch;
  return rt_resume_request(req, body, RT_STEP_NONE);
}

int rt_handle_next(rt_channel_t *ch, const cJSON *req, cJSON **body) {
  (void)ch;
  return rt_resume_request(req, body, RT_STEP_OVER);
}

int rt_handle_step_in(rt_channel_t *ch, const cJSON *req, cJSON **body) {
  int rc = rt_step_target_choose(req); /* targetId: into that call only */
  (void)ch;
  if (rc < 0) return rc;
  return rt_resume_request(req, body, RT_STEP_IN);
}

int rt_handle_step_out(rt_channel_t *ch, const cJSON *req, cJSON **body) {
  (void)ch;
  return rt_resume_request(req, body, RT_STEP_OUT);
}

int rt_handle_pause(rt_channel_t *ch, const cJSON *req, cJSON **body) {
  int id = 0, rc = rt_thread_arg(req, &id);
  PyGILState_STATE gil;

  (void)body;
  if (rc < 0) return rc;
  rc = rt_stop_pause(req, id); /* answered there, before the pause is set */
  if (rc < 0) return rc;
  (void)ch;
  if (rt_python_enter(&gil)) { /* (exiting: the pause was answered, nothing to arm) */
    rt_backend_control_changed();
    rt_python_leave(gil);
  }
  return RT_DEFERRED;
}
