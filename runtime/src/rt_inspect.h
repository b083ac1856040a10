/* Inspection requests (docs/runtime.md, "Inspection"): scopes, variables,
 * evaluate, setVariable, setExpression, completions, exceptionInfo,
 * source, loadedSources, modules, and the wire's `cancel`.
 *
 * The Python work is in runtime/python/_dapper_inspect.py. Requests that
 * carry a frame id or a variablesReference go to the stopped thread that
 * made that id (ids come from rt_ids_new and are forgotten when the thread
 * resumes); `evaluate`/`completions`/`setExpression` without a frame go to
 * a stopped thread when there is one, else to a short-lived worker thread
 * that takes the GIL while the program runs. `source`, `loadedSources` and
 * `modules` run no user code and are answered on the channel thread with
 * the GIL. */
#ifndef RT_INSPECT_H
#define RT_INSPECT_H

#include "rt_compat.h"

#include <stdatomic.h>
#include <stdbool.h>

#include <cjson/cJSON.h>

#include "rt_channel.h"

/* Frame ids and variablesReferences: a new id owned by thread_id (any
 * thread, GIL or not). 0 when out of memory. */
long long rt_ids_new(int thread_id);
/* The thread that owns id, or 0 when the id is unknown or was released. */
int rt_ids_lookup(long long id);
/* Forgets every id of thread_id (it resumed). */
void rt_ids_release(int thread_id);

/* `configure` (showReturnValue, ...) then the backend's configure. */
extern bool rt_show_return_value;
int rt_handle_configure_all(rt_channel_t *ch, const cJSON *req, cJSON **body);

/* The atexit hook, after rt_python_close: abandons the evaluation the
 * worker runs (its loops see _cancelled() and end). */
void rt_inspect_at_exit(void);

/* The flag Python's _rt._cancelled() reads on this thread: set when the
 * adapter gave up on (cancelled or timed out) the request it is running. */
extern RT_TLS atomic_bool *rt_tls_cancel;

/* Python functions of the module used by the support module:
 * _new_id(thread), _cancelled(), _locals_to_fast(frame). */
extern PyMethodDef rt_inspect_methods[];

int rt_handle_scopes(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_by_ref(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_by_frame(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_exception_info(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_channel_gil(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_cancel(rt_channel_t *ch, const cJSON *req, cJSON **body);

#endif
