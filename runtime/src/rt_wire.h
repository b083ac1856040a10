/* The runtime's wire handling that needs no Python: decoding a body as the
 * channel thread receives it, and running a request through a command
 * table (lookup, handler, reply). rt_channel.c and rt_commands.c use it;
 * tests/fuzz links it (with rt_command_table.c and stub handlers) without
 * libpython. No logging here: callers log. */
#ifndef RT_WIRE_H
#define RT_WIRE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>
#include <dapper/message.h>

#include "rt_commands.h"

/* Decodes one message body. Returns the request (caller owns it) when the
 * body is a valid request. Otherwise returns NULL and sets *reply to the
 * error response to send for an invalid message that had a seq (caller
 * owns it), or to NULL when there is nothing to answer (no seq, out of
 * memory, or a valid response/event, which the runtime ignores; *kind
 * tells which). err is always filled in (err->reason is "" for a valid
 * message). */
cJSON *rt_wire_decode(const char *body, size_t len, dap_msg_kind_t *kind, cJSON **reply,
                      dap_parse_error_t *err);

/* The entry of table (n entries) for command, or NULL. */
const rt_command_t *rt_wire_find(const rt_command_t *table, size_t n, const char *command);

/* Looks up request's command (request is borrowed; it must come from
 * rt_wire_decode), runs its handler and returns the reply to send: success
 * with the handler's body, or an error response ("unknown command 'x'"
 * when it is not in the table). Returns NULL with *deferred true when the
 * handler answers later (RT_DEFERRED), NULL with *deferred false when out
 * of memory. */
cJSON *rt_wire_run(const rt_command_t *table, size_t n, rt_channel_t *ch, const cJSON *request,
                   bool *deferred);

#endif
