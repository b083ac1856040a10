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
  char *canon;
  char *client_path;
  int n;
  rt_bp_t *bps;
  int busy;      /* hit evaluations in progress (they may drop the GIL) */
  bool dead;     /* replaced while busy: freed when busy drops to 0 */
} rt_bpfile_t;


extern rt_bpfile_t *rt_bpfiles;       /* list, one per file */
extern rt_bp_t *rt_funcbps;           /* rt_engine_nfuncbps of them */
extern PyObject *rt_funcbp_names;     /* tuple of their names, same order */
extern PyObject *rt_exc_names[3];     /* raised, uncaught, userUnhandled */

void rt_bp_clear(rt_bp_t *bp);
/* Frees bf, or marks it dead while a hit evaluation uses it. */
void rt_bpfile_free(rt_bpfile_t *bf);
rt_bpfile_t *rt_bpfile_find(const char *canon);
/* The breakpoints of the file named by code's co_filename (NULL: none);
 * makes the file's record on first use. Never raises. */
rt_bpfile_t *rt_engine_code_bpfile(PyObject *code);

#endif
