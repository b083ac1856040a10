/* The runtime's command table: requests the adapter sends over the wire
 * (docs/wire-protocol.md), one handler each.
 *
 * A handler runs on the channel thread WITHOUT the GIL; one that needs Python
 * objects takes the GIL itself through rt_python_enter() (rt_threads.h) and
 * answers rt_commands_exiting() when that refuses. It
 * returns 0 and may set *body (a cJSON object the dispatcher puts in the
 * success response), or returns a negative DAPPER_E* code that the
 * dispatcher turns into the error response (body.error.id = the code).
 * No handler builds response JSON by hand. */
#ifndef RT_COMMANDS_H
#define RT_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "rt_channel.h"

typedef int (*rt_handler_fn)(rt_channel_t *ch, const cJSON *request,
                             cJSON **body);

typedef struct {
  const char *command; /* the request's "command" */
  rt_handler_fn handler;
} rt_command_t;

/* A handler's return value meaning "the response is sent later by another
 * thread" (a request queued to a stopped thread): the dispatcher sends
 * nothing. */
#define RT_DEFERRED 1

/* Sets the message of the error response the dispatcher sends for the
 * handler's negative return value, and returns code. Channel thread only. */
int rt_commands_fail(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The answer to a request that needs Python once the program is exiting
 * (rt_python_enter refused): DAPPER_ERUNTIME with RT_EXITING_TEXT. Channel
 * thread only (other threads send an error response with that text). */
#define RT_EXITING_TEXT "the program is exiting: the debugger no longer runs Python in it"
int rt_commands_exiting(void);

/* The integer argument `name` of request (its "arguments"): 0 with *out
 * set (out may be NULL); 1 when absent or null and not required; else the
 * error code, with the message "<name> must be an integer" (wrong type) or
 * "<name> is required" (absent and required). Channel thread only. */
int rt_commands_int_arg(const cJSON *req, const char *name, bool required,
                        long long *out);

/* The channel closed: release stopped threads, remove the hooks. Called by
 * the channel thread on its way out. */
void rt_commands_on_close(rt_channel_t *ch);

/* Looks up request's command (request is borrowed), runs its handler and
 * sends the response: success with the handler's body, or an error response
 * ("unknown command 'x'" when it is not in the table). */
void rt_commands_dispatch(rt_channel_t *ch, const cJSON *request);

/* The table (rt_command_table.c, pure C) and the handlers it names, defined
 * in the files that need Python (their headers declare them too). */
extern const rt_command_t rt_command_table[];
extern const size_t rt_command_count;

int rt_handle_start(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_client(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_configure_all(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_set_breakpoints(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_set_function_breakpoints(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_set_exception_breakpoints(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_breakpoint_locations(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_threads(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_stack_trace(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_continue(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_next(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_step_in(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_step_out(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_pause(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_goto(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_goto_targets(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_scopes(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_by_ref(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_by_frame(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_exception_info(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_channel_gil(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_cancel(rt_channel_t *ch, const cJSON *req, cJSON **body);
int rt_handle_statistics(rt_channel_t *ch, const cJSON *req, cJSON **body);

#endif
