/* The `instrumented` backend (3.11; `auto` there): functions with
 * breakpoints run a recompile of their source with the breakpoint check
 * inserted at each breakpoint line (runtime/python/_dapper_instrument.py),
 * so code without breakpoints runs exactly as before (no hook, no trace,
 * no callback) and a false inline condition costs a few bytecodes.
 *
 *   breakpoint change   the file's live functions get the instrumented
 *                       code (`__code__`, nested code through the parent's
 *                       co_consts), or their original code back; gc scan
 *   code run later      the `exec` audit event announces every module
 *                       code about to run (imports, the main script,
 *                       runpy, exec(), pytest's rewritten test modules):
 *                       when its file has breakpoints, the eval-frame hook
 *                       runs the instrumented module code in place of its
 *                       fresh frame (rt_frame_swap_next); code that does
 *                       not match the file's recompile (pytest rewrote its
 *                       asserts) gets its breakpoint code objects traced
 *   the main script     the same, and a trampoline in the eval-frame hook
 *                       until the program's first frame
 *   the check           `__dapper_bp__(line, state)`: this module's C builtin,
 *                       a constant in co_consts (no name lookup the program
 *                       could shadow); state says whether the inline
 *                       condition was true or raised, or is left to C
 *   fallbacks           code that cannot be instrumented, frames that were
 *                       running when the breakpoint was set, suspended
 *                       generators: scoped C tracing with the eval-frame
 *                       hook, only while they exist (rt_backend_frame.c);
 *                       stepping, pause and stopOnEntry the same way
 *
 * Code objects of the current instrumentation carry RT_FRAME_INS_CODE in
 * their codeinfo; the builtin ignores calls from code without it (an older
 * instrumentation still running in some frame, which is traced instead). */
#include "rt_backend_frame.h"

#if RT_HAVE_INSTRUMENTED

#include <string.h>

#include "rt_engine_priv.h"
#include "rt_log.h"
#include "rt_stop.h"
#include "rt_support.h"

static PyObject *rt_ins_mod; /* strong: the Python side */
static void rt_ins_log_error(const char *what, const char *canon);
static bool rt_ins_active;

/* ---- the breakpoint check called by instrumented code (hot when hit) ---- */

/* The entry check `__dapper_bp__(0, RT_INS_ENTRY)`: inserted at the start of
 * the functions (classes, module) that hold or enclose code the inserted
 * checks cannot serve. Until one runs, that code needs nothing (no frame of
 * it can exist); the first one counts the file's fallbacks, which installs
 * the eval-frame hook, and traces its own frame when it needs it. */
enum { RT_INS_ENTRY = 4 };

static void rt_ins_entered(rt_codeinfo_t *ci) {
  if (ci->armed & RT_FRAME_ENTRY) {
    rt_bpfile_t *bf = rt_engine_code_bpfile(ci->code);
    ci->armed &= ~RT_FRAME_ENTRY;
    if (bf != NULL) {
      rt_tls_in_debugger++;
      rt_frame_add_fallback(bf->canon, 1);
      rt_tls_in_debugger--;
    }
  }
  if (ci->armed & RT_FRAME_FALLBACK) rt_frame_trace_here();
}

static PyObject *rt_ins_bp(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
  rt_thread_t *t = NULL;
  PyFrameObject *frame = NULL;
  PyCodeObject *code = NULL;
  rt_codeinfo_t *ci = NULL;
  long arg = 0, state = 0;
  int line = 0;

  (void)self;
  if (!rt_ins_active || rt_tls_in_debugger || nargs != 2 ||
      atomic_load_explicit(&rt_disconnected, memory_order_relaxed)) {
    Py_RETURN_NONE;
  }
  t = rt_threads_current();
  if (t == NULL || rt_thread_is_gone(t)) Py_RETURN_NONE;
  frame = PyEval_GetFrame(); /* borrowed: the instrumented frame */
  if (frame == NULL) Py_RETURN_NONE;
  code = PyFrame_GetCode(frame);
  ci = rt_engine_codeinfo((PyObject *)code, NULL);
  Py_DECREF(code);
  arg = PyLong_AsLong(args[0]); /* the check's line (0: an entry check) */
  state = PyLong_AsLong(args[1]);
  if (PyErr_Occurred()) {
    PyErr_Clear();
    Py_RETURN_NONE;
  }
  if (ci != NULL && state == RT_INS_ENTRY) {
    rt_ins_entered(ci);
    Py_RETURN_NONE;
  }
  if (ci == NULL || !(ci->armed & RT_FRAME_INS_CODE)) Py_RETURN_NONE;
  line = PyFrame_GetLineNumber(frame);
  if (rt_frame_bp_skip((PyObject *)frame, line)) Py_RETURN_NONE;
  PyObject *outer = t->check_frame; /* a stop in here may jump later (rt_goto.h) */
  t->check_frame = (PyObject *)frame;
  if (state == RT_COND_LINE) {
    (void)rt_engine_line_hit(t, ci, (PyObject *)frame, line);
  } else {
    (void)rt_engine_bp_hit(t, ci, (PyObject *)frame, (int)arg, (int)state);
  }
  t->check_frame = outer;
  Py_RETURN_NONE;
}

/* ---- the Python side ------------------------------------------------------ */

static PyMethodDef rt_ins_defs[] = {
    {"__dapper_bp__", (PyCFunction)(void (*)(void))rt_ins_bp, METH_FASTCALL, NULL},
};

static PyObject *rt_ins_load(void) {
  PyObject *support = rt_support(); /* borrowed */
  PyObject *dir = NULL, *ospath = NULL, *path = NULL, *util = NULL, *spec = NULL;
  PyObject *mod = NULL, *loader = NULL, *res = NULL, *canonical = NULL, *bp = NULL;

  if (support == NULL) return NULL;
  dir = PyObject_GetAttrString(support, "_runtime_dir");
  canonical = PyObject_GetAttrString(support, "canonical");
  ospath = PyImport_ImportModule("os.path");
  if (dir == NULL || canonical == NULL || ospath == NULL) goto done;
  path = PyObject_CallMethod(ospath, "join", "Os", dir, "_dapper_instrument.py");
  util = PyImport_ImportModule("importlib.util");
  if (path == NULL || util == NULL) goto done;
  spec = PyObject_CallMethod(util, "spec_from_file_location", "sO",
                             "_dapper_instrument", path);
  if (spec == NULL) goto done;
  mod = PyObject_CallMethod(util, "module_from_spec", "O", spec);
  loader = mod != NULL ? PyObject_GetAttrString(spec, "loader") : NULL;
  if (loader == NULL) goto fail;
  res = PyObject_CallMethod(loader, "exec_module", "O", mod);
  if (res == NULL) goto fail;
  Py_CLEAR(res);
  bp = PyCFunction_New(&rt_ins_defs[0], NULL);
  if (bp == NULL) goto fail;
  res = PyObject_CallMethod(mod, "init", "OOO", bp, canonical, support);
  if (res == NULL) goto fail;
  goto done;
fail:
  Py_CLEAR(mod);
done:
  Py_XDECREF(dir);
  Py_XDECREF(ospath);
  Py_XDECREF(path);
  Py_XDECREF(util);
  Py_XDECREF(spec);
  Py_XDECREF(loader);
  Py_XDECREF(res);
  Py_XDECREF(canonical);
  Py_XDECREF(bp);
  return mod;
}

PyObject *rt_instrument_module(void) {
  if (rt_ins_mod == NULL) {
    rt_tls_in_debugger++;
    rt_ins_mod = rt_ins_load();
    rt_tls_in_debugger--;
  }
  Py_XINCREF(rt_ins_mod);
  return rt_ins_mod;
}

void rt_instrument_counts(double out[4]) {
  static const char *const keys[4] = {"functions_instrumented", "files_instrumented",
                                      "lines_compiled", "heap_scans"};
  PyObject *stats = NULL;
  out[0] = out[1] = out[2] = out[3] = 0;
  if (rt_ins_mod == NULL) return;
  stats = PyObject_GetAttrString(rt_ins_mod, "stats");
  for (int i = 0; i < 4 && stats != NULL && PyDict_Check(stats); i++) {
    PyObject *n = PyDict_GetItemString(stats, keys[i]); /* borrowed */
    if (n != NULL && PyLong_Check(n)) out[i] = PyLong_AsDouble(n);
  }
  Py_XDECREF(stats);
  PyErr_Clear();
}

void rt_instrument_disk_counts(double out[5]) {
  static const char *const keys[5] = {"hits", "misses", "writes", "errors", "pruned"};
  PyObject *stats = NULL;
  for (int i = 0; i < 5; i++) out[i] = 0;
  if (rt_ins_mod == NULL) return;
  stats = PyObject_GetAttrString(rt_ins_mod, "disk_stats");
  for (int i = 0; i < 5 && stats != NULL && PyDict_Check(stats); i++) {
    PyObject *n = PyDict_GetItemString(stats, keys[i]); /* borrowed */
    if (n != NULL && PyLong_Check(n)) out[i] = PyLong_AsDouble(n);
  }
  Py_XDECREF(stats);
  PyErr_Clear();
}

/* The Python side, loaded when the first breakpoint needs it (it imports
 * ast: no start-up cost for a session without breakpoints). */
static bool rt_ins_loaded(void) {
  PyObject *mod = NULL;
  if (rt_ins_mod != NULL) return true;
  mod = rt_instrument_module();
  if (mod == NULL) rt_ins_log_error("loading", "_dapper_instrument.py");
  Py_XDECREF(mod); /* rt_ins_mod keeps it */
  return rt_ins_mod != NULL;
}

/* [(id, line, condition|None)] of the verified breakpoints of bf. */
static PyObject *rt_ins_bp_list(const rt_bpfile_t *bf) {
  PyObject *list = PyList_New(0);
  for (int i = 0; list != NULL && bf != NULL && i < bf->n; i++) {
    const rt_bp_t *bp = &bf->bps[i];
    PyObject *item = NULL;
    if (!bp->verified || bp->line <= 0) continue;
    if (bp->cond_src != NULL) {
      item = Py_BuildValue("(iis)", bp->id, bp->line, bp->cond_src);
    } else {
      item = Py_BuildValue("(iiO)", bp->id, bp->line, Py_None);
    }
    if (item == NULL || PyList_Append(list, item) < 0) Py_CLEAR(list);
    Py_XDECREF(item);
  }
  return list;
}

static void rt_ins_clear_marks(rt_codeinfo_t *ci) {
  ci->armed &= ~(RT_FRAME_INS_CODE | RT_FRAME_FALLBACK | RT_FRAME_ENTRY);
}

/* Marks the codes of a Python answer (instrumented list, fallback list,
 * lazy fallback list, entry-check list: items 1-4 of `res` from `first`);
 * returns the number of fallback codes that count now. */
static int rt_ins_mark(PyObject *res, Py_ssize_t first) {
  PyObject *instr = PyTuple_GET_ITEM(res, first);
  PyObject *fallback = PyTuple_GET_ITEM(res, first + 1);
  PyObject *lazy = PyTuple_GET_ITEM(res, 3), *entry = PyTuple_GET_ITEM(res, 4);
  int nfb = 0;
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(lazy); i++) {
    rt_codeinfo_t *ci = rt_engine_codeinfo(PyList_GET_ITEM(lazy, i), NULL);
    if (ci != NULL) ci->armed = (ci->armed & ~RT_FRAME_INS_CODE) | RT_FRAME_FALLBACK;
  }
  for (Py_ssize_t i = 0; i < PyList_GET_SIZE(entry); i++) {
    rt_codeinfo_t *ci = rt_engine_codeinfo(PyList_GET_ITEM(entry, i), NULL);
    if (ci != NULL) ci->armed |= RT_FRAME_ENTRY;
  }
  for (Py_ssize_t i = 0; instr != NULL && i < PyList_GET_SIZE(instr); i++) {
    rt_codeinfo_t *ci = rt_engine_codeinfo(PyList_GET_ITEM(instr, i), NULL);
    if (ci != NULL) ci->armed = (ci->armed & ~RT_FRAME_FALLBACK) | RT_FRAME_INS_CODE;
  }
  for (Py_ssize_t i = 0; fallback != NULL && i < PyList_GET_SIZE(fallback); i++) {
    rt_codeinfo_t *ci = rt_engine_codeinfo(PyList_GET_ITEM(fallback, i), NULL);
    if (ci != NULL) {
      ci->armed = (ci->armed & ~RT_FRAME_INS_CODE) | RT_FRAME_FALLBACK;
      nfb++;
    }
  }
  return nfb;
}

/* (instrumented code or list, list, list, lazy list, entry list) */
static bool rt_ins_answer_ok(PyObject *res) {
  if (res == NULL || !PyTuple_Check(res) || PyTuple_GET_SIZE(res) != 5) return false;
  for (Py_ssize_t i = 1; i < 5; i++) {
    if (!PyList_Check(PyTuple_GET_ITEM(res, i))) return false;
  }
  return true;
}

static void rt_ins_log_error(const char *what, const char *canon) {
  char text[512];
  if (!PyErr_Occurred()) return;
  rt_exc_text(text, sizeof text);
  rt_log(RT_LOG_ERROR, "instrumented: %s %s failed: %s", what, canon, text);
}

/* Breakpoints of one file changed: (re)instrument its live functions. */
static void rt_ins_update(const char *canon) {
  rt_bpfile_t *bf = rt_bpfile_find(canon);
  PyObject *bps = rt_ins_bp_list(bf), *res = NULL;
  int nfb = 0;

  if (bps == NULL) goto done;
  /* not loaded yet: nothing was instrumented, nothing to restore */
  if (rt_ins_mod == NULL && PyList_GET_SIZE(bps) == 0) goto done;
  if (!rt_ins_loaded()) goto done;
  res = PyObject_CallMethod(rt_ins_mod, "update", "sOOO", canon, bps, Py_True,
                            rt_frame_program_pending() ? Py_True : Py_False);
  if (!rt_ins_answer_ok(res)) goto done;
  rt_engine_foreach_code(canon, rt_ins_clear_marks);
  if (!PyList_Check(PyTuple_GET_ITEM(res, 0))) goto done;
  nfb = rt_ins_mark(res, 0);
  rt_frame_set_fallback(canon, nfb, PyTuple_GET_ITEM(res, 2));
done:
  rt_ins_log_error("instrumenting", canon);
  Py_XDECREF(bps);
  Py_XDECREF(res);
}

/* A code object about to run for the first time (a module imported, the
 * main script): its instrumented version (new reference) or NULL. Also
 * registers it. */
static PyObject *rt_ins_code_for(PyObject *canon_obj, PyObject *code) {
  const char *canon = PyUnicode_AsUTF8(canon_obj);
  rt_bpfile_t *bf = canon != NULL ? rt_bpfile_find(canon) : NULL;
  PyObject *bps = NULL, *res = NULL, *out = NULL;

  PyErr_Clear();
  if (bf == NULL || bf->n == 0 || !rt_ins_loaded()) return NULL;
  (void)rt_engine_codeinfo(code, NULL);
  bps = rt_ins_bp_list(bf);
  if (bps != NULL) {
    res = PyObject_CallMethod(rt_ins_mod, "instrument_code", "OOO", canon_obj, code,
                              bps);
  }
  if (rt_ins_answer_ok(res)) {
    int nfb = rt_ins_mark(res, 1);
    if (nfb > 0) rt_frame_add_fallback(canon, nfb);
    if (PyCode_Check(PyTuple_GET_ITEM(res, 0))) out = Py_NewRef(PyTuple_GET_ITEM(res, 0));
  }
  rt_ins_log_error("instrumenting", canon);
  (void)rt_engine_codeinfo(out != NULL ? out : code, NULL);
  Py_XDECREF(bps);
  Py_XDECREF(res);
  return out;
}

/* The exec audit hook: module code about to run. When its file has
 * breakpoints, its instrumented version runs instead (the frame hook
 * swaps it in) and its code objects are marked. */
static void rt_ins_code_executed(PyObject *code) {
  rt_codeinfo_t *ci = NULL;
  rt_bpfile_t *bf = NULL;
  PyObject *canon = NULL, *out = NULL;
  rt_compat_exc_t saved;

  if (!rt_ins_active) return;
  ci = rt_engine_codeinfo_peek(code);
  if (ci != NULL && (ci->armed & RT_FRAME_INS_CODE)) return; /* ours already */
  bf = rt_engine_code_bpfile(code);
  if (bf == NULL || bf->n == 0) return;
  rt_compat_exc_save(&saved);
  rt_tls_in_debugger++;
  canon = PyUnicode_FromString(bf->canon);
  if (canon != NULL) out = rt_ins_code_for(canon, code);
  if (out != NULL && ((PyCodeObject *)code)->co_nfreevars == 0) {
    rt_frame_swap_next(code, out); /* module code: its namespace is all it needs */
  } else {
    Py_XDECREF(out); /* exec(code, closure=...): its cells are the caller's */
  }
  Py_XDECREF(canon);
  PyErr_Clear();
  rt_tls_in_debugger--;
  rt_compat_exc_restore(&saved);
}

/* rt_frame_main_code: the main script's module code about to run. */
static PyObject *rt_ins_main_code(PyObject *code) {
  PyObject *canon = NULL, *out = NULL;
  if (!rt_ins_active || rt_bpfiles == NULL) return NULL;
  rt_tls_in_debugger++;
  canon = rt_support_call("canonical", "(O)", ((PyCodeObject *)code)->co_filename);
  if (canon != NULL && PyUnicode_Check(canon)) out = rt_ins_code_for(canon, code);
  Py_XDECREF(canon);
  PyErr_Clear();
  rt_tls_in_debugger--;
  return out;
}

/* ---- backend hooks ---------------------------------------------------------- */

static void rt_ins_breakpoints_changed(const char *canon) {
  rt_compat_exc_t saved;
  if (!rt_ins_active) return;
  rt_compat_exc_save(&saved);
  rt_tls_in_debugger++;
  /* a lazily answered file has no code yet (rt_lazy.c): nothing to update */
  if (canon != NULL) {
    rt_bpfile_t *bf = rt_bpfile_find(canon);
    if (bf == NULL || !bf->lazy) rt_ins_update(canon);
  } else {
    for (rt_bpfile_t *bf = rt_bpfiles; bf != NULL; bf = bf->next) {
      if (!bf->lazy) rt_ins_update(bf->canon);
    }
  }
  rt_tls_in_debugger--;
  PyErr_Clear();
  rt_frame_update_hook();
  rt_compat_exc_restore(&saved);
}

static void rt_ins_uninstall(void);

static int rt_ins_install(void) {
  if (rt_frame_install(false) < 0) {
    rt_compat_exc_t saved;
    rt_compat_exc_save(&saved);
    rt_ins_uninstall();
    rt_compat_exc_restore(&saved);
    return -1;
  }
  rt_frame_main_code = rt_ins_main_code;
  rt_ins_active = true;
  return 0;
}

static void rt_ins_uninstall(void) {
  PyObject *res = NULL;
  rt_compat_exc_t saved;

  rt_ins_active = false;
  rt_frame_uninstall();
  if (rt_ins_mod == NULL) return;
  rt_compat_exc_save(&saved);
  rt_tls_in_debugger++;
  res = PyObject_CallMethod(rt_ins_mod, "restore_all", NULL);
  Py_XDECREF(res);
  PyErr_Clear();
  rt_engine_foreach_code(NULL, rt_ins_clear_marks);
  rt_tls_in_debugger--;
  rt_compat_exc_restore(&saved);
}

const rt_backend_t rt_backend_instrumented = {
    .name = "instrumented",
    .description = "instrumented code",
    .install = rt_ins_install,
    .uninstall = rt_ins_uninstall,
    .breakpoints_changed = rt_ins_breakpoints_changed,
    .exceptions_changed = rt_frame_exceptions_changed,
    .control_changed = rt_frame_control_changed,
    .step_changed = rt_frame_step_changed,
    .thread_started = rt_frame_thread_started,
    .code_executed = rt_ins_code_executed,
};

#endif /* RT_HAVE_INSTRUMENTED */
