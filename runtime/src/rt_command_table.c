/* The runtime's command table (rt_commands.h): the requests the adapter
 * sends over the wire and their handlers. Pure C, no Python headers, so
 * tests/fuzz can link the real table with stub handlers. */
#include "rt_commands.h"

const rt_command_t rt_command_table[] = {
    {"start", rt_handle_start},
    {"client", rt_handle_client},
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
    {"goto", rt_handle_goto},
    {"gotoTargets", rt_handle_goto_targets},
    {"stepInTargets", rt_handle_scopes}, /* routed by frameId, like scopes */
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

const size_t rt_command_count = sizeof rt_command_table / sizeof rt_command_table[0];
