/* The dispatch table: every request the adapter serves, its handler, its
 * preconditions and the capability it advertises in `initialize`.
 * Adding a request: docs/adding-a-request.md. */
#ifndef DAPPER_ADAPTER_HANDLERS_H
#define DAPPER_ADAPTER_HANDLERS_H

#include <cjson/cJSON.h>

#include "session_internal.h"

/* A handler gets the request (borrowed; cJSON_Duplicate it to answer
 * later) and its arguments (borrowed, an object or NULL). It returns 0 and
 * sets *body (may stay NULL) for a success response, DAP_DEFERRED when it
 * will answer with dap_session_respond*, or a negative code after
 * dap_session_error for an error response. */
typedef int (*dap_handler_fn)(dap_session_t *s, const cJSON *req, const cJSON *args,
                              cJSON **body);

enum {
  DAP_H_NEEDS_INIT = 1u << 0, /* only after initialize */
};

typedef struct {
  const char *command;
  dap_handler_fn fn;
  unsigned flags;
  const char *capability; /* "supportsXRequest" set true in initialize, or NULL */
} dap_handler_t;

/* The table, sorted by nothing in particular; terminated by {NULL}. */
extern const dap_handler_t dap_handlers[];

const dap_handler_t *dap_find_handler(const char *command);

/* Capabilities derived from the table (the initialize response body). */
cJSON *dap_capabilities(void);

int dap_handle_initialize(dap_session_t *s, const cJSON *req, const cJSON *args, cJSON **body);
int dap_handle_launch(dap_session_t *s, const cJSON *req, const cJSON *args, cJSON **body);
int dap_handle_attach(dap_session_t *s, const cJSON *req, const cJSON *args, cJSON **body);
int dap_handle_configurationDone(dap_session_t *s, const cJSON *req, const cJSON *args,
                                 cJSON **body);
int dap_handle_disconnect(dap_session_t *s, const cJSON *req, const cJSON *args, cJSON **body);
int dap_handle_terminate(dap_session_t *s, const cJSON *req, const cJSON *args, cJSON **body);
int dap_handle_restart(dap_session_t *s, const cJSON *req, const cJSON *args, cJSON **body);

/* breakpoints.c */
int dap_handle_setBreakpoints(dap_session_t *s, const cJSON *req, const cJSON *args,
                              cJSON **body);
int dap_handle_setFunctionBreakpoints(dap_session_t *s, const cJSON *req, const cJSON *args,
                                      cJSON **body);
int dap_handle_setExceptionBreakpoints(dap_session_t *s, const cJSON *req, const cJSON *args,
                                       cJSON **body);
int dap_handle_breakpointLocations(dap_session_t *s, const cJSON *req, const cJSON *args,
                                   cJSON **body);
/* The exceptionBreakpointFilters of the initialize response. */
cJSON *dap_exception_filters(void);

/* forward.c: requests the runtime answers as they are. */
int dap_handle_forward(dap_session_t *s, const cJSON *req, const cJSON *args, cJSON **body);
int dap_handle_statistics(dap_session_t *s, const cJSON *req, const cJSON *args,
                          cJSON **body);
/* Forwarded with the evaluateTimeout budget (answered by the adapter when
 * it runs out). */
int dap_handle_forward_timed(dap_session_t *s, const cJSON *req, const cJSON *args,
                             cJSON **body);
int dap_handle_cancel(dap_session_t *s, const cJSON *req, const cJSON *args, cJSON **body);
int dap_handle_threads(dap_session_t *s, const cJSON *req, const cJSON *args, cJSON **body);

#endif
