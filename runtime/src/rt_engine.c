/* See rt_engine.h. */
/* The internal frame (rt_compat.h) gives simple conditions the fast locals
 * of a frame object's frame; nothing else here uses it. */
#define RT_COMPAT_INTERNAL_FRAME 1
#include "rt_engine.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <dapper/errors.h>
#include <dapper/message.h>

#include "rt_backend.h"
#include "rt_log.h"
#include "rt_stats.h"
#include "rt_stop.h"
#include "rt_support.h"
#include "rt_engine_priv.h"

unsigned rt_engine_gen = 1;
int rt_engine_nfuncbps;
bool rt_exc_raised, rt_exc_uncaught, rt_exc_user_unhandled;
PyObject *rt_exc_names[3];

Py_ssize_t rt_engine_extra_index = -1;
static PyObject *rt_main_dict; /* strong */

rt_bpfile_t *rt_bpfiles;
rt_bp_t *rt_funcbps;
PyObject *rt_funcbp_names;

struct rt_srcfile {
  struct rt_srcfile *next; /* hash chain (co_filename) */
  struct rt_srcfile *cnext; /* hash chain (canon) */
  PyObject *filename;      /* strong: co_filename */
  char *canon;
  bool hidden, library, excluded;
  bool kinds_known; /* hidden and library computed (rt_src_kinds) */
  rt_codeinfo_t *codes;
  rt_bpfile_t *bf; /* cache, valid when bf_gen == rt_engine_gen */
  unsigned bf_gen;
};

#define RT_SRC_BUCKETS 1024
static rt_srcfile_t *rt_src_table[RT_SRC_BUCKETS];
static rt_srcfile_t *rt_src_by_canon[RT_SRC_BUCKETS]; /* the same, by canon */

static size_t rt_canon_bucket(const char *canon) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (const unsigned char *p = (const unsigned char *)canon; *p != '\0'; p++) {
    h = (h ^ *p) * 16777619u;
  }
  return h % RT_SRC_BUCKETS;
}

bool rt_engine_src_known(const char *canon) {
  for (rt_srcfile_t *s = rt_src_by_canon[rt_canon_bucket(canon)]; s != NULL; s = s->cnext) {
    if (strcmp(s->canon, canon) == 0) return true;
  }
  return false;
}

/* A simple condition bound to one code object's fast locals. */
struct rt_fastcond {
  uint8_t state; /* RT_FC_* */
  int16_t idx[RT_PRED_MAX];
};

enum {
  RT_FC_UNBOUND = 0, /* not looked at yet */
  RT_FC_FAST,        /* idx holds the fast-local indexes */
  RT_FC_SLOW,        /* not simple, or its names are not plain fast locals */
};

void rt_bp_clear(rt_bp_t *bp) {
  Py_CLEAR(bp->cond);
  rt_pred_free(bp->pred);
  bp->pred = NULL;
  Py_CLEAR(bp->log);
  free(bp->cond_src);
  free(bp->cond_error);
  bp->cond_src = bp->cond_error = NULL;
}

void rt_bpfile_free(rt_bpfile_t *bf) {
  if (bf == NULL) return;
  if (bf->busy > 0) {
    bf->dead = true;
    return;
  }
  for (int i = 0; i < bf->n; i++) rt_bp_clear(&bf->bps[i]);
  free(bf->bps);
  free(bf->canon);
  free(bf->client_path);
  free(bf);
}

static rt_bpfile_t *rt_bpfile_index[RT_SRC_BUCKETS];

rt_bpfile_t *rt_bpfile_find(const char *canon) {
  for (rt_bpfile_t *bf = rt_bpfile_index[rt_canon_bucket(canon)]; bf != NULL; bf = bf->hnext) {
    if (strcmp(bf->canon, canon) == 0) return bf;
  }
  return NULL;
}

void rt_bpfile_link(rt_bpfile_t *bf) {
  size_t b = rt_canon_bucket(bf->canon);
  bf->next = rt_bpfiles;
  rt_bpfiles = bf;
  bf->hnext = rt_bpfile_index[b];
  rt_bpfile_index[b] = bf;
}

void rt_bpfile_unlink(rt_bpfile_t *bf) {
  for (rt_bpfile_t **pp = &rt_bpfiles; *pp != NULL; pp = &(*pp)->next) {
    if (*pp == bf) {
      *pp = bf->next;
      break;
    }
  }
  for (rt_bpfile_t **pp = &rt_bpfile_index[rt_canon_bucket(bf->canon)]; *pp != NULL;
       pp = &(*pp)->hnext) {
    if (*pp == bf) {
      *pp = bf->hnext;
      break;
    }
  }
  bf->next = bf->hnext = NULL;
}

void rt_bpfile_clear_all(void) {
  while (rt_bpfiles != NULL) {
    rt_bpfile_t *bf = rt_bpfiles;
    rt_bpfiles = bf->next;
    rt_bpfile_free(bf);
  }
  memset(rt_bpfile_index, 0, sizeof rt_bpfile_index);
}

static rt_bpfile_t *rt_src_bpfile(rt_srcfile_t *src) {
  if (src->bf_gen != rt_engine_gen) {
    src->bf = rt_bpfile_find(src->canon);
    src->bf_gen = rt_engine_gen;
  }
  return src->bf;
}

/* ---- the per-file registry of code objects ----------------------------- */

/* Library or user code (and excluded by a rule) of a file. */
static void rt_src_classify(rt_srcfile_t *src) {
  PyObject *res = rt_support_call("is_library", "(O)", src->filename);
  long kind = res != NULL ? PyLong_AsLong(res) : 0;
  Py_XDECREF(res);
  PyErr_Clear();
  src->library = kind > 0;
  src->excluded = kind == 2;
}

/* hidden/library of a file, found when its first codeinfo is made (the
 * exec audit hook makes records for every module run, and needs only the
 * canonical path). */
static void rt_src_kinds(rt_srcfile_t *src) {
  PyObject *res = NULL;
  if (src->kinds_known) return;
  src->kinds_known = true;
  res = rt_support_call("is_hidden", "(O)", src->filename);
  src->hidden = res != NULL && PyObject_IsTrue(res) == 1;
  Py_XDECREF(res);
  PyErr_Clear();
  rt_src_classify(src);
}

void rt_engine_reclassify(void) {
  rt_tls_in_debugger++;
  for (size_t b = 0; b < RT_SRC_BUCKETS; b++) {
    for (rt_srcfile_t *src = rt_src_table[b]; src != NULL; src = src->next) {
      if (!src->kinds_known) continue; /* classified when first used */
      rt_src_classify(src);
      for (rt_codeinfo_t *ci = src->codes; ci != NULL; ci = ci->next) {
        ci->library = src->library;
        ci->excluded = src->excluded;
      }
    }
  }
  rt_tls_in_debugger--;
}

static rt_srcfile_t *rt_src_find(PyObject *filename, bool create) {
  Py_hash_t h = PyObject_Hash(filename);
  size_t b = 0;
  rt_srcfile_t *src = NULL;
  PyObject *res = NULL;

  if (h == -1) {
    PyErr_Clear();
    h = 0;
  }
  b = (size_t)h % RT_SRC_BUCKETS;
  for (src = rt_src_table[b]; src != NULL; src = src->next) {
    if (src->filename == filename) return src;
    int eq = PyObject_RichCompareBool(src->filename, filename, Py_EQ);
    if (eq < 0) PyErr_Clear();
    if (eq > 0) return src;
  }
  if (!create) return NULL;
  src = calloc(1, sizeof *src);
  if (src == NULL) return NULL;
  rt_stat_inc(RT_STAT_FILES_RESOLVED);
  res = rt_support_call("canonical", "(O)", filename);
  src->canon = rt_strdup_py(res);
  Py_XDECREF(res);
  PyErr_Clear();
  if (src->canon == NULL) {
    free(src);
    return NULL;
  }
  Py_INCREF(filename);
  src->filename = filename;
  src->next = rt_src_table[b];
  rt_src_table[b] = src;
  b = rt_canon_bucket(src->canon);
  src->cnext = rt_src_by_canon[b];
  rt_src_by_canon[b] = src;
  return src;
}

void rt_engine_foreach_code(const char *canon, void (*fn)(rt_codeinfo_t *)) {
  for (size_t b = 0; b < RT_SRC_BUCKETS; b++) {
    for (rt_srcfile_t *s = rt_src_table[b]; s != NULL; s = s->next) {
      if (canon != NULL && strcmp(s->canon, canon) != 0) continue;
      rt_codeinfo_t *ci = s->codes;
      while (ci != NULL) {
        rt_codeinfo_t *next = ci->next; /* fn may not free ci, but be safe */
        fn(ci);
        ci = next;
      }
    }
  }
}

/* co_extra free function: runs when the code object is deallocated. Frees
 * C memory and unlinks; runs no Python code (a str decref only). */
static void rt_codeinfo_free(void *p) {
  rt_codeinfo_t *ci = p;

  if (ci == NULL) return;
  if (ci->prev != NULL) {
    ci->prev->next = ci->next;
  } else if (ci->src != NULL && ci->src->codes == ci) {
    ci->src->codes = ci->next;
  }
  if (ci->next != NULL) ci->next->prev = ci->prev;
  Py_CLEAR(ci->modname);
  free(ci->bits);
  free(ci->fast);
  free(ci);
}

int rt_engine_init(void) {
  if (rt_engine_extra_index >= 0) return 0;
  rt_engine_extra_index = rt_compat_request_extra_index(rt_codeinfo_free);
  if (rt_engine_extra_index < 0) {
    PyErr_SetString(PyExc_RuntimeError, "no code extra index available");
    return -1;
  }
  return 0;
}

/* ---- a code object's own lines, from its location table --------------- */

/* co_linetable (3.11+, CPython's Objects/locations.md): one entry per run
 * of code units, a start byte (bit 7 set; bits 3-6 the kind, bits 0-2 the
 * length) then varint bytes (bit 7 clear). The kinds that move the line:
 * 13 (no columns) and 14 (long form) by a signed varint, 10-12 by 0-2;
 * 15 has no line (co_lines() gives None); the others keep it. The line
 * starts at co_firstlineno. */
typedef struct {
  const uint8_t *p, *end;
  int line;
} rt_linetable_t;

static void rt_linetable_init(rt_linetable_t *it, PyCodeObject *co) {
  PyObject *table = co->co_linetable;
  bool ok = table != NULL && PyBytes_Check(table);
  it->p = ok ? (const uint8_t *)PyBytes_AS_STRING(table) : NULL;
  it->end = ok ? it->p + PyBytes_GET_SIZE(table) : NULL;
  it->line = co->co_firstlineno;
}

/* The next entry's line (-1: none) in *line; false at the end. */
static bool rt_linetable_next(rt_linetable_t *it, int *line) {
  int kind = 0;
  if (it->p == NULL || it->p >= it->end) return false;
  kind = (*it->p >> 3) & 15;
  if (kind == 13 || kind == 14) {
    const uint8_t *q = it->p + 1;
    unsigned v = 0, shift = 0;
    while (q < it->end && shift < 32) {
      uint8_t b = *q++;
      v |= (unsigned)(b & 63) << shift;
      shift += 6;
      if (!(b & 64)) break;
    }
    it->line += (v & 1) ? -(int)(v >> 1) : (int)(v >> 1);
  } else if (kind >= 10 && kind <= 12) {
    it->line += kind - 10;
  }
  *line = kind == 15 ? -1 : it->line;
  do {
    it->p++;
  } while (it->p < it->end && !(*it->p & 128));
  return true;
}

int rt_engine_code_lines(PyObject *code, int (*fn)(int line, void *arg), void *arg) {
  rt_linetable_t it;
  int line = 0, rc = 0;
  if (!PyCode_Check(code)) return 0;
  rt_linetable_init(&it, (PyCodeObject *)code);
  while (rc == 0 && rt_linetable_next(&it, &line)) {
    if (line >= 0) rc = fn(line, arg);
  }
  return rc;
}

/* The breakpoint lines of bf that code's own instructions carry, as ci's
 * bitmap (what co_lines() gives, without calling Python: the caller may be
 * the eval-frame hook arming code before its frame runs). */
static void rt_codeinfo_lines(rt_codeinfo_t *ci, const rt_bpfile_t *bf) {
  rt_linetable_t it;
  int line = 0, lo = INT_MAX, hi = INT_MIN, blo = INT_MAX, bhi = INT_MIN;
  uint8_t small[256], *have = small;

  rt_linetable_init(&it, (PyCodeObject *)ci->code);
  while (rt_linetable_next(&it, &line)) {
    if (line < 0) continue;
    if (line < lo) lo = line;
    if (line > hi) hi = line;
  }
  for (int i = 0; i < bf->n; i++) {
    int l = bf->bps[i].line;
    if (l >= lo && l <= hi) {
      if (l < blo) blo = l;
      if (l > bhi) bhi = l;
    }
  }
  if (blo > bhi) return; /* no breakpoint line within the code's lines */
  if ((size_t)(hi - lo) / 8 + 1 > sizeof small) {
    have = calloc((size_t)(hi - lo) / 8 + 1, 1);
    if (have == NULL) return;
  } else {
    memset(small, 0, sizeof small);
  }
  rt_linetable_init(&it, (PyCodeObject *)ci->code);
  while (rt_linetable_next(&it, &line)) {
    if (line < 0) continue;
    have[(line - lo) >> 3] |= (uint8_t)(1u << ((line - lo) & 7));
  }
  blo = INT_MAX;
  bhi = INT_MIN;
  for (int i = 0; i < bf->n; i++) {
    int l = bf->bps[i].line, off = l - lo;
    if (l < lo || l > hi || !(have[off >> 3] & (1u << (off & 7)))) continue;
    if (l < blo) blo = l;
    if (l > bhi) bhi = l;
  }
  if (blo <= bhi) {
    ci->first = blo;
    ci->nbits = bhi - blo + 1;
    ci->bits = calloc((size_t)(ci->nbits + 7) / 8, 1);
    if (ci->bits == NULL) {
      ci->nbits = 0;
    } else {
      for (int i = 0; i < bf->n; i++) {
        int l = bf->bps[i].line, off = l - lo, b = l - blo;
        if (l < blo || l > bhi || !(have[off >> 3] & (1u << (off & 7)))) continue;
        ci->bits[b >> 3] |= (uint8_t)(1u << (b & 7));
      }
    }
  }
  if (have != small) free(have);
}

/* Recomputes ci for the current generation. in_debugger is set. */
static void rt_codeinfo_refresh(rt_codeinfo_t *ci) {
  rt_bpfile_t *bf = rt_src_bpfile(ci->src);
  PyObject *res = NULL;

  ci->gen = rt_engine_gen;
  free(ci->bits);
  ci->bits = NULL;
  ci->nbits = 0;
  ci->funcbp_id = 0;
  if (bf != NULL && bf->n > 0) rt_codeinfo_lines(ci, bf);
  if (rt_engine_nfuncbps > 0 && rt_funcbp_names != NULL) {
    res = rt_support_call("match_function", "(OOO)", ci->code,
                          ci->modname != NULL ? ci->modname : Py_None,
                          rt_funcbp_names);
    long idx = res != NULL ? PyLong_AsLong(res) : -1;
    if (idx >= 0 && idx < rt_engine_nfuncbps && rt_funcbps[idx].verified) {
      ci->funcbp_id = rt_funcbps[idx].id;
      Py_XDECREF(res);
      res = rt_support_call("first_line", "(O)", ci->code);
      ci->funcbp_line = res != NULL ? (int)PyLong_AsLong(res) : 0;
    }
  }
  PyErr_Clear();
  Py_XDECREF(res);
}

rt_codeinfo_t *rt_engine_codeinfo_refresh(PyObject *code, PyObject *globals) {
  rt_codeinfo_t *ci = NULL;
  rt_compat_exc_t saved;

  if (rt_engine_extra_index < 0 || !PyCode_Check(code)) return NULL;
  ci = rt_compat_code_extra(code, rt_engine_extra_index);
  if (ci != NULL && ci->gen == rt_engine_gen) return ci;
  rt_compat_exc_save(&saved);
  rt_tls_in_debugger++;
  if (ci == NULL) {
    rt_srcfile_t *src = rt_src_find(((PyCodeObject *)code)->co_filename, true);
    if (src == NULL) goto done;
    ci = calloc(1, sizeof *ci);
    if (ci == NULL) goto done;
    rt_stat_inc(RT_STAT_CODES_REGISTERED);
    ci->code = code;
    ci->src = src;
    rt_src_kinds(src);
    ci->hidden = src->hidden;
    ci->library = src->library;
    ci->excluded = src->excluded;
    if (globals != NULL && PyDict_Check(globals)) {
      PyObject *name = PyDict_GetItemString(globals, "__name__"); /* borrowed */
      if (name != NULL && PyUnicode_Check(name)) {
        Py_INCREF(name);
        ci->modname = name;
      }
    }
    if (rt_compat_code_set_extra(code, rt_engine_extra_index, ci) < 0) {
      PyErr_Clear();
      Py_CLEAR(ci->modname);
      free(ci);
      ci = NULL;
      goto done;
    }
    ci->next = src->codes;
    if (ci->next != NULL) ci->next->prev = ci;
    src->codes = ci;
  }
  rt_codeinfo_refresh(ci);
done:
  rt_tls_in_debugger--;
  PyErr_Clear();
  rt_compat_exc_restore(&saved);
  return ci;
}

void rt_engine_codeinfo_tree(PyObject *code, void (*fn)(rt_codeinfo_t *)) {
  PyObject *consts = ((PyCodeObject *)code)->co_consts;
  rt_codeinfo_t *ci = rt_engine_codeinfo(code, NULL);
  if (ci != NULL && fn != NULL) fn(ci);
  for (Py_ssize_t i = 0; consts != NULL && i < PyTuple_GET_SIZE(consts); i++) {
    PyObject *k = PyTuple_GET_ITEM(consts, i);
    if (PyCode_Check(k)) rt_engine_codeinfo_tree(k, fn);
  }
}

void rt_engine_codeinfo_module(rt_codeinfo_t *ci, PyObject *globals) {
  PyObject *name = NULL;
  if (ci == NULL || ci->modname != NULL || globals == NULL || !PyDict_Check(globals)) {
    return;
  }
  name = PyDict_GetItemString(globals, "__name__"); /* borrowed */
  if (name == NULL || !PyUnicode_Check(name)) return;
  ci->modname = Py_NewRef(name);
  if (rt_engine_nfuncbps > 0) ci->gen = 0; /* match the function breakpoints again */
}

/* The last component of a path ("/a/b.py" -> "b.py"). */
static const char *rt_path_base(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash != NULL ? slash + 1 : path;
}

/* False when the file `filename` (a code object's co_filename that has no
 * record yet) cannot be a file with breakpoints, decided in C, without
 * computing its canonical path (the support module's `canonical`: a
 * realpath in Python, an lstat per path component). The realpath of a
 * name whose last component is a plain name and not a symbolic link ends
 * in that same component, so it can equal a breakpoint file's canonical
 * path only when the last components match, and then only when both
 * name the same file now (device and inode). Anything else (a symbolic
 * link, a name that does not exist, `.`/`..` components, a name that is
 * not UTF-8) is "maybe": the caller computes it. A pseudo name (`<string>`)
 * is its own canonical path. Once per file: the record made for a "maybe"
 * answers later sights. */
static bool rt_src_may_have_bps(PyObject *filename) {
  Py_ssize_t len = 0;
  const char *name = NULL, *base = NULL;
  struct stat st;

  if (!PyUnicode_Check(filename)) return true;
  name = PyUnicode_AsUTF8AndSize(filename, &len);
  if (name == NULL || (size_t)len != strlen(name)) {
    PyErr_Clear();
    return true;
  }
  if (name[0] == '<') {
    for (rt_bpfile_t *bf = rt_bpfiles; bf != NULL; bf = bf->next) {
      if (strcmp(bf->canon, name) == 0) return true;
    }
    return false;
  }
  base = rt_path_base(name);
  if (base[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 ||
      strstr(name, "/./") != NULL || strstr(name, "/../") != NULL ||
      strncmp(name, "./", 2) == 0 || strncmp(name, "../", 3) == 0) {
    return true;
  }
  for (rt_bpfile_t *bf = rt_bpfiles; bf != NULL; bf = bf->next) {
    struct stat bst;
    if (strcmp(rt_path_base(bf->canon), base) != 0) continue;
    /* the same last component (`__init__.py`): two files that are not the
     * same file now have different realpaths */
    if (stat(name, &st) == 0 && stat(bf->canon, &bst) == 0 &&
        (st.st_dev != bst.st_dev || st.st_ino != bst.st_ino)) {
      continue;
    }
    return true;
  }
  return lstat(name, &st) != 0 || S_ISLNK(st.st_mode);
}

rt_bpfile_t *rt_engine_code_bpfile(PyObject *code) {
  rt_codeinfo_t *ci = NULL;
  rt_srcfile_t *src = NULL;
  rt_compat_exc_t saved;
  PyObject *filename = ((PyCodeObject *)code)->co_filename;

  if (rt_bpfiles == NULL) return NULL;
  ci = rt_engine_codeinfo_peek(code);
  src = ci != NULL ? ci->src : rt_src_find(filename, false);
  if (src == NULL) {
    rt_compat_exc_save(&saved);
    rt_tls_in_debugger++;
    if (rt_src_may_have_bps(filename)) src = rt_src_find(filename, true);
    rt_tls_in_debugger--;
    PyErr_Clear();
    rt_compat_exc_restore(&saved);
  }
  return src != NULL ? rt_src_bpfile(src) : NULL;
}

/* ---- hit evaluation ----------------------------------------------------- */

static void rt_report_cond_error(rt_bp_t *bp, const char *text) {
  rt_stat_inc(RT_STAT_ERRORS); /* every failed evaluation, reported once */
  if (bp->cond_reported) return;
  bp->cond_reported = true;
  rt_console("dapper: breakpoint %d: condition '%s' failed (%s); treated as true",
             bp->id, bp->cond_src != NULL ? bp->cond_src : "?", text);
}

/* The hit condition with `hits` hits counted (condition true). */
static bool rt_hit_ok(const rt_bp_t *bp, long hits) {
  switch (bp->hit_op) {
    case RT_HIT_EQ: return hits == bp->hit_n;
    case RT_HIT_GT: return hits > bp->hit_n;
    case RT_HIT_GE: return hits >= bp->hit_n;
    case RT_HIT_LT: return hits < bp->hit_n;
    case RT_HIT_LE: return hits <= bp->hit_n;
    case RT_HIT_MOD: return bp->hit_n > 0 && hits % bp->hit_n == 0;
    default: return true;
  }
}

/* The binding of bf->bps[i]'s simple condition in ci (ci->fast ready):
 * its local indexes, or NULL when the condition is not simple there. */
static const int16_t *rt_fastcond_idx(rt_codeinfo_t *ci, const rt_bp_t *bp, int i) {
  rt_fastcond_t *fc = &ci->fast[i];
  if (fc->state == RT_FC_UNBOUND) {
    fc->state = bp->pred != NULL &&
                        rt_pred_bind(bp->pred, (PyCodeObject *)ci->code, fc->idx) == 0
                    ? RT_FC_FAST
                    : RT_FC_SLOW;
  }
  return fc->state == RT_FC_FAST ? fc->idx : NULL;
}

/* Condition then hit count. True when the breakpoint fires. With `idx`
 * (its simple condition bound to the frame's code) the C predicate decides
 * when it can; Python otherwise. */
static bool rt_bp_passes_idx(rt_bp_t *bp, const int16_t *idx, PyObject *frame) {
  bool ok = true;
  int fast = -1;

  if (bp->cond != NULL && idx != NULL && frame != NULL) {
    PyCodeObject *code = PyFrame_GetCode((PyFrameObject *)frame);
    PyObject *const *locals =
        rt_compat_frame_fastlocals((PyFrameObject *)frame, (PyObject *)code);
    Py_DECREF(code);
    if (locals != NULL) fast = rt_pred_eval(bp->pred, idx, locals);
  }
  if (fast >= 0) {
    ok = fast == 1;
  } else if (bp->cond != NULL) {
    PyObject *globals = PyFrame_GetGlobals((PyFrameObject *)frame);
    PyObject *locals = PyFrame_GetLocals((PyFrameObject *)frame);
    PyObject *r = NULL;
    if (globals != NULL && locals != NULL) {
      r = PyEval_EvalCode(bp->cond, globals, locals);
    }
    Py_XDECREF(globals);
    Py_XDECREF(locals);
    if (r == NULL) {
      char text[512];
      rt_exc_text(text, sizeof text);
      rt_report_cond_error(bp, text);
    } else {
      int t = PyObject_IsTrue(r);
      Py_DECREF(r);
      if (t < 0) {
        char text[512];
        rt_exc_text(text, sizeof text);
        rt_report_cond_error(bp, text);
      } else {
        ok = t == 1;
      }
    }
  } else if (bp->cond_error != NULL) {
    rt_report_cond_error(bp, bp->cond_error);
  }
  if (!ok) return false;
  bp->hits++;
  return rt_hit_ok(bp, bp->hits);
}

static bool rt_bp_passes(rt_bp_t *bp, PyObject *frame) {
  return rt_bp_passes_idx(bp, NULL, frame);
}

static void rt_logpoint(rt_bp_t *bp, PyObject *frame) {
  PyObject *msg = rt_support_call("format_log", "(OO)", bp->log, frame);
  char *text = rt_strdup_py(msg);
  Py_XDECREF(msg);
  PyErr_Clear();
  if (text != NULL) rt_console("%s", text);
  free(text);
}

/* ci->fast for the current generation (cold: once per code object and
 * breakpoint change). False when out of memory. */
static bool rt_fastconds_ready(rt_codeinfo_t *ci, const rt_bpfile_t *bf) {
  if (ci->fast != NULL && ci->fast_n == bf->n) {
    if (ci->fast_gen != rt_engine_gen) {
      memset(ci->fast, 0, (size_t)bf->n * sizeof *ci->fast); /* all unbound */
      ci->fast_gen = rt_engine_gen;
    }
    return true;
  }
  free(ci->fast);
  ci->fast = calloc((size_t)(bf->n > 0 ? bf->n : 1), sizeof *ci->fast);
  ci->fast_n = ci->fast != NULL ? bf->n : 0;
  ci->fast_gen = rt_engine_gen;
  return ci->fast != NULL;
}

bool rt_engine_line_quick(rt_codeinfo_t *ci, int line, PyObject *const *fast) {
  rt_bpfile_t *bf = NULL;
  int counted[16]; /* breakpoints whose hit to count when nothing fires */
  int ncounted = 0;

  if (ci->hidden) return true;
  bf = rt_src_bpfile(ci->src);
  if (bf == NULL) return true;
  if (rt_perf_on && !bf->dead) { /* the overhead report names the line */
    for (int i = 0; i < bf->n; i++) {
      if (bf->bps[i].line == line) bf->bps[i].reached++;
    }
  }
  if (fast == NULL || bf->dead || !rt_fastconds_ready(ci, bf)) return false;
  for (int i = 0; i < bf->n; i++) {
    rt_bp_t *bp = &bf->bps[i];
    int r = 1;
    if (bp->line != line || !bp->verified) continue;
    if (bp->cond != NULL) {
      const int16_t *idx = rt_fastcond_idx(ci, bp, i);
      if (idx == NULL) return false;
      r = rt_pred_eval(bp->pred, idx, fast);
      if (r < 0) return false; /* undecided: Python decides */
    } else if (bp->cond_error != NULL) {
      return false; /* reported (once) by the full evaluation */
    }
    if (r == 0) continue; /* condition false: not a hit */
    if (bp->hit_op == RT_HIT_NONE || rt_hit_ok(bp, bp->hits + 1)) return false;
    if (ncounted == (int)(sizeof counted / sizeof counted[0])) return false;
    counted[ncounted++] = i;
  }
  for (int k = 0; k < ncounted; k++) bf->bps[counted[k]].hits++;
  return true;
}

bool rt_engine_line_hit(rt_thread_t *t, rt_codeinfo_t *ci, PyObject *frame,
                        int line) {
  rt_bpfile_t *bf = rt_src_bpfile(ci->src);
  int ids[32];
  int n = 0;
  bool bound = false;
  rt_compat_exc_t saved;

  if (bf == NULL || ci->hidden) return false;
  bound = rt_fastconds_ready(ci, bf);
  rt_compat_exc_save(&saved);
  rt_tls_in_debugger++;
  bf->busy++;
  for (int i = 0; i < bf->n && !bf->dead; i++) {
    rt_bp_t *bp = &bf->bps[i];
    if (bp->line != line || !bp->verified) continue;
    if (!rt_bp_passes_idx(bp, bound ? rt_fastcond_idx(ci, bp, i) : NULL, frame)) {
      continue;
    }
    if (bp->log != NULL) {
      rt_logpoint(bp, frame);
    } else if (n < (int)(sizeof ids / sizeof ids[0])) {
      ids[n++] = bp->id;
    }
  }
  bf->busy--;
  if (bf->dead && bf->busy == 0) rt_bpfile_free(bf);
  rt_tls_in_debugger--;
  PyErr_Clear();
  rt_compat_exc_restore(&saved);
  if (n == 0) return false;
  rt_stop_report(t, frame, NULL, "breakpoint", ids, n, NULL);
  return true;
}

bool rt_engine_bp_hit(rt_thread_t *t, rt_codeinfo_t *ci, PyObject *frame,
                      int line, int cond_state) {
  rt_bpfile_t *bf = rt_src_bpfile(ci->src);
  rt_bp_t *bp = NULL;
  bool fire = false;
  int id = 0;
  rt_compat_exc_t saved;

  if (bf == NULL || ci->hidden) return false;
  for (int i = 0; i < bf->n; i++) {
    if (bf->bps[i].line == line && bf->bps[i].verified) bp = &bf->bps[i];
  }
  if (bp == NULL) return false;
  id = bp->id;
  if (cond_state == RT_COND_RAISED) {
    /* the inlined condition raised: its exception is being handled */
    PyObject *exc = PyErr_GetHandledException();
    char text[512];
    PyObject *str = exc != NULL ? PyObject_Str(exc) : NULL;
    const char *msg = str != NULL ? PyUnicode_AsUTF8(str) : NULL;
    snprintf(text, sizeof text, "%s: %s",
             exc != NULL ? Py_TYPE(exc)->tp_name : "Exception",
             msg != NULL ? msg : "?");
    Py_XDECREF(str);
    Py_XDECREF(exc);
    PyErr_Clear();
    rt_tls_in_debugger++;
    rt_report_cond_error(bp, text);
    rt_tls_in_debugger--;
  }
  rt_compat_exc_save(&saved);
  rt_tls_in_debugger++;
  bf->busy++;
  if (cond_state == RT_COND_EVAL) {
    fire = rt_bp_passes(bp, frame);
  } else {
    bp->hits++;
    fire = rt_hit_ok(bp, bp->hits);
  }
  if (fire && bp->log != NULL && !bf->dead) {
    rt_logpoint(bp, frame);
    fire = false;
  }
  bf->busy--;
  if (bf->dead && bf->busy == 0) rt_bpfile_free(bf);
  rt_tls_in_debugger--;
  PyErr_Clear();
  rt_compat_exc_restore(&saved);
  if (!fire) return false;
  rt_stop_report(t, frame, NULL, "breakpoint", &id, 1, NULL);
  return true;
}

bool rt_engine_funcbp_hit(rt_thread_t *t, rt_codeinfo_t *ci, PyObject *frame) {
  rt_bp_t *bp = NULL;
  bool fire = false;
  rt_compat_exc_t saved;

  for (int i = 0; i < rt_engine_nfuncbps; i++) {
    if (rt_funcbps[i].id == ci->funcbp_id) bp = &rt_funcbps[i];
  }
  if (bp == NULL) return false;
  rt_compat_exc_save(&saved);
  rt_tls_in_debugger++;
  fire = rt_bp_passes(bp, frame);
  rt_tls_in_debugger--;
  PyErr_Clear();
  rt_compat_exc_restore(&saved);
  if (!fire) return false;
  rt_stop_report(t, frame, NULL, "function breakpoint", &bp->id, 1, NULL);
  return true;
}

bool rt_engine_exception(rt_thread_t *t, const char *kind, PyObject *exc,
                         PyObject *frame, PyObject *tb) {
  PyObject *names = NULL, *res = NULL;
  char *desc = NULL;
  bool match = false;
  rt_compat_exc_t saved;

  if (strcmp(kind, "raised") == 0) names = rt_exc_names[0];
  else if (strcmp(kind, "uncaught") == 0) names = rt_exc_names[1];
  else names = rt_exc_names[2];
  rt_compat_exc_save(&saved);
  rt_tls_in_debugger++;
  res = rt_support_call("exception_matches", "(OO)", exc,
                        names != NULL ? names : Py_None);
  match = res != NULL && PyObject_IsTrue(res) == 1;
  Py_XDECREF(res);
  if (match) {
    res = rt_support_call("describe_exception", "(O)", exc);
    desc = rt_strdup_py(res);
    Py_XDECREF(res);
  }
  rt_tls_in_debugger--;
  PyErr_Clear();
  rt_compat_exc_restore(&saved);
  if (match) rt_stop_report(t, frame, tb, "exception", NULL, 0, desc);
  free(desc);
  return match;
}

void rt_engine_set_main(void) {
  PyObject *main = PyImport_AddModule("__main__"); /* borrowed */
  PyObject *dict = main != NULL ? PyModule_GetDict(main) : NULL;
  if (dict == NULL) {
    PyErr_Clear();
    return;
  }
  Py_INCREF(dict);
  Py_XSETREF(rt_main_dict, dict);
}

bool rt_engine_is_entry_frame(PyObject *frame) {
  PyCodeObject *code = NULL;
  PyObject *globals = NULL;
  bool entry = false;

  if (frame == NULL || rt_main_dict == NULL) return false;
  globals = PyFrame_GetGlobals((PyFrameObject *)frame);
  code = PyFrame_GetCode((PyFrameObject *)frame);
  entry = globals == rt_main_dict &&
          PyUnicode_CompareWithASCIIString(code->co_name, "<module>") == 0;
  Py_XDECREF(globals);
  Py_XDECREF(code);
  return entry;
}

