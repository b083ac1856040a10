/* The breakpoint engine: breakpoint tables, the per-code decision kept in
 * co_extra (rt_codeinfo_t, stale when its generation differs from
 * rt_engine_gen), the per-file registry of code objects seen, hit
 * evaluation (condition, hit count, logpoint) and the breakpoint requests.
 *
 * Tables and codeinfo change only with the GIL held. The hot question "is
 * there a breakpoint on this line of this code" is rt_codeinfo_has_line():
 * a generation compare and a bitmap test, no allocation, no Python. */
#ifndef RT_ENGINE_H
#define RT_ENGINE_H

#include "rt_compat.h"

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "rt_commands.h"
#include "rt_threads.h"

typedef struct rt_srcfile rt_srcfile_t;
typedef struct rt_fastcond rt_fastcond_t;

typedef struct rt_codeinfo {
  struct rt_codeinfo *next, *prev; /* in its srcfile's list */
  PyObject *code;                  /* borrowed: this record dies with it */
  PyObject *modname;               /* strong: __name__ of its globals, or NULL */
  rt_srcfile_t *src;
  unsigned gen;
  bool hidden;       /* the runtime's own code: never stop there */
  bool library;      /* library code (userUnhandled, justMyCode) */
  bool excluded;     /* library by a `rules` entry: steps skip it always */
  int funcbp_id;     /* matching function breakpoint id, 0 = none */
  int funcbp_line;   /* the function's first body line */
  int first;         /* line of bit 0 */
  int nbits;
  uint8_t *bits;     /* breakpoint lines of this code object */
  int armed;         /* backend-private (monitoring: local events set) */
  /* Simple conditions bound to this code's fast locals, one per breakpoint
   * of its file (fast_n), built on first use for generation fast_gen. */
  rt_fastcond_t *fast;
  int fast_n;
  unsigned fast_gen;
} rt_codeinfo_t;

/* Bumped on every breakpoint change. */
extern unsigned rt_engine_gen;
/* Non-zero while at least one function breakpoint is set. */
extern int rt_engine_nfuncbps;
/* Exception filters in force (setExceptionBreakpoints). */
extern bool rt_exc_raised, rt_exc_uncaught, rt_exc_user_unhandled;

/* Requests the co_extra index. GIL held, once at module exec. 0 or -1. */
int rt_engine_init(void);

/* The codeinfo of `code`, created on first sight and refreshed when stale.
 * `globals` (borrowed, may be NULL) names the module for function
 * breakpoints. Never leaves an exception set (the caller's is kept).
 * Returns NULL only when out of memory. GIL held. */
static inline rt_codeinfo_t *rt_engine_codeinfo(PyObject *code, PyObject *globals);

/* Decides again which files (and their code objects) are library code,
 * after `configure` set the `rules`. GIL held. */
void rt_engine_reclassify(void);

/* Calls fn(line, arg) for each line of code's own instructions, in the
 * order of its location table (what co_lines() gives that is not None,
 * repeats included), decoded in C. Stops at fn's first non-zero result and
 * returns it; 0 otherwise. No Python code runs. */
int rt_engine_code_lines(PyObject *code, int (*fn)(int line, void *arg), void *arg);

/* Gets the codeinfo of code and of every code object nested in its
 * constants (functions, classes, lambdas, comprehensions defined in it)
 * and calls fn on each: a module's code objects, all known before it runs. */
void rt_engine_codeinfo_tree(PyObject *code, void (*fn)(rt_codeinfo_t *));

/* Records the module name of a code first seen without its globals (by
 * the exec audit hook) from the globals it runs in: function breakpoints
 * named `module.function` match it then. */
void rt_engine_codeinfo_module(rt_codeinfo_t *ci, PyObject *globals);

/* The codeinfo if one exists (current or not), else NULL (no allocation). */
static inline rt_codeinfo_t *rt_engine_codeinfo_peek(PyObject *code);

/* The co_extra index of the codeinfos (-1 before rt_engine_init), and
 * rt_engine_codeinfo's way when the codeinfo is missing or stale. */
extern Py_ssize_t rt_engine_extra_index;
rt_codeinfo_t *rt_engine_codeinfo_refresh(PyObject *code, PyObject *globals);

static inline rt_codeinfo_t *rt_engine_codeinfo_peek(PyObject *code) {
  return rt_compat_code_extra(code, rt_engine_extra_index);
}

static inline rt_codeinfo_t *rt_engine_codeinfo(PyObject *code, PyObject *globals) {
  rt_codeinfo_t *ci = rt_engine_codeinfo_peek(code);
  if (ci != NULL && ci->gen == rt_engine_gen) return ci;
  return rt_engine_codeinfo_refresh(code, globals);
}

static inline bool rt_codeinfo_has_line(const rt_codeinfo_t *ci, int line) {
  int i = line - ci->first;
  return ci->bits != NULL && i >= 0 && i < ci->nbits &&
         (ci->bits[i >> 3] & (1u << (i & 7))) != 0;
}

/* A line with a breakpoint was reached by thread t in `frame` (borrowed
 * PyFrameObject): evaluates the breakpoints of that line (condition, hit
 * count, logpoint) and stops the thread when one of them says so. Returns
 * true when it stopped. GIL held. */
bool rt_engine_line_hit(rt_thread_t *t, rt_codeinfo_t *ci, PyObject *frame,
                        int line);

/* The quick decision at a breakpoint line, before any frame object exists:
 * `fast` is the running frame's fast locals (localsplus; NULL when the
 * backend cannot read them). Returns true when no breakpoint of `line`
 * fires: each one's condition is a simple one that is false (rt_cond.h),
 * or true with a hit condition that says "not yet" (the hit is counted
 * here). Returns false when rt_stop_line() must evaluate the line (a
 * breakpoint may fire, a condition is not simple or undecided); nothing
 * was counted then. No allocation after the first call per code object
 * and generation, no lock, no Python. GIL held. */
bool rt_engine_line_quick(rt_codeinfo_t *ci, int line, PyObject *const *fast);

/* The breakpoint of `line` of ci's file was reached by instrumented code
 * (the `instrumented` backend's inserted check, which names its line, not
 * the breakpoint's id: ids change at every setBreakpoints, the compiled
 * checks do not) in `frame`: RT_COND_TRUE when
 * its condition was evaluated inline and is true (or it has none),
 * RT_COND_RAISED when the inline condition raised (the exception being
 * handled is reported once; counts as true), RT_COND_EVAL to evaluate the
 * condition here. Then the hit count, logpoint or stop. Returns true when
 * it stopped. GIL held. */
enum { RT_COND_TRUE = 0, RT_COND_RAISED = 1, RT_COND_EVAL = 2 };
/* The inserted check of a line with several breakpoints: the
 * runtime evaluates all of them as at a line event (rt_engine_line_hit),
 * so they make one stop with every id that fires. */
enum { RT_COND_LINE = 3 };
bool rt_engine_bp_hit(rt_thread_t *t, rt_codeinfo_t *ci, PyObject *frame,
                      int line, int cond_state);

/* The function breakpoint of ci fired for a fresh frame: condition, hit
 * count, stop. Returns true when it stopped. */
bool rt_engine_funcbp_hit(rt_thread_t *t, rt_codeinfo_t *ci, PyObject *frame);

/* An exception is being raised (`kind` "raised") or escapes user code
 * ("userUnhandled") in `frame`; or is uncaught (frame NULL, tb given).
 * Applies the filter and stops. GIL held. */
bool rt_engine_exception(rt_thread_t *t, const char *kind, PyObject *exc,
                         PyObject *frame, PyObject *tb);

/* True for the program's entry frame (module code run in __main__'s
 * namespace). */
bool rt_engine_is_entry_frame(PyObject *frame);
/* Remembers __main__'s namespace (GIL held; at configure). */
void rt_engine_set_main(void);

/* Calls fn for every codeinfo of the files whose canonical path is canon
 * (NULL: every file). GIL held. */
void rt_engine_foreach_code(const char *canon, void (*fn)(rt_codeinfo_t *));

/* Request handlers (channel thread, no GIL; rt_commands.h). */
int rt_handle_set_breakpoints(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_set_function_breakpoints(rt_channel_t *ch, const cJSON *req,
                                       cJSON **body);
int rt_handle_set_exception_breakpoints(rt_channel_t *ch, const cJSON *req,
                                        cJSON **body);
int rt_handle_breakpoint_locations(rt_channel_t *ch, const cJSON *req,
                                   cJSON **body);

/* Forgets every breakpoint (channel closed / fork child). GIL held. */
void rt_engine_clear(void);

#endif
