/* See rt_support.h. */
#include "rt_support.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dapper/message.h>

#include "rt_channel.h"
#include "rt_log.h"
#include "rt_threads.h"

static PyObject *rt_runtime_module; /* borrowed */
static PyObject *rt_support_module; /* strong, once loaded */

void rt_support_set_module(PyObject *module) { rt_runtime_module = module; }

/* Loads the support module by absolute path, without touching sys.path or
 * sys.modules, and calls its init(runtime, runtime_dir). */
static PyObject *rt_support_load(void) {
  PyObject *file = NULL, *dir = NULL, *path = NULL, *util = NULL;
  PyObject *spec = NULL, *mod = NULL, *res = NULL, *ospath = NULL;

  if (rt_runtime_module == NULL) {
    PyErr_SetString(PyExc_RuntimeError, "the runtime module is not initialised");
    return NULL;
  }
  file = PyModule_GetFilenameObject(rt_runtime_module);
  if (file == NULL) { /* loaded by the boot script: only __spec__.origin */
    PyObject *spec_attr = PyObject_GetAttrString(rt_runtime_module, "__spec__");
    PyErr_Clear();
    if (spec_attr != NULL) file = PyObject_GetAttrString(spec_attr, "origin");
    Py_XDECREF(spec_attr);
    if (file == NULL) goto done;
  }
  ospath = PyImport_ImportModule("os.path");
  if (ospath == NULL) goto done;
  dir = PyObject_CallMethod(ospath, "dirname", "O", file);
  if (dir == NULL) goto done;
  path = PyObject_CallMethod(ospath, "join", "Os", dir, "_dapper_support.py");
  if (path == NULL) goto done;
  util = PyImport_ImportModule("importlib.util");
  if (util == NULL) goto done;
  spec = PyObject_CallMethod(util, "spec_from_file_location", "sO",
                             "_dapper_support", path);
  if (spec == NULL) goto done;
  mod = PyObject_CallMethod(util, "module_from_spec", "O", spec);
  if (mod == NULL) goto done;
  {
    PyObject *loader = PyObject_GetAttrString(spec, "loader");
    if (loader == NULL) goto fail;
    res = PyObject_CallMethod(loader, "exec_module", "O", mod);
    Py_DECREF(loader);
    if (res == NULL) goto fail;
    Py_DECREF(res);
  }
  res = PyObject_CallMethod(mod, "init", "OO", rt_runtime_module, dir);
  if (res == NULL) goto fail;
  Py_DECREF(res);
  goto done;
fail:
  Py_CLEAR(mod);
done:
  Py_XDECREF(file);
  Py_XDECREF(dir);
  Py_XDECREF(path);
  Py_XDECREF(util);
  Py_XDECREF(spec);
  Py_XDECREF(ospath);
  return mod;
}

PyObject *rt_support(void) {
  if (rt_support_module == NULL) {
    rt_tls_in_debugger++;
    rt_support_module = rt_support_load();
    rt_tls_in_debugger--;
  }
  return rt_support_module;
}

PyObject *rt_support_call(const char *name, const char *fmt, ...) {
  PyObject *mod = rt_support();
  PyObject *func = NULL, *args = NULL, *res = NULL;
  va_list ap;

  if (mod == NULL) return NULL;
  rt_tls_in_debugger++;
  func = PyObject_GetAttrString(mod, name);
  if (func == NULL) goto done;
  va_start(ap, fmt);
  args = Py_VaBuildValue(fmt, ap);
  va_end(ap);
  if (args == NULL) goto done;
  if (!PyTuple_Check(args)) {
    PyObject *t = PyTuple_Pack(1, args);
    Py_DECREF(args);
    args = t;
    if (args == NULL) goto done;
  }
  res = PyObject_Call(func, args, NULL);
done:
  rt_tls_in_debugger--;
  Py_XDECREF(func);
  Py_XDECREF(args);
  return res;
}

int rt_send_gil(cJSON *msg) {
  int rc = 0;
  Py_BEGIN_ALLOW_THREADS
  rc = rt_channel_send(rt_channel_get(), msg);
  Py_END_ALLOW_THREADS
  return rc;
}

int rt_send_event_gil(const char *event, cJSON *body) {
  cJSON *msg = dap_msg_event(event, body);
  if (msg == NULL) return -1;
  return rt_send_gil(msg);
}

void rt_console(const char *fmt, ...) {
  char buf[2048];
  size_t n = 0;
  va_list ap;
  cJSON *body = NULL;

  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf - 1, fmt, ap);
  va_end(ap);
  n = strlen(buf);
  buf[n] = '\n';
  buf[n + 1] = '\0';
  body = cJSON_CreateObject();
  if (body == NULL) return;
  cJSON_AddStringToObject(body, "category", "console");
  cJSON_AddStringToObject(body, "output", buf);
  (void)rt_send_event_gil("output", body);
}

char *rt_strdup_py(PyObject *str) {
  const char *utf8 = NULL;
  Py_ssize_t len = 0;
  char *out = NULL;

  if (str != NULL && PyUnicode_Check(str)) {
    rt_compat_exc_t saved;
    rt_compat_exc_save(&saved);
    utf8 = PyUnicode_AsUTF8AndSize(str, &len);
    if (utf8 == NULL) PyErr_Clear();
    rt_compat_exc_restore(&saved);
  }
  if (utf8 == NULL) {
    utf8 = "";
    len = 0;
  }
  out = malloc((size_t)len + 1);
  if (out != NULL) {
    memcpy(out, utf8, (size_t)len);
    out[len] = '\0';
  }
  return out;
}

void rt_exc_text(char *buf, size_t size) {
  rt_compat_exc_t err;
  PyObject *value = NULL; /* borrowed */
  PyObject *text = NULL;
  const char *s = NULL;

  rt_compat_exc_save(&err);
  value = rt_compat_exc_value(&err);
  if (value != NULL && rt_support_module != NULL) {
    text = rt_support_call("format_exc", "(O)", value);
  }
  if (text == NULL && value != NULL) {
    PyErr_Clear();
    text = PyUnicode_FromFormat("%s: %S", Py_TYPE(value)->tp_name, value);
  }
  if (text != NULL && PyUnicode_Check(text)) s = PyUnicode_AsUTF8(text);
  snprintf(buf, size, "%s", s != NULL ? s : "internal error");
  Py_XDECREF(text);
  PyErr_Clear();
  rt_compat_exc_clear(&err);
}
