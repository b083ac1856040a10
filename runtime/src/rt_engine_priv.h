/* Internals of the breakpoint engine shared by rt_engine.c (tables, hit
 * evaluation) and rt_breakpoints.c (the breakpoint requests). */
#ifndef RT_ENGINE_PRIV_H
#define RT_ENGINE_PRIV_H

#include "rt_cond.h"
#include "rt_engine.h"

/* ---- breakpoint records ------------------------------------------------ */

typedef enum {
  RT_HIT_NONE = 0,
  RT_HIT_EQ,
  RT_HIT_GT,
  RT_HIT_GE,
  RT_HIT_LT,
  RT_HIT_LE,
  RT_HIT_MOD,
} rt_hit_op_t;

typedef struct {
  int id;
  int line;      /* resolved line (0 = none) */
  bool verified;
  PyObject *cond;      /* strong: compiled condition, or NULL */
  rt_pred_t *pred;     /* the condition as a C predicate, or NULL */
  char *cond_src;      /* malloc'd source of the condition, or NULL */
  char *cond_error;    /* malloc'd compile error, or NULL */
  bool cond_reported;  /* a condition error was shown once */
  rt_hit_op_t hit_op;
  long hit_n;
  long hits;
  PyObject *log;       /* strong: logMessage str, or NULL */
  unsigned long long reached; /* performance_monitoring: line events here (GIL) */
} rt_bp_t;

typedef struct rt_bpfile {
  struct rt_bpfile *next;
  struct rt_bpfile *hnext; /* chain of its rt_bpfile_find bucket */
  char *canon;
  char *client_path;
  int n;
  rt_bp_t *bps;
  int busy;      /* hit evaluations in progress (they may drop the GIL) */
  bool dead;     /* replaced while busy: freed when busy drops to 0 */
  /* Answered without reading the file (rt_lazy.c): the lines are the
   * requested ones until the file's module code runs, then checked against
   * it (a `breakpoint` event for each one that changed). */
  bool lazy;
} rt_bpfile_t;


extern rt_bpfile_t *rt_bpfiles;       /* list, one per file */
extern rt_bp_t *rt_funcbps;           /* rt_engine_nfuncbps of them */
extern PyObject *rt_funcbp_names;     /* tuple of their names, same order */
extern PyObject *rt_exc_names[3];     /* raised, uncaught, userUnhandled */

void rt_bp_clear(rt_bp_t *bp);
/* Frees bf, or marks it dead while a hit evaluation uses it. */
void rt_bpfile_free(rt_bpfile_t *bf);
/* The breakpoints of file canon, or NULL: a hash lookup (a setBreakpoints
 * per file for 1,000 files stays linear). */
rt_bpfile_t *rt_bpfile_find(const char *canon);
/* Adds bf to rt_bpfiles and the index / takes it out of both. GIL held. */
void rt_bpfile_link(rt_bpfile_t *bf);
void rt_bpfile_unlink(rt_bpfile_t *bf);
/* Empties rt_bpfiles and the index, freeing every record. GIL held. */
void rt_bpfile_clear_all(void);
/* The breakpoints of the file named by code's co_filename (NULL: none);
 * makes the file's record on first use. Never raises. */
rt_bpfile_t *rt_engine_code_bpfile(PyObject *code);
/* True when the registry has seen code of file `canon` (a code object
 * registered or module code run while breakpoints were set). GIL held. */
bool rt_engine_src_known(const char *canon);

/* ---- lazy verification (rt_lazy.c) ------------------------------------- */

/* Files answered lazily whose module code has not run yet. GIL held. */
extern int rt_lazy_pending;
/* Counters for the statistics' `cache` (GIL held). */
extern unsigned long long rt_lazy_answered, rt_lazy_checked, rt_lazy_events;

/* Whether setBreakpoints for `path` can be answered without reading the
 * file: a regular file (stat) that no module in sys.modules was loaded
 * from and whose code the registry has not seen. Returns 1 (lazy; *canon
 * set to a new str), 0 (answer exactly; *canon set when found, else NULL),
 * or -1 with an exception set. GIL held. */
int rt_lazy_decide(const char *path, PyObject **canon);

/* The support module's dict `name` ("_module_canon" or "_client_paths"),
 * borrowed, or NULL. GIL held. */
PyObject *rt_lazy_support_dict(const char *name);

/* The exec audit hook: module code about to run. When its file was
 * answered lazily, its breakpoints are checked against the lines of this
 * code tree (moved to the next line with code, or unverified), a
 * `breakpoint` event goes out for each that changed, and the generation
 * bumps so backends arm the resolved lines. Never raises; keeps the
 * caller's exception. GIL held. */
void rt_lazy_code_loaded(PyObject *code);

/* The channel thread answers a setBreakpoints (begin) / has sent the
 * answer (end): `breakpoint` events made meanwhile wait until the answer
 * is out, so a client never sees an event before the response that gave
 * it the breakpoint's id. end sends them (no GIL, channel thread). */
void rt_lazy_answer_begin(void);
void rt_lazy_answer_end(void);

#endif
