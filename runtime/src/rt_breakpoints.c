/* The breakpoint requests of docs/wire-protocol.md: setBreakpoints,
 * setFunctionBreakpoints, setExceptionBreakpoints, breakpointLocations.
 * They run on the channel thread, take the GIL for the tables, and let the
 * backend re-arm what changed. */
#include "rt_engine_priv.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dapper/errors.h>
#include <dapper/message.h>

#include "rt_backend.h"
#include "rt_log.h"
#include "rt_support.h"

/* Parses a hitCondition: "N" / "==N", ">N", ">=N", "<N", "<=N", "%N".
 * Returns 0, or -1 when it is none of those. */
static int rt_parse_hit(const char *s, rt_hit_op_t *op, long *n) {
  char *end = NULL;
  long v = 0;

  while (isspace((unsigned char)*s)) s++;
  if (*s == '\0') {
    *op = RT_HIT_NONE;
    return 0;
  }
  if (strncmp(s, "==", 2) == 0) { *op = RT_HIT_EQ; s += 2; }
  else if (strncmp(s, ">=", 2) == 0) { *op = RT_HIT_GE; s += 2; }
  else if (strncmp(s, "<=", 2) == 0) { *op = RT_HIT_LE; s += 2; }
  else if (*s == '>') { *op = RT_HIT_GT; s++; }
  else if (*s == '<') { *op = RT_HIT_LT; s++; }
  else if (*s == '%') { *op = RT_HIT_MOD; s++; }
  else *op = RT_HIT_EQ;
  while (isspace((unsigned char)*s)) s++;
  if (!isdigit((unsigned char)*s)) return -1;
  v = strtol(s, &end, 10);
  while (isspace((unsigned char)*end)) end++;
  if (*end != '\0') return -1;
  if (*op == RT_HIT_MOD && v <= 0) return -1;
  *n = v;
  return 0;
}

/* Fills bp's condition, hitCondition and logMessage from item. Returns
 * NULL, or a static/provided message when the breakpoint is invalid. */
static const char *rt_bp_options(rt_bp_t *bp, const cJSON *item,
                                 bool allow_log, char *msg, size_t msg_size) {
  const char *cond = NULL, *hit = NULL, *log = NULL;

  (void)dap_get_string(item, "condition", &cond);
  (void)dap_get_string(item, "hitCondition", &hit);
  if (allow_log) (void)dap_get_string(item, "logMessage", &log);
  if (hit != NULL && rt_parse_hit(hit, &bp->hit_op, &bp->hit_n) < 0) {
    snprintf(msg, msg_size,
             "invalid hitCondition '%s' (use N, ==N, >N, >=N, <N, <=N or %%N)",
             hit);
    return msg;
  }
  if (cond != NULL && cond[0] != '\0') {
    PyObject *code = rt_support_call("compile_condition", "(s)", cond);
    bp->cond_src = strdup(cond);
    if (code == NULL) {
      char text[512];
      rt_exc_text(text, sizeof text);
      bp->cond_error = strdup(text);
    } else {
      bp->cond = code;
      /* The simple ones also become a C predicate (rt_cond.h). */
      PyObject *desc = rt_support_call("parse_condition", "(s)", cond);
      bp->pred = rt_pred_new(desc);
      Py_XDECREF(desc);
      PyErr_Clear();
    }
  }
  if (log != NULL && log[0] != '\0') {
    bp->log = PyUnicode_FromString(log);
    if (bp->log == NULL) PyErr_Clear();
  }
  return NULL;
}

static cJSON *rt_source_json(const char *path) {
  cJSON *src = cJSON_CreateObject();
  if (src != NULL) cJSON_AddStringToObject(src, "path", path);
  return src;
}

/* Remembers the path the client sent for canon (stack traces show it):
 * the support module's _client_paths, no Python code run. */
static void rt_set_client_path(PyObject *canon, const char *path) {
  PyObject *d = rt_lazy_support_dict("_client_paths"); /* borrowed */
  PyObject *p = d != NULL ? PyUnicode_FromString(path) : NULL;
  if (p != NULL) (void)PyDict_SetItem(d, canon, p);
  Py_XDECREF(p);
  PyErr_Clear();
}

int rt_handle_set_breakpoints(rt_channel_t *ch, const cJSON *req, cJSON **body) {
  const cJSON *args = cJSON_GetObjectItemCaseSensitive(req, "arguments");
  const cJSON *source = NULL, *items = NULL, *item = NULL;
  const char *path = NULL;
  PyObject *canon_obj = NULL, *lines = NULL, *resolved = NULL;
  rt_bpfile_t *bf = NULL, *old = NULL;
  cJSON *out = NULL, *arr = NULL;
  PyGILState_STATE gil;
  int n = 0, i = 0, rc = 0, lazy = 0;

  if (dap_get_object(args, "source", &source) != 0 ||
      dap_get_string(source, "path", &path) != 0) {
    return DAPPER_EINVAL;
  }
  if (dap_get_array(args, "breakpoints", &items) < 0) return DAPPER_EINVAL;
  n = items != NULL ? cJSON_GetArraySize(items) : 0;
  if (!rt_python_enter(&gil)) return rt_commands_exiting();
  /* A file nothing loaded yet: its lines are checked when it loads. */
  lazy = n > 0 ? rt_lazy_decide(path, &canon_obj) : 0;
  if (lazy < 0) {
    PyErr_Clear();
    lazy = 0;
  }
  if (canon_obj == NULL) canon_obj = rt_support_call("canonical", "(s)", path);
  if (canon_obj == NULL) goto pyerror;
  if (!lazy) {
    lines = PyList_New(n);
    if (lines == NULL) goto pyerror;
    i = 0;
    cJSON_ArrayForEach(item, items) {
      long long line = 0;
      (void)dap_get_int(item, "line", &line);
      PyList_SET_ITEM(lines, i++, PyLong_FromLongLong(line));
    }
    resolved = rt_support_call("resolve_lines", "(sO)", path, lines);
    if (resolved == NULL || !PyList_Check(resolved)) goto pyerror;
  }
  bf = calloc(1, sizeof *bf);
  if (bf == NULL) goto nomem;
  bf->canon = rt_strdup_py(canon_obj);
  bf->client_path = strdup(path);
  bf->bps = calloc((size_t)(n > 0 ? n : 1), sizeof *bf->bps);
  if (bf->canon == NULL || bf->client_path == NULL || bf->bps == NULL) goto nomem;
  bf->lazy = lazy == 1;
  rt_set_client_path(canon_obj, path);

  out = cJSON_CreateObject();
  arr = cJSON_AddArrayToObject(out, "breakpoints");
  if (arr == NULL) goto nomem;
  i = 0;
  cJSON_ArrayForEach(item, items) {
    rt_bp_t *bp = &bf->bps[i];
    long long id = 0, req_line = 0;
    char msgbuf[256];
    const char *message = NULL;
    char *resolve_msg = NULL;
    cJSON *o = cJSON_CreateObject();

    if (o == NULL) goto nomem;
    cJSON_AddItemToArray(arr, o);
    (void)dap_get_int(item, "id", &id);
    (void)dap_get_int(item, "line", &req_line);
    bp->id = (int)id;
    if (lazy) {
      bp->line = (int)req_line; /* checked when the file loads */
    } else {
      PyObject *pair = PyList_GET_ITEM(resolved, i); /* (line|None, msg|None) */
      PyObject *rline = PyTuple_GET_ITEM(pair, 0);
      bp->line = rline != Py_None ? (int)PyLong_AsLong(rline) : 0;
    }
    message = rt_bp_options(bp, item, true, msgbuf, sizeof msgbuf);
    if (message == NULL && bp->line <= 0) {
      resolve_msg = lazy ? NULL : rt_strdup_py(PyTuple_GET_ITEM(PyList_GET_ITEM(resolved, i), 1));
      message = resolve_msg != NULL ? resolve_msg : "no code at that line";
    }
    /* A file that compiles has its lines known whether or not it is
     * loaded yet: verified now, armed when its code appears. A lazy one
     * is verified at the requested line until its module code says. */
    bp->verified = message == NULL;
    if (!bp->verified) bp->line = 0; /* never fires */
    cJSON_AddNumberToObject(o, "id", (double)id);
    cJSON_AddBoolToObject(o, "verified", bp->verified);
    cJSON_AddNumberToObject(o, "line",
                            bp->line > 0 ? bp->line : (double)req_line);
    if (message != NULL) cJSON_AddStringToObject(o, "message", message);
    cJSON_AddItemToObject(o, "source", rt_source_json(path));
    free(resolve_msg);
    i++;
  }
  bf->n = n;
  PyErr_Clear();

  /* Replace the file's table. */
  old = rt_bpfile_find(bf->canon);
  if (old != NULL) {
    rt_bpfile_unlink(old);
    /* Hit counts survive for breakpoints that stay (same id). */
    for (int k = 0; k < bf->n; k++) {
      for (int j = 0; j < old->n; j++) {
        if (old->bps[j].id == bf->bps[k].id) bf->bps[k].hits = old->bps[j].hits;
      }
    }
    if (old->lazy) rt_lazy_pending--;
    old->lazy = false;
    rt_bpfile_free(old);
  }
  if (bf->n > 0) {
    rt_bpfile_link(bf);
    if (bf->lazy) {
      rt_lazy_pending++;
      rt_lazy_answered++;
    }
  } else {
    rt_bpfile_free(bf);
  }
  bf = NULL;
  rt_engine_gen++;
  {
    char *canon = rt_strdup_py(canon_obj);
    if (canon != NULL) rt_backend_breakpoints_changed(canon);
    free(canon);
  }
  *body = out;
  out = NULL;
  rc = 0;
  goto done;

nomem:
  rc = DAPPER_ENOMEM;
  goto done;
pyerror:
  rt_log(RT_LOG_ERROR, "setBreakpoints failed");
  rc = DAPPER_ERUNTIME;
done:
  PyErr_Clear();
  if (bf != NULL) rt_bpfile_free(bf);
  cJSON_Delete(out);
  Py_XDECREF(canon_obj);
  Py_XDECREF(lines);
  Py_XDECREF(resolved);
  rt_python_leave(gil);
  return rc;
}

int rt_handle_set_function_breakpoints(rt_channel_t *ch, const cJSON *req,
                                       cJSON **body) {
  const cJSON *args = cJSON_GetObjectItemCaseSensitive(req, "arguments");
  const cJSON *items = NULL, *item = NULL;
  rt_bp_t *bps = NULL;
  PyObject *names = NULL;
  cJSON *out = NULL, *arr = NULL;
  PyGILState_STATE gil;
  int n = 0, i = 0;

  if (dap_get_array(args, "breakpoints", &items) < 0) return DAPPER_EINVAL;
  n = items != NULL ? cJSON_GetArraySize(items) : 0;
  if (!rt_python_enter(&gil)) return rt_commands_exiting();
  bps = calloc((size_t)(n > 0 ? n : 1), sizeof *bps);
  names = PyTuple_New(n);
  out = cJSON_CreateObject();
  arr = cJSON_AddArrayToObject(out, "breakpoints");
  if (bps == NULL || names == NULL || arr == NULL) {
    free(bps);
    Py_XDECREF(names);
    cJSON_Delete(out);
    rt_python_leave(gil);
    return DAPPER_ENOMEM;
  }
  cJSON_ArrayForEach(item, items) {
    rt_bp_t *bp = &bps[i];
    const char *name = "";
    long long id = 0;
    char msgbuf[256];
    const char *message = NULL;
    PyObject *valid = NULL;
    cJSON *o = cJSON_CreateObject();

    (void)dap_get_string(item, "name", &name);
    (void)dap_get_int(item, "id", &id);
    bp->id = (int)id;
    PyTuple_SET_ITEM(names, i, PyUnicode_FromString(name));
    valid = rt_support_call("valid_function_name", "(s)", name);
    if (valid == NULL || PyObject_IsTrue(valid) != 1) {
      snprintf(msgbuf, sizeof msgbuf, "'%s' is not a function name", name);
      message = msgbuf;
    }
    Py_XDECREF(valid);
    PyErr_Clear();
    if (message == NULL) message = rt_bp_options(bp, item, false, msgbuf, sizeof msgbuf);
    bp->verified = message == NULL;
    cJSON_AddItemToArray(arr, o);
    cJSON_AddNumberToObject(o, "id", (double)id);
    cJSON_AddBoolToObject(o, "verified", bp->verified);
    if (message != NULL) cJSON_AddStringToObject(o, "message", message);
    i++;
  }
  PyErr_Clear();
  for (int k = 0; k < n; k++) {
    for (int j = 0; j < rt_engine_nfuncbps; j++) {
      if (rt_funcbps[j].id == bps[k].id) bps[k].hits = rt_funcbps[j].hits;
    }
  }
  for (int j = 0; j < rt_engine_nfuncbps; j++) rt_bp_clear(&rt_funcbps[j]);
  free(rt_funcbps);
  Py_XSETREF(rt_funcbp_names, names);
  rt_funcbps = bps;
  rt_engine_nfuncbps = n;
  rt_engine_gen++;
  rt_backend_breakpoints_changed(NULL);
  rt_python_leave(gil);
  *body = out;
  return 0;
}

/* "ValueError, KeyError" -> ("ValueError", "KeyError"); "" -> NULL. */
static PyObject *rt_names_tuple(const char *cond) {
  PyObject *list = PyList_New(0), *tuple = NULL;
  const char *p = cond;

  if (list == NULL) return NULL;
  while (p != NULL && *p != '\0') {
    const char *comma = strchr(p, ',');
    const char *end = comma != NULL ? comma : p + strlen(p);
    const char *a = p, *b = end;
    while (a < b && isspace((unsigned char)*a)) a++;
    while (b > a && isspace((unsigned char)b[-1])) b--;
    if (b > a) {
      PyObject *s = PyUnicode_FromStringAndSize(a, b - a);
      if (s == NULL || PyList_Append(list, s) < 0) {
        Py_XDECREF(s);
        Py_DECREF(list);
        return NULL;
      }
      Py_DECREF(s);
    }
    p = comma != NULL ? comma + 1 : NULL;
  }
  if (PyList_GET_SIZE(list) > 0) tuple = PyList_AsTuple(list);
  Py_DECREF(list);
  return tuple;
}

static int rt_filter_index(const char *id) {
  if (strcmp(id, "raised") == 0) return 0;
  if (strcmp(id, "uncaught") == 0) return 1;
  if (strcmp(id, "userUnhandled") == 0) return 2;
  return -1;
}

int rt_handle_set_exception_breakpoints(rt_channel_t *ch, const cJSON *req,
                                        cJSON **body) {
  const cJSON *args = cJSON_GetObjectItemCaseSensitive(req, "arguments");
  const cJSON *filters = NULL, *options = NULL, *item = NULL;
  bool on[3] = {false, false, false};
  PyObject *names[3] = {NULL, NULL, NULL};
  cJSON *out = cJSON_CreateObject();
  cJSON *arr = cJSON_AddArrayToObject(out, "breakpoints");
  PyGILState_STATE gil;

  if (arr == NULL) {
    cJSON_Delete(out);
    return DAPPER_ENOMEM;
  }
  if (dap_get_array(args, "filters", &filters) < 0 ||
      dap_get_array(args, "filterOptions", &options) < 0) {
    cJSON_Delete(out);
    return DAPPER_EINVAL;
  }
  if (!rt_python_enter(&gil)) {
    cJSON_Delete(out);
    return rt_commands_exiting();
  }
  cJSON_ArrayForEach(item, filters) {
    const char *id = cJSON_GetStringValue(item);
    int k = id != NULL ? rt_filter_index(id) : -1;
    cJSON *o = cJSON_CreateObject();
    if (k >= 0) on[k] = true;
    cJSON_AddBoolToObject(o, "verified", k >= 0);
    if (k < 0) cJSON_AddStringToObject(o, "message", "unknown exception filter");
    cJSON_AddItemToArray(arr, o);
  }
  cJSON_ArrayForEach(item, options) {
    const char *id = NULL, *cond = NULL;
    int k = -1;
    cJSON *o = cJSON_CreateObject();
    (void)dap_get_string(item, "filterId", &id);
    (void)dap_get_string(item, "condition", &cond);
    k = id != NULL ? rt_filter_index(id) : -1;
    if (k >= 0) {
      on[k] = true;
      Py_XSETREF(names[k], cond != NULL ? rt_names_tuple(cond) : NULL);
      PyErr_Clear();
    }
    cJSON_AddBoolToObject(o, "verified", k >= 0);
    if (k < 0) cJSON_AddStringToObject(o, "message", "unknown exception filter");
    cJSON_AddItemToArray(arr, o);
  }
  for (int k = 0; k < 3; k++) Py_XSETREF(rt_exc_names[k], names[k]);
  rt_exc_raised = on[0];
  rt_exc_uncaught = on[1];
  rt_exc_user_unhandled = on[2];
  rt_backend_exceptions_changed();
  rt_python_leave(gil);
  *body = out;
  return 0;
}

int rt_handle_breakpoint_locations(rt_channel_t *ch, const cJSON *req,
                                   cJSON **body) {
  const cJSON *args = cJSON_GetObjectItemCaseSensitive(req, "arguments");
  const cJSON *source = NULL;
  const char *path = NULL;
  long long line = 0, end_line = -1;
  PyObject *res = NULL;
  cJSON *out = NULL, *arr = NULL;
  PyGILState_STATE gil;

  if (dap_get_object(args, "source", &source) != 0 ||
      dap_get_string(source, "path", &path) != 0 ||
      dap_get_int(args, "line", &line) != 0) {
    return DAPPER_EINVAL;
  }
  (void)dap_get_int(args, "endLine", &end_line);
  if (!rt_python_enter(&gil)) return rt_commands_exiting();
  res = rt_support_call("breakpoint_locations", "(sLL)", path, line,
                        end_line >= 0 ? end_line : line);
  out = cJSON_CreateObject();
  arr = cJSON_AddArrayToObject(out, "breakpoints");
  if (res != NULL && PyList_Check(res) && arr != NULL) {
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(res); i++) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddNumberToObject(o, "line",
                              (double)PyLong_AsLong(PyList_GET_ITEM(res, i)));
      cJSON_AddItemToArray(arr, o);
    }
  }
  Py_XDECREF(res);
  PyErr_Clear();
  rt_python_leave(gil);
  *body = out;
  return 0;
}

void rt_engine_clear(void) {
  rt_bpfile_clear_all();
  for (int j = 0; j < rt_engine_nfuncbps; j++) rt_bp_clear(&rt_funcbps[j]);
  free(rt_funcbps);
  rt_funcbps = NULL;
  rt_engine_nfuncbps = 0;
  Py_CLEAR(rt_funcbp_names);
  rt_exc_raised = rt_exc_uncaught = rt_exc_user_unhandled = false;
  for (int k = 0; k < 3; k++) Py_CLEAR(rt_exc_names[k]);
  rt_lazy_pending = 0;
  rt_engine_gen++;
}
