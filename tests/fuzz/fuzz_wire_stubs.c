/* Stand-ins for the runtime's command handlers, which need Python. Each
 * answers like a real handler can, chosen by the request's seq: success
 * with a body, success without one, an error with a message
 * (rt_commands_fail), an error without one, or deferred. */
#include <dapper/errors.h>

#include "rt_commands.h"

static int stub(const cJSON *req, cJSON **body) {
  long long seq = (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(req, "seq"));
  const cJSON *args = cJSON_GetObjectItemCaseSensitive(req, "arguments");
  switch (seq % 5) {
  case 0:
    *body = cJSON_CreateObject();
    if (*body != NULL && cJSON_IsObject(args))
      cJSON_AddItemToObject(*body, "echo", cJSON_Duplicate(args, 1));
    return 0;
  case 1:
    return 0;
  case 2:
    return rt_commands_fail(DAPPER_ERUNTIME, "no Python in the fuzzer (%s)",
                            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "command")));
  case 3:
    return DAPPER_ENOTSUP;
  default:
    return RT_DEFERRED;
  }
}

#define STUB(name)                                                                                \
  int name(rt_channel_t *ch, const cJSON *req, cJSON **body) { return stub(req, body); }

STUB(rt_handle_start)
STUB(rt_handle_client)
STUB(rt_handle_configure_all)
STUB(rt_handle_set_breakpoints)
STUB(rt_handle_set_function_breakpoints)
STUB(rt_handle_set_exception_breakpoints)
STUB(rt_handle_breakpoint_locations)
STUB(rt_handle_threads)
STUB(rt_handle_stack_trace)
STUB(rt_handle_continue)
STUB(rt_handle_next)
STUB(rt_handle_step_in)
STUB(rt_handle_step_out)
STUB(rt_handle_goto)
STUB(rt_handle_goto_targets)
STUB(rt_handle_pause)
STUB(rt_handle_scopes)
STUB(rt_handle_by_ref)
STUB(rt_handle_by_frame)
STUB(rt_handle_exception_info)
STUB(rt_handle_channel_gil)
STUB(rt_handle_cancel)
STUB(rt_handle_statistics)
