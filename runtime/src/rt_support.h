/* The runtime's Python support module (runtime/python/_dapper_support.py),
 * which does the cold work: resolving breakpoint lines, compiling
 * conditions, formatting logpoints, rendering stacks, naming threads.
 *
 * Every function here needs the GIL. Calls into the module run with the
 * calling thread's "inside the debugger" flag set (rt_threads.h), so the
 * module's own code never hits a breakpoint nor parks. */
#ifndef RT_SUPPORT_H
#define RT_SUPPORT_H

#include "rt_compat.h"

#include <cjson/cJSON.h>

/* Remembers the _dapper_runtime module (borrowed reference kept alive by
 * sys.modules and the module state) so the support module can be found
 * next to it. Called from the module's exec function. */
void rt_support_set_module(PyObject *module);

/* The support module, loaded on first use from the runtime's directory.
 * Returns a borrowed reference, or NULL with an exception set. */
PyObject *rt_support(void);

/* Calls support.<name>(args...) where args are given as in
 * Py_BuildValue(fmt, ...) (fmt must produce a tuple, e.g. "(Oi)").
 * Returns a new reference, or NULL with an exception set. */
PyObject *rt_support_call(const char *name, const char *fmt, ...);

/* Sends an event / any message. body and msg are consumed. Call WITH the
 * GIL: it is released while writing. Returns 0 or a negative code. */
int rt_send_event_gil(const char *event, cJSON *body);
int rt_send_gil(cJSON *msg);

/* Sends an `output` event, category console, with the formatted text
 * (a newline is added). GIL held. */
void rt_console(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Returns a malloc'd UTF-8 copy of a str (or "" for non-str), or NULL when
 * out of memory. Never sets an exception. */
char *rt_strdup_py(PyObject *str);

/* The Python value of a JSON item, as json.loads gives it (integral numbers
 * as int); a new reference, or NULL with an exception set. */
PyObject *rt_py_from_json(const cJSON *item);

/* The JSON of a Python value, as json.dumps writes it (dict, list, tuple,
 * str, int, float, bool, None; TypeError for anything else); a new tree
 * the caller owns, or NULL with an exception set. */
cJSON *rt_json_from_py(PyObject *obj);

/* Text of the current exception ("ValueError: bad") into buf; clears it. */
void rt_exc_text(char *buf, size_t size);

#endif
