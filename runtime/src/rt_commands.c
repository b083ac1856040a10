/* See rt_commands.h. To add a request: write rt_handle_<command> (in its own
 * file once it grows past a few lines), add it to rt_commands[] below and to
 * docs/wire-protocol.md. */
#include "rt_commands.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <dapper/errors.h>
#include <dapper/message.h>

#include "rt_backend.h"
#include "rt_engine.h"
#include "rt_inspect.h"
#include "rt_log.h"
#include "rt_stats.h"
#include "rt_stop.h"

/* The message of the next error response (channel thread only). */
static char rt_fail_message[512];

int rt_commands_fail(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(rt_fail_message, sizeof rt_fail_message, fmt, ap);
  va_end(ap);
  return code;
}

void rt_commands_on_close(rt_channel_t *ch) {
  rt_stop_disconnect();
  if (rt_channel_python_allowed(ch)) {
    PyGILState_STATE gil = PyGILState_Ensure();
    rt_backend_uninstall();
    PyGILState_Release(gil);
  }
}

/* `start`: the adapter has the client's configuration; let the program's
 * first line run. A second start is answered with success and does nothing. */
static int rt_handle_start(rt_channel_t *ch, const cJSON *request,
                           cJSON **body) {
  if (!rt_channel_mark_started(ch)) rt_log(RT_LOG_INFO, "start: already started");
  return 0;
}

static const rt_command_t rt_commands[] = {
    {"start", rt_handle_start},
    {"configure", rt_handle_configure_all},
    {"setBreakpoints", rt_handle_set_breakpoints},
    {"setFunctionBreakpoints", rt_handle_set_function_breakpoints},
    {"setExceptionBreakpoints", rt_handle_set_exception_breakpoints},
    {"breakpointLocations", rt_handle_breakpoint_locations},
    {"threads", rt_handle_threads},
    {"stackTrace", rt_handle_stack_trace},
    {"continue", rt_handle_continue},
    {"next", rt_handle_next},
    {"stepIn", rt_handle_step_in},
    {"stepOut", rt_handle_step_out},
    {"pause", rt_handle_pause},
    {"scopes", rt_handle_scopes},
    {"variables", rt_handle_by_ref},
    {"setVariable", rt_handle_by_ref},
    {"evaluate", rt_handle_by_frame},
    {"setExpression", rt_handle_by_frame},
    {"completions", rt_handle_by_frame},
    {"exceptionInfo", rt_handle_exception_info},
    {"source", rt_handle_channel_gil},
    {"loadedSources", rt_handle_channel_gil},
    {"modules", rt_handle_channel_gil},
    {"cancel", rt_handle_cancel},
    {"statistics", rt_handle_statistics},
};

static const rt_command_t *rt_commands_find(const char *command) {
  for (size_t i = 0; i < sizeof rt_commands / sizeof rt_commands[0]; i++) {
    if (strcmp(rt_commands[i].command, command) == 0) return &rt_commands[i];
  }
  return NULL;
}

void rt_commands_dispatch(rt_channel_t *ch, const cJSON *request) {
  const cJSON *seq_item = cJSON_GetObjectItemCaseSensitive(request, "seq");
  const cJSON *cmd_item = cJSON_GetObjectItemCaseSensitive(request, "command");
  /* dap_msg_parse guarantees an integer seq and a string command. */
  long long seq = (long long)cJSON_GetNumberValue(seq_item);
  const char *command = cJSON_GetStringValue(cmd_item);
  const rt_command_t *entry = rt_commands_find(command);
  cJSON *body = NULL;
  cJSON *reply = NULL;
  int rc = 0;

  if (entry == NULL) {
    rt_log(RT_LOG_INFO, "unknown command '%s'", command);
    reply = dap_msg_error_response(seq, command, DAPPER_EUNKNOWN,
                                   "unknown command '%s'", command);
  } else {
    rt_fail_message[0] = '\0';
    rc = entry->handler(ch, request, &body);
    if (rc == RT_DEFERRED) return; /* answered by the thread it went to */
    if (rc == 0) {
      reply = dap_msg_response(request, body); /* consumes body */
    } else {
      cJSON_Delete(body);
      const char *text = dapper_strerror(rc);
      if (rt_fail_message[0] != '\0') {
        reply = dap_msg_error_response(seq, command, rc, "%s", rt_fail_message);
      } else {
        reply = dap_msg_error_response(seq, command, rc, "%s failed: %s",
                                       command, text != NULL ? text : "error");
      }
    }
  }
  if (reply == NULL) {
    rt_log(RT_LOG_ERROR, "out of memory answering '%s'", command);
    return;
  }
  rc = rt_channel_send(ch, reply);
  if (rc != 0) rt_log(RT_LOG_INFO, "could not answer '%s' (%d)", command, rc);
}
