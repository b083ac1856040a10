/* Lazy verification of line breakpoints (docs/runtime.md, "Breakpoint
 * lines"). A setBreakpoints for a file that nothing loaded yet is answered
 * from a stat: verified at the requested lines, no read, no compile. When
 * the file's module code is about to run (the `exec` audit event, on every
 * backend), its lines are checked against that code tree's co_lines: a
 * line without code moves to the next line with code, a line with none at
 * or after it becomes unverified, and each change goes to the client as a
 * `breakpoint` event (reason "changed"). */
#include "rt_engine_priv.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <dapper/message.h>

#include "rt_channel.h"
#include "rt_log.h"
#include "rt_support.h"

int rt_lazy_pending;
unsigned long long rt_lazy_answered, rt_lazy_checked, rt_lazy_events;

/* ---- the decision (channel thread, GIL held) ---------------------------- */

/* True when path is absolute with no empty, "." or ".." component: then
 * os.path.abspath leaves it as it is and realpath(3) resolves it exactly
 * as os.path.realpath does (the support module's canonical()). */
static bool rt_lazy_plain_path(const char *path) {
  const char *p = path;
  if (p[0] != '/') return false;
  while (*p == '/') {
    const char *c = p + 1, *end = strchr(c, '/');
    size_t len = end != NULL ? (size_t)(end - c) : strlen(c);
    if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.')) {
      return false;
    }
    if (end == NULL) return true;
    p = end;
  }
  return false;
}

/* An interned str for `text`, made once (borrowed; lives for the
 * process), or NULL when out of memory. */
static PyObject *rt_lazy_key(PyObject **slot, const char *text) {
  if (*slot == NULL) *slot = PyUnicode_InternFromString(text);
  return *slot;
}

/* The support module's dict `name` (borrowed), or NULL: a lookup with an
 * interned key (no str made, no hash computed per call). */
PyObject *rt_lazy_support_dict(const char *name) {
  static PyObject *keys[2];
  PyObject *mod = rt_support(), *key = NULL, *d = NULL;
  if (mod == NULL) return NULL;
  key = strcmp(name, "_module_canon") == 0 ? rt_lazy_key(&keys[0], name)
                                            : rt_lazy_key(&keys[1], name);
  d = key != NULL ? PyDict_GetItemWithError(PyModule_GetDict(mod), key) : NULL; /* borrowed */
  return d != NULL && PyDict_Check(d) ? d : NULL;
}

/* True when a module in sys.modules was loaded from canon (the support
 * module's imported(), in C: its `_module_canon` cache maps each __file__
 * to its canonical path once). -1 with an exception set on failure. */
static int rt_lazy_imported(PyObject *canon) {
  PyObject *mods = PySys_GetObject("modules"); /* borrowed */
  PyObject *cache = rt_lazy_support_dict("_module_canon");
  PyObject *values = NULL;
  static PyObject *file_key;
  PyObject *fkey = rt_lazy_key(&file_key, "__file__");
  Py_hash_t want = PyObject_Hash(canon);
  int found = 0;

  if (mods == NULL || !PyDict_Check(mods) || cache == NULL || want == -1 || fkey == NULL) {
    PyErr_Clear();
    return -1;
  }
  values = PyDict_Values(mods); /* a snapshot: canonical() may let threads run */
  if (values == NULL) return -1;
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(values) && !found; i++) {
    PyObject *mod = PyList_GET_ITEM(values, i), *file = NULL, *c = NULL;
    if (PyModule_Check(mod)) {
      file = PyDict_GetItemWithError(PyModule_GetDict(mod), fkey); /* borrowed */
      Py_XINCREF(file);
      PyErr_Clear();
    } else {
      file = PyObject_GetAttr(mod, fkey);
      if (file == NULL) PyErr_Clear();
    }
    if (file == NULL || !PyUnicode_Check(file)) {
      Py_XDECREF(file);
      continue;
    }
    c = PyDict_GetItemWithError(cache, file); /* borrowed */
    if (c == NULL) {
      PyErr_Clear();
      c = rt_support_call("canonical", "(O)", file);
      if (c == NULL || PyDict_SetItem(cache, file, c) < 0) {
        PyErr_Clear();
        Py_XDECREF(c);
        Py_DECREF(file);
        continue;
      }
      Py_DECREF(c); /* the cache keeps it */
    }
    Py_DECREF(file);
    if (PyUnicode_Check(c) && PyObject_Hash(c) == want &&
        PyUnicode_Compare(c, canon) == 0) {
      found = 1;
    }
    PyErr_Clear();
  }
  Py_DECREF(values);
  return found;
}

int rt_lazy_decide(const char *path, PyObject **canon) {
  char buf[PATH_MAX];
  const char *c = NULL;
  struct stat st;
  int imported = 0;

  *canon = NULL;
  if (rt_lazy_plain_path(path) && realpath(path, buf) != NULL) {
    *canon = PyUnicode_DecodeFSDefault(buf);
    if (*canon == NULL) return -1;
    c = buf;
  } else {
    *canon = rt_support_call("canonical", "(s)", path);
    if (*canon == NULL) return -1;
    c = PyUnicode_AsUTF8(*canon);
    if (c == NULL) return -1;
  }
  /* missing, a directory, unreadable: the exact answer says why */
  if (stat(c, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  if (rt_engine_src_known(c)) return 0;
  imported = rt_lazy_imported(*canon);
  if (imported != 0) {
    PyErr_Clear();
    return 0; /* loaded (or unknown: the exact answer is always right) */
  }
  /* The program runs (not held before its first line): code of the file
   * run without a module (exec, runpy.run_path) before any breakpoint was
   * set is found on the heap, as the backends find it. */
  if (!rt_channel_is_holding(rt_channel_get())) {
    PyObject *codes = rt_support_call("live_codes", "(sO)", c, Py_False);
    bool live = codes == NULL || !PyList_Check(codes) || PyList_GET_SIZE(codes) > 0;
    Py_XDECREF(codes);
    PyErr_Clear();
    if (live) return 0;
  }
  return 1;
}

/* ---- events, in order after the answer ---------------------------------- */

static pthread_mutex_t rt_lazy_mu = PTHREAD_MUTEX_INITIALIZER;
static bool rt_lazy_answering;  /* the channel thread answers setBreakpoints */
static cJSON *rt_lazy_queue;    /* events waiting for that answer (array) */

void rt_lazy_answer_begin(void) {
  pthread_mutex_lock(&rt_lazy_mu);
  rt_lazy_answering = true;
  pthread_mutex_unlock(&rt_lazy_mu);
}

void rt_lazy_answer_end(void) {
  cJSON *queue = NULL, *ev = NULL;
  pthread_mutex_lock(&rt_lazy_mu);
  rt_lazy_answering = false;
  queue = rt_lazy_queue;
  rt_lazy_queue = NULL;
  pthread_mutex_unlock(&rt_lazy_mu);
  while (queue != NULL && (ev = cJSON_DetachItemFromArray(queue, 0)) != NULL) {
    (void)rt_channel_send(rt_channel_get(), ev);
  }
  cJSON_Delete(queue);
}

/* Sends (or queues behind the answer in progress) a `breakpoint` event.
 * body is consumed. GIL held. */
static void rt_lazy_send(cJSON *body) {
  cJSON *msg = dap_msg_event("breakpoint", body);
  if (msg == NULL) return;
  pthread_mutex_lock(&rt_lazy_mu);
  if (rt_lazy_answering) {
    if (rt_lazy_queue == NULL) rt_lazy_queue = cJSON_CreateArray();
    if (rt_lazy_queue != NULL) {
      cJSON_AddItemToArray(rt_lazy_queue, msg);
      msg = NULL;
    }
  }
  pthread_mutex_unlock(&rt_lazy_mu);
  if (msg != NULL) (void)rt_send_gil(msg);
}

/* ---- the check at load (the program's thread, exec audit hook) ----------- */

typedef struct {
  uint8_t *bits; /* lines with code */
  int nbits;
  bool failed;
} rt_lines_t;

static void rt_lines_add(rt_lines_t *l, long line) {
  if (line <= 0 || line > INT_MAX / 2) return;
  if (line >= l->nbits) {
    int n = l->nbits > 0 ? l->nbits : 1024;
    while (n <= line) n *= 2;
    uint8_t *b = realloc(l->bits, (size_t)n / 8);
    if (b == NULL) {
      l->failed = true;
      return;
    }
    memset(b + l->nbits / 8, 0, (size_t)(n - l->nbits) / 8);
    l->bits = b;
    l->nbits = n;
  }
  l->bits[line >> 3] |= (uint8_t)(1u << (line & 7));
}

static bool rt_lines_has(const rt_lines_t *l, long line) {
  return line > 0 && line < l->nbits && (l->bits[line >> 3] & (1u << (line & 7))) != 0;
}

/* Every line of code and of the code nested in its constants: co_lines(),
 * as the file's lines are collected for an exact answer. No import. */
static void rt_lines_tree(rt_lines_t *l, PyObject *code, int depth) {
  PyObject *it = NULL, *item = NULL, *consts = ((PyCodeObject *)code)->co_consts;

  if (depth > 200) return;
  it = PyObject_CallMethod(code, "co_lines", NULL);
  PyObject *iter = it != NULL ? PyObject_GetIter(it) : NULL;
  Py_XDECREF(it);
  if (iter == NULL) {
    PyErr_Clear();
    l->failed = true;
    return;
  }
  while ((item = PyIter_Next(iter)) != NULL) {
    if (PyTuple_Check(item) && PyTuple_GET_SIZE(item) == 3) {
      PyObject *line = PyTuple_GET_ITEM(item, 2);
      if (PyLong_Check(line)) rt_lines_add(l, PyLong_AsLong(line));
    }
    Py_DECREF(item);
  }
  Py_DECREF(iter);
  if (PyErr_Occurred()) {
    PyErr_Clear();
    l->failed = true;
  }
  for (Py_ssize_t i = 0; consts != NULL && i < PyTuple_GET_SIZE(consts); i++) {
    PyObject *k = PyTuple_GET_ITEM(consts, i);
    if (PyCode_Check(k)) rt_lines_tree(l, k, depth + 1);
  }
}

static cJSON *rt_lazy_event(const rt_bpfile_t *bf, const rt_bp_t *bp, int line,
                            const char *message) {
  cJSON *body = cJSON_CreateObject();
  cJSON *o = body != NULL ? cJSON_AddObjectToObject(body, "breakpoint") : NULL;
  cJSON *src = o != NULL ? cJSON_AddObjectToObject(o, "source") : NULL;
  if (src == NULL) {
    cJSON_Delete(body);
    return NULL;
  }
  cJSON_AddStringToObject(body, "reason", "changed");
  cJSON_AddNumberToObject(o, "id", bp->id);
  cJSON_AddBoolToObject(o, "verified", bp->verified);
  cJSON_AddNumberToObject(o, "line", line);
  if (message != NULL) cJSON_AddStringToObject(o, "message", message);
  cJSON_AddStringToObject(src, "path", bf->client_path);
  return body;
}

void rt_lazy_code_loaded(PyObject *code) {
  rt_bpfile_t *bf = NULL;
  rt_lines_t lines = {NULL, 0, false};
  cJSON *events = NULL, *ev = NULL;
  rt_compat_exc_t saved;

  if (rt_lazy_pending <= 0) return;
  bf = rt_engine_code_bpfile(code);
  if (bf == NULL || !bf->lazy || bf->dead) return;
  /* exec() of a piece of code compiled under the file's name is not the
   * file's module: only module code settles the lines */
  if (PyUnicode_CompareWithASCIIString(((PyCodeObject *)code)->co_name, "<module>") != 0) {
    return;
  }
  rt_compat_exc_save(&saved);
  rt_tls_in_debugger++;
  rt_lines_tree(&lines, code, 0);
  bf->lazy = false;
  rt_lazy_pending--;
  rt_lazy_checked++;
  events = cJSON_CreateArray();
  for (int i = 0; i < bf->n && !lines.failed; i++) {
    rt_bp_t *bp = &bf->bps[i];
    int asked = bp->line, line = asked;
    char msg[64];
    if (!bp->verified || asked <= 0) continue; /* bad options: said so already */
    while (line < lines.nbits && !rt_lines_has(&lines, line)) line++;
    if (line == asked && line < lines.nbits) continue; /* code there */
    if (line < lines.nbits) {
      bp->line = line;
      ev = rt_lazy_event(bf, bp, line, NULL);
    } else {
      bp->line = 0; /* never fires */
      bp->verified = false;
      snprintf(msg, sizeof msg, "no code at or after line %d", asked);
      ev = rt_lazy_event(bf, bp, asked, msg);
    }
    if (ev != NULL && events != NULL) cJSON_AddItemToArray(events, ev);
    else cJSON_Delete(ev);
  }
  if (lines.failed) {
    rt_log(RT_LOG_ERROR, "lazy breakpoints: reading the lines of %s failed", bf->canon);
  }
  rt_engine_gen++; /* code objects see the checked lines */
  free(lines.bits);
  /* sent once bf is no longer used: sending lets other threads run */
  while (events != NULL && (ev = cJSON_DetachItemFromArray(events, 0)) != NULL) {
    rt_lazy_events++;
    rt_lazy_send(ev);
  }
  cJSON_Delete(events);
  rt_tls_in_debugger--;
  PyErr_Clear();
  rt_compat_exc_restore(&saved);
}
