/* Simple breakpoint conditions as C predicates (DESIGN §3, research/
 * runtime.md §5).
 *
 * A condition of the form `name <op> constant` (op: == != < <= > >= is,
 * is not; chained comparisons and `and` of those), with int, float, str,
 * bool or None constants, is parsed once by the support module
 * (`parse_condition`, Python's ast) into a predicate: a list of terms all of
 * which must hold. Per code object the names are bound to fast-local indexes
 * (rt_pred_bind); at a line event the predicate reads the frame's fast
 * locals directly: no frame object, no Python call, no allocation.
 *
 * Evaluation answers true, false or "undecided" for values it does not
 * handle exactly as Python would (an unbound local, a type other than exact
 * int/bool/float/str/None, an int too large for a C long long, an int
 * compared with a float beyond 2**53, an ordering that would raise): then
 * the compiled Python condition decides, for that evaluation only. */
#ifndef RT_COND_H
#define RT_COND_H

#include "rt_compat.h"

#include <stdint.h>

/* At most this many terms; longer conditions stay Python. */
#define RT_PRED_MAX 8

typedef struct rt_pred rt_pred_t;

/* Builds a predicate from the support module's description: a tuple of
 * (name: str, op: int, constant) triples, op as in _dapper_support
 * (0 ==, 1 !=, 2 <, 3 <=, 4 >, 5 >=, 6 is, 7 is not). Returns NULL without
 * an exception when `desc` is None or not a description it accepts, or
 * when out of memory. GIL held. Free with rt_pred_free. */
rt_pred_t *rt_pred_new(PyObject *desc);

/* Frees p (NULL is fine). GIL held (drops references). */
void rt_pred_free(rt_pred_t *p);

/* Finds each term's name among the plain fast locals of `code` (not cells,
 * free or hidden comprehension variables) and stores its localsplus index
 * in idx[0..RT_PRED_MAX). Returns 0, or -1 when a name is not one (the
 * condition then always goes to Python in that code). No exception set. */
int rt_pred_bind(const rt_pred_t *p, PyCodeObject *code, int16_t *idx);

/* Evaluates p over `fast` (a frame's localsplus) with idx from
 * rt_pred_bind: 1 true, 0 false, -1 undecided (evaluate the Python
 * condition instead). Never calls Python, never allocates, never sets an
 * exception. */
int rt_pred_eval(const rt_pred_t *p, const int16_t *idx, PyObject *const *fast);

#endif
