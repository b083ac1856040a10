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
 * sys.modules, and calls its init(runtime, runtime_dir). Uses the import
 * system's own bootstrap modules (always loaded) rather than importlib.util,
 * which would import a dozen modules the program may never import itself. */
static PyObject *rt_support_load(void) {
  PyObject *file = NULL, *dir = NULL, *path = NULL;
  PyObject *spec = NULL, *mod = NULL, *res = NULL, *ospath = NULL;
  PyObject *boot = NULL, *external = NULL; /* borrowed, from sys.modules */
  PyObject *modules = PySys_GetObject("modules");

  if (rt_runtime_module == NULL) {
    PyErr_SetString(PyExc_RuntimeError, "the runtime module is not initialised");
    return NULL;
  }
  if (modules == NULL || !PyDict_Check(modules) ||
      (boot = PyDict_GetItemString(modules, "_frozen_importlib")) == NULL ||
      (external = PyDict_GetItemString(modules, "_frozen_importlib_external")) == NULL) {
    PyErr_SetString(PyExc_RuntimeError,
                    "the import system's bootstrap modules are not in sys.modules");
    return NULL;
  }
  Py_INCREF(boot);
  Py_INCREF(external);
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
  spec = PyObject_CallMethod(external, "spec_from_file_location", "sO",
                             "_dapper_support", path);
  if (spec == NULL) goto done;
  mod = PyObject_CallMethod(boot, "module_from_spec", "O", spec);
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
  Py_XDECREF(spec);
  Py_XDECREF(ospath);
  Py_XDECREF(boot);
  Py_XDECREF(external);
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

/* ---- JSON <-> Python values (what json.loads/json.dumps would give) ---- */

PyObject *rt_py_from_json(const cJSON *item) {
  PyObject *out = NULL;

  if (item == NULL || cJSON_IsNull(item)) Py_RETURN_NONE;
  if (cJSON_IsBool(item)) return PyBool_FromLong(cJSON_IsTrue(item));
  if (cJSON_IsNumber(item)) {
    double v = item->valuedouble;
    /* JSON has one number type: integral values become int (as json.loads
     * gives for "5"), the rest float. */
    if (v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double)(long long)v) {
      return PyLong_FromLongLong((long long)v);
    }
    return PyFloat_FromDouble(v);
  }
  if (cJSON_IsString(item)) {
    const char *text = item->valuestring != NULL ? item->valuestring : "";
    return PyUnicode_DecodeUTF8(text, (Py_ssize_t)strlen(text), "surrogateescape");
  }
  if (Py_EnterRecursiveCall(" converting JSON")) return NULL;
  if (cJSON_IsArray(item)) {
    out = PyList_New(0);
    for (const cJSON *c = item->child; out != NULL && c != NULL; c = c->next) {
      PyObject *v = rt_py_from_json(c);
      if (v == NULL || PyList_Append(out, v) < 0) Py_CLEAR(out);
      Py_XDECREF(v);
    }
  } else if (cJSON_IsObject(item)) {
    out = PyDict_New();
    for (const cJSON *c = item->child; out != NULL && c != NULL; c = c->next) {
      const char *key = c->string != NULL ? c->string : "";
      PyObject *k = PyUnicode_DecodeUTF8(key, (Py_ssize_t)strlen(key), "surrogateescape");
      PyObject *v = k != NULL ? rt_py_from_json(c) : NULL;
      if (v == NULL || PyDict_SetItem(out, k, v) < 0) Py_CLEAR(out);
      Py_XDECREF(k);
      Py_XDECREF(v);
    }
  } else {
    PyErr_SetString(PyExc_ValueError, "invalid JSON value");
  }
  Py_LeaveRecursiveCall();
  return out;
}

/* A str as a cJSON string; what is not valid UTF-8 (lone surrogates) is
 * written with backslash escapes. */
static cJSON *rt_json_string(PyObject *str) {
  PyObject *bytes = PyUnicode_AsEncodedString(str, "utf-8", "backslashreplace");
  cJSON *out = NULL;
  if (bytes == NULL) return NULL;
  out = cJSON_CreateString(PyBytes_AS_STRING(bytes));
  Py_DECREF(bytes);
  if (out == NULL) PyErr_NoMemory();
  return out;
}

/* A dict key as json.dumps writes it: str, int, float, bool or None. */
static PyObject *rt_json_key(PyObject *key) {
  if (PyUnicode_Check(key)) return Py_NewRef(key);
  if (key == Py_True) return PyUnicode_FromString("true");
  if (key == Py_False) return PyUnicode_FromString("false");
  if (key == Py_None) return PyUnicode_FromString("null");
  if (PyLong_Check(key) || PyFloat_Check(key)) return PyObject_Repr(key);
  PyErr_Format(PyExc_TypeError, "keys must be str, int, float, bool or None, not %.100s",
               Py_TYPE(key)->tp_name);
  return NULL;
}

cJSON *rt_json_from_py(PyObject *obj) {
  cJSON *out = NULL;

  if (obj == Py_None) return cJSON_CreateNull();
  if (obj == Py_True) return cJSON_CreateTrue();
  if (obj == Py_False) return cJSON_CreateFalse();
  if (PyUnicode_Check(obj)) return rt_json_string(obj);
  if (PyLong_Check(obj)) {
    double v = PyLong_AsDouble(obj);
    if (v == -1.0 && PyErr_Occurred()) return NULL;
    return cJSON_CreateNumber(v);
  }
  if (PyFloat_Check(obj)) return cJSON_CreateNumber(PyFloat_AS_DOUBLE(obj));
  if (Py_EnterRecursiveCall(" converting to JSON")) return NULL;
  if (PyList_Check(obj) || PyTuple_Check(obj)) {
    PyObject *seq = PySequence_Fast(obj, "a list");
    out = seq != NULL ? cJSON_CreateArray() : NULL;
    for (Py_ssize_t i = 0; out != NULL && i < PySequence_Fast_GET_SIZE(seq); i++) {
      cJSON *v = rt_json_from_py(PySequence_Fast_GET_ITEM(seq, i));
      if (v == NULL) {
        cJSON_Delete(out);
        out = NULL;
      } else {
        cJSON_AddItemToArray(out, v);
      }
    }
    Py_XDECREF(seq);
  } else if (PyDict_Check(obj)) {
    PyObject *key = NULL, *value = NULL;
    Py_ssize_t pos = 0;
    out = cJSON_CreateObject();
    while (out != NULL && PyDict_Next(obj, &pos, &key, &value)) {
      PyObject *k = rt_json_key(key);
      PyObject *kb = k != NULL ? PyUnicode_AsEncodedString(k, "utf-8", "backslashreplace") : NULL;
      cJSON *v = kb != NULL ? rt_json_from_py(value) : NULL;
      if (v == NULL) {
        cJSON_Delete(out);
        out = NULL;
      } else {
        cJSON_AddItemToObject(out, PyBytes_AS_STRING(kb), v);
      }
      Py_XDECREF(k);
      Py_XDECREF(kb);
    }
  } else {
    PyErr_Format(PyExc_TypeError, "Object of type %.100s is not JSON serializable",
                 Py_TYPE(obj)->tp_name);
  }
  Py_LeaveRecursiveCall();
  if (out == NULL && !PyErr_Occurred()) PyErr_NoMemory();
  return out;
}
