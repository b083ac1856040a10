/* The `_dapper_runtime` extension module: module definition (multi-phase
 * init, module state), and the Python-facing functions the boot script
 * (runtime/boot/sitecustomize.py) calls. Protocol work lives in rt_channel.c
 * and rt_commands.c; version differences in rt_compat.h.
 *
 * Python API:
 *   VERSION: str                the runtime's version ("0.1.0")
 *   WIRE_VERSION: int           the wire protocol version (dapper/wire.h)
 *   connect(fd) -> None         take fd, send `hello`, start the channel
 *   wait_for_start(timeout=None) -> bool
 *   _hold_for_start() -> None   the boot, before connect: no code runs before `start`
 *   is_connected() -> bool
 *   has_client() -> bool        a client is attached (dapper.is_client_connected)
 *   wait_for_client(timeout=None) -> bool
 *   break_here() -> bool        the caller stops at its next line (dapper.breakpoint)
 *   _set_log_level(level) -> None   0 off, 1 errors, 2 info, 3 debug
 *   _at_exit() -> None          registered with atexit by the module
 * Called by the support module (runtime/python/_dapper_support.py):
 *   _thread_started() / _thread_exited()   threading bootstrap hook
 *   _uncaught(exc, tb)          sys/threading excepthook wrappers
 *   _send_event(event, body)  (body: JSON text or dict/list/str/... values)
 *   _after_fork_child()         os.register_at_fork hook */
#include "rt_compat.h" /* first: Python.h must precede system headers */

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <dapper/errors.h>
#include <dapper/wire.h>

#include "rt_backend.h"
#include "rt_channel.h"
#include "rt_stats.h"
#include "rt_engine.h"
#include "rt_exceptions.h"
#include "rt_goto.h"
#include "rt_inspect.h"
#include "rt_log.h"
#include "rt_stop.h"
#include "rt_support.h"
#include "rt_threads.h"

#ifndef RT_VERSION
#error "RT_VERSION must be defined by the build (runtime/CMakeLists.txt)"
#endif
#ifndef RT_ABI
#error "RT_ABI must be defined by the build (runtime/CMakeLists.txt)"
#endif

typedef struct {
  PyObject *at_exit; /* strong: the function registered with atexit */
} rt_module_state_t;

static rt_module_state_t *rt_state(PyObject *module) {
  return (rt_module_state_t *)PyModule_GetState(module);
}

/* Raises the Python exception matching a channel error code and returns
 * NULL. Negative errno values become OSError, project codes RuntimeError. */
static PyObject *rt_raise(int rc, const char *what) {
  const char *text = NULL;

  if (rc == -EALREADY) {
    PyErr_Format(PyExc_RuntimeError, "%s: the runtime is already connected",
                 what);
  } else if (rc < 0 && rc > -4096) {
    errno = -rc;
    PyErr_SetFromErrno(PyExc_OSError);
  } else {
    text = dapper_strerror(rc);
    PyErr_Format(PyExc_RuntimeError, "%s: %s (%d)", what,
                 text != NULL ? text : "error", rc);
  }
  return NULL;
}

/* Converts an int object (borrowed) to a C int. Returns -1 with an
 * exception set on failure (check PyErr_Occurred for a real -1). */
static int rt_as_int(PyObject *obj) {
  long v = PyLong_AsLong(obj);
  if (v == -1 && PyErr_Occurred()) return -1;
  if (v < INT_MIN || v > INT_MAX) {
    PyErr_SetString(PyExc_OverflowError, "value does not fit in a C int");
    return -1;
  }
  return (int)v;
}

/* Returns a new cJSON string from a str object (borrowed), escaping what is
 * not valid UTF-8 (surrogates from undecodable paths) with backslashes, or
 * NULL with an exception set. */
static cJSON *rt_json_from_str(PyObject *str) {
  PyObject *bytes = NULL;
  cJSON *out = NULL;

  if (str == NULL || !PyUnicode_Check(str)) return cJSON_CreateString("");
  bytes = PyUnicode_AsEncodedString(str, "utf-8", "backslashreplace");
  if (bytes == NULL) return NULL;
  out = cJSON_CreateString(PyBytes_AS_STRING(bytes));
  Py_DECREF(bytes);
  if (out == NULL) PyErr_NoMemory();
  return out;
}

/* Builds the `hello` body of docs/wire-protocol.md. Needs the GIL. Returns
 * a new object or NULL with an exception set. */
static cJSON *rt_hello_body(void) {
  cJSON *body = NULL;
  cJSON *item = NULL;
  PyObject *impl = NULL;      /* borrowed (sys.implementation) */
  PyObject *impl_name = NULL; /* new */
  PyObject *exe = NULL;       /* borrowed (sys.executable) */
  const char *version = Py_GetVersion(); /* "3.12.1 (main, ...) [GCC ...]" */
  size_t version_len = strcspn(version, " ");
  char version_buf[64];

  if (version_len >= sizeof version_buf) version_len = sizeof version_buf - 1;
  memcpy(version_buf, version, version_len);
  version_buf[version_len] = '\0';

  body = cJSON_CreateObject();
  if (body == NULL) goto nomem;
  if (cJSON_AddStringToObject(body, "runtimeVersion", RT_VERSION) == NULL ||
      cJSON_AddNumberToObject(body, "wireVersion", WIRE_VERSION) == NULL ||
      cJSON_AddStringToObject(body, "pythonVersion", version_buf) == NULL) {
    goto nomem;
  }

  impl = PySys_GetObject("implementation");
  if (impl != NULL) {
    impl_name = PyObject_GetAttrString(impl, "name");
    if (impl_name == NULL) goto error;
  }
  item = rt_json_from_str(impl_name);
  if (item == NULL) goto error;
  cJSON_AddItemToObject(body, "pythonImplementation", item);

  exe = PySys_GetObject("executable");
  item = rt_json_from_str(exe);
  if (item == NULL) goto error;
  cJSON_AddItemToObject(body, "executable", item);

  if (cJSON_AddNumberToObject(body, "pid", (double)getpid()) == NULL ||
      cJSON_AddStringToObject(body, "abi", RT_ABI) == NULL) {
    goto nomem;
  }
  Py_XDECREF(impl_name);
  return body;

nomem:
  PyErr_NoMemory();
error:
  Py_XDECREF(impl_name);
  cJSON_Delete(body);
  return NULL;
}

PyDoc_STRVAR(rt_connect_doc,
"connect(fd, /)\n--\n\n"
"Take the wire descriptor fd (it is marked close-on-exec and closed by the\n"
"runtime when the channel ends), send the hello event and start the\n"
"channel thread. Raises OSError or RuntimeError; on failure fd stays the\n"
"caller's.");

static PyObject *rt_connect(PyObject *module, PyObject *arg) {
  cJSON *hello = NULL;
  int fd = -1;
  int rc = 0;
  int was_disconnected = 0;

  fd = rt_as_int(arg);
  if (fd == -1 && PyErr_Occurred()) return NULL;
  if (fd < 0) {
    PyErr_SetString(PyExc_ValueError, "fd must be a non-negative integer");
    return NULL;
  }
  hello = rt_hello_body();
  if (hello == NULL) return NULL;
  (void)rt_threads_current(); /* the connecting (main) thread gets id 1 */
  /* Load the support module here, in the main thread: it notes the main
   * thread's ident, and hooks threading when the program imports it (the
   * runtime never imports threading itself: threading takes its first
   * importer for the main thread, and the program may never use it). */
  if (rt_support() == NULL) return NULL;
  /* Connected before and detached since (attach again to a running
   * process, or a forked child connecting as a new process): the hooks may stop threads again once this channel is open. */
  was_disconnected = atomic_load(&rt_disconnected);
  if (was_disconnected) rt_stop_reconnect();
  Py_BEGIN_ALLOW_THREADS
  rc = rt_channel_open(rt_channel_get(), fd, hello); /* consumes hello */
  Py_END_ALLOW_THREADS
  if (rc != 0) {
    if (was_disconnected) atomic_store(&rt_disconnected, 1);
    return rt_raise(rc, "connect");
  }
  Py_RETURN_NONE;
}

PyDoc_STRVAR(rt_wait_for_start_doc,
"wait_for_start(timeout=None)\n--\n\n"
"Wait, without the GIL, until the adapter sends `start` (returns True) or\n"
"the channel closes or timeout seconds pass (returns False).");

PyDoc_STRVAR(rt_hold_for_start_doc,
"_hold_for_start()\n--\n\n"
"The boot, before connect(): no program code has run and none runs before "
"`start` (setBreakpoints need not look for the code of files not imported).");

static PyObject *rt_hold_for_start(PyObject *module, PyObject *unused) {
  rt_channel_hold_for_start(rt_channel_get());
  Py_RETURN_NONE;
}

/* wait_for_start/wait_for_client: parses timeout=None (None: no limit; a
 * negative number: 0; NaN refused) with `fmt` naming the function, then
 * waits in `wait` without the GIL. */
static PyObject *rt_wait_with_timeout(PyObject *args, PyObject *kwargs,
                                      const char *fmt,
                                      bool (*wait)(rt_channel_t *, double)) {
  static char *kwlist[] = {"timeout", NULL};
  PyObject *timeout_obj = Py_None; /* borrowed */
  double timeout = -1.0;
  bool done = false;

  if (!PyArg_ParseTupleAndKeywords(args, kwargs, fmt, kwlist, &timeout_obj)) {
    return NULL;
  }
  if (timeout_obj != Py_None) {
    timeout = PyFloat_AsDouble(timeout_obj);
    if (timeout == -1.0 && PyErr_Occurred()) return NULL;
    if (isnan(timeout)) {
      PyErr_SetString(PyExc_ValueError, "timeout must not be NaN");
      return NULL;
    }
    if (timeout < 0) timeout = 0;
  }
  Py_BEGIN_ALLOW_THREADS
  done = wait(rt_channel_get(), timeout);
  Py_END_ALLOW_THREADS
  return PyBool_FromLong(done);
}

static PyObject *rt_wait_for_start(PyObject *module, PyObject *args,
                                   PyObject *kwargs) {
  return rt_wait_with_timeout(args, kwargs, "|O:wait_for_start",
                              rt_channel_wait_start);
}

PyDoc_STRVAR(rt_is_connected_doc,
"is_connected()\n--\n\nTrue while the channel to the adapter is open.");

static PyObject *rt_is_connected(PyObject *module, PyObject *unused) {
  return PyBool_FromLong(rt_channel_is_connected(rt_channel_get()));
}

PyDoc_STRVAR(rt_has_client_doc,
"has_client()\n--\n\nTrue while a client is attached to the program.");

static PyObject *rt_has_client(PyObject *module, PyObject *unused) {
  return PyBool_FromLong(rt_channel_has_client(rt_channel_get()));
}

PyDoc_STRVAR(rt_wait_for_client_doc,
"wait_for_client(timeout=None)\n--\n\n"
"Wait, without the GIL, until a client is attached (returns True) or the\n"
"channel closes or timeout seconds pass (returns False).");

static PyObject *rt_wait_for_client(PyObject *module, PyObject *args,
                                    PyObject *kwargs) {
  return rt_wait_with_timeout(args, kwargs, "|O:wait_for_client",
                              rt_channel_wait_client);
}

PyDoc_STRVAR(rt_break_here_doc,
"break_here()\n--\n\n"
"When a client is attached, the calling thread stops at its next line\n"
"(reason pause) and True is returned; else nothing happens (False).");

static PyObject *rt_break_here(PyObject *module, PyObject *unused) {
  rt_thread_t *t = NULL;
  if (!rt_channel_has_client(rt_channel_get()) || rt_backend == NULL ||
      atomic_load(&rt_disconnected)) {
    Py_RETURN_FALSE;
  }
  t = rt_threads_current();
  if (t == NULL || rt_thread_is_gone(t)) Py_RETURN_FALSE;
  rt_stop_break_here(t->id);
  rt_backend_control_changed();
  Py_RETURN_TRUE;
}

static PyObject *rt_set_log_level(PyObject *module, PyObject *arg) {
  int level = rt_as_int(arg);
  if (level == -1 && PyErr_Occurred()) return NULL;
  rt_log_set_level(level);
  Py_RETURN_NONE;
}

static PyObject *rt_at_exit(PyObject *module, PyObject *unused) {
  rt_stats_send_final(); /* dapper/statistics, before `exited` */
  /* No thread of the runtime takes the GIL from now on (docs/runtime.md,
   * "Exit"): close the door, make what runs in Python finish soon, wait
   * (GIL released, bounded) for the stand-in to end and for the threads
   * inside to come out. */
  rt_python_close();
  rt_inspect_at_exit();
  rt_standin_at_exit();
  (void)rt_python_wait_out();
  Py_RETURN_NONE;
}

/* Sends a `thread` event (GIL held). */
static void rt_thread_event(const char *reason, int id) {
  cJSON *body = NULL;
  if (rt_backend == NULL) return; /* not configured: the adapter is not ready */
  body = cJSON_CreateObject();
  if (body == NULL || id <= 0) {
    cJSON_Delete(body);
    return;
  }
  cJSON_AddStringToObject(body, "reason", reason);
  cJSON_AddNumberToObject(body, "threadId", id);
  (void)rt_send_event_gil("thread", body);
}

static PyObject *rt_thread_started(PyObject *module, PyObject *unused) {
  rt_thread_t *t = NULL;
  if (atomic_load(&rt_disconnected)) Py_RETURN_NONE;
  t = rt_threads_current();
  if (t != NULL && !rt_thread_is_gone(t)) {
    rt_backend_thread_started();
    rt_thread_event("started", t->id);
  }
  Py_RETURN_NONE;
}

static PyObject *rt_thread_exited(PyObject *module, PyObject *unused) {
  rt_stop_thread_exit(rt_threads_current());
  int id = rt_threads_exit_current();
  if (!atomic_load(&rt_disconnected)) rt_thread_event("exited", id);
  Py_RETURN_NONE;
}

static PyObject *rt_uncaught(PyObject *module, PyObject *const *args,
                             Py_ssize_t nargs) {
  rt_thread_t *t = NULL;
  if (nargs != 2) {
    PyErr_SetString(PyExc_TypeError, "_uncaught(exc, tb)");
    return NULL;
  }
  if (rt_tls_in_debugger || atomic_load(&rt_disconnected) || !rt_exc_uncaught) {
    Py_RETURN_NONE;
  }
  t = rt_threads_current();
  if (t != NULL && !rt_thread_is_gone(t)) {
    rt_exceptions_uncaught(t, args[0], args[1] == Py_None ? NULL : args[1]);
  }
  Py_RETURN_NONE;
}

static PyObject *rt_send_event_py(PyObject *module, PyObject *const *args,
                                  Py_ssize_t nargs) {
  const char *event = NULL;
  cJSON *body = NULL;
  if (nargs != 2 || (event = PyUnicode_AsUTF8(args[0])) == NULL) {
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "_send_event(event, body)");
    return NULL;
  }
  if (PyUnicode_Check(args[1])) { /* JSON text */
    const char *json = PyUnicode_AsUTF8(args[1]);
    if (json == NULL) return NULL;
    body = cJSON_Parse(json);
    if (body == NULL) {
      PyErr_SetString(PyExc_ValueError, "invalid JSON body");
      return NULL;
    }
  } else { /* the body as Python values (no json module needed) */
    body = rt_json_from_py(args[1]);
    if (body == NULL) return NULL;
  }
  (void)rt_send_event_gil(event, body);
  Py_RETURN_NONE;
}

static int rt_code_lines_add(int line, void *arg) {
  PyObject *l = PyLong_FromLong(line);
  int rc = l != NULL ? PySet_Add((PyObject *)arg, l) : -1;
  Py_XDECREF(l);
  return rc;
}

/* _code_lines(code): the set of lines the runtime reads from the code's
 * location table (the breakpoint-line decision; tests compare it with
 * co_lines()). */
static PyObject *rt_code_lines_py(PyObject *module, PyObject *code) {
  PyObject *out = NULL;
  if (!PyCode_Check(code)) {
    PyErr_SetString(PyExc_TypeError, "_code_lines() takes a code object");
    return NULL;
  }
  out = PySet_New(NULL);
  if (out != NULL && rt_engine_code_lines(code, rt_code_lines_add, out) != 0) Py_CLEAR(out);
  return out;
}

static PyObject *rt_after_fork_child(PyObject *module, PyObject *unused) {
  rt_backend_uninstall();
  Py_RETURN_NONE;
}

static PyMethodDef rt_methods[] = {
    {"_thread_started", rt_thread_started, METH_NOARGS, NULL},
    {"_thread_exited", rt_thread_exited, METH_NOARGS, NULL},
    {"_uncaught", (PyCFunction)(void (*)(void))rt_uncaught, METH_FASTCALL, NULL},
    {"_send_event", (PyCFunction)(void (*)(void))rt_send_event_py, METH_FASTCALL,
     NULL},
    {"_after_fork_child", rt_after_fork_child, METH_NOARGS, NULL},
    {"_code_lines", rt_code_lines_py, METH_O, NULL},
    {"connect", rt_connect, METH_O, rt_connect_doc},
    {"_hold_for_start", rt_hold_for_start, METH_NOARGS, rt_hold_for_start_doc},
    {"wait_for_start", (PyCFunction)(void (*)(void))rt_wait_for_start,
     METH_VARARGS | METH_KEYWORDS, rt_wait_for_start_doc},
    {"is_connected", rt_is_connected, METH_NOARGS, rt_is_connected_doc},
    {"has_client", rt_has_client, METH_NOARGS, rt_has_client_doc},
    {"wait_for_client", (PyCFunction)(void (*)(void))rt_wait_for_client,
     METH_VARARGS | METH_KEYWORDS, rt_wait_for_client_doc},
    {"break_here", rt_break_here, METH_NOARGS, rt_break_here_doc},
    {"_set_log_level", rt_set_log_level, METH_O,
     "_set_log_level(level, /)\n--\n\n0 off, 1 errors, 2 info, 3 debug (stderr)."},
    {"statistics", rt_stats_py, METH_NOARGS,
     "statistics()\n--\n\nThe runtime's statistics (docs/runtime.md), as dapper/statistics "
     "sends them; None before the debugger configured the runtime."},
    {"_at_exit", rt_at_exit, METH_NOARGS,
     "_at_exit()\n--\n\nCalled by atexit: the channel stops using Python."},
    {NULL, NULL, 0, NULL},
};

/* Registers module._at_exit with atexit and keeps a reference to it. */
static int rt_register_at_exit(PyObject *module) {
  PyObject *atexit_mod = NULL;
  PyObject *func = NULL;
  PyObject *res = NULL;
  int rc = -1;

  atexit_mod = PyImport_ImportModule("atexit");
  if (atexit_mod == NULL) goto done;
  func = PyObject_GetAttrString(module, "_at_exit");
  if (func == NULL) goto done;
  res = PyObject_CallMethod(atexit_mod, "register", "O", func);
  if (res == NULL) goto done;
  rt_state(module)->at_exit = func; /* the state takes our reference */
  func = NULL;
  rc = 0;
done:
  Py_XDECREF(res);
  Py_XDECREF(func);
  Py_XDECREF(atexit_mod);
  return rc;
}

static int rt_exec(PyObject *module) {
  if (!rt_compat_running_minor_matches()) {
    const char *running = Py_GetVersion();
    PyErr_Format(PyExc_ImportError,
                 "_dapper_runtime was built for Python %d.%d, not %.*s",
                 RT_PY_MAJOR, RT_PY_MINOR, (int)strcspn(running, " "), running);
    return -1;
  }
  /* The channel is one per process (3.12+ also refuse by module slot). */
  if (PyInterpreterState_Get() != PyInterpreterState_Main()) {
    PyErr_SetString(PyExc_ImportError,
                    "_dapper_runtime cannot be loaded in a sub-interpreter");
    return -1;
  }
  if (PyModule_AddStringConstant(module, "VERSION", RT_VERSION) < 0 ||
      PyModule_AddIntConstant(module, "WIRE_VERSION", WIRE_VERSION) < 0) {
    return -1;
  }
  (void)rt_channel_get(); /* installs the fork handler */
  if (rt_engine_init() < 0) return -1;
  if (PyModule_AddFunctions(module, rt_inspect_methods) < 0) return -1;
  if (PyModule_AddFunctions(module, rt_goto_methods) < 0) return -1;
  rt_support_set_module(module);
  return rt_register_at_exit(module);
}

static int rt_traverse(PyObject *module, visitproc visit, void *arg) {
  rt_module_state_t *st = rt_state(module);
  if (st != NULL) Py_VISIT(st->at_exit);
  return 0;
}

static int rt_clear(PyObject *module) {
  rt_module_state_t *st = rt_state(module);
  if (st != NULL) Py_CLEAR(st->at_exit);
  return 0;
}

static void rt_free(void *module) { (void)rt_clear((PyObject *)module); }

static PyModuleDef_Slot rt_slots[] = {
    {Py_mod_exec, rt_exec},
    RT_COMPAT_SLOT_SUBINTERPRETERS
    RT_COMPAT_SLOT_GIL
    {0, NULL},
};

static struct PyModuleDef rt_module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_dapper_runtime",
    .m_doc = "dapper-adapter's runtime: the debuggee's end of the wire.",
    .m_size = sizeof(rt_module_state_t),
    .m_methods = rt_methods,
    .m_slots = rt_slots,
    .m_traverse = rt_traverse,
    .m_clear = rt_clear,
    .m_free = rt_free,
};

/* The only exported symbol (-fvisibility=hidden; PyMODINIT_FUNC marks it
 * default-visible). Declared for -Wmissing-prototypes. */
PyMODINIT_FUNC PyInit__dapper_runtime(void);

PyMODINIT_FUNC PyInit__dapper_runtime(void) {
  return PyModuleDef_Init(&rt_module_def);
}
