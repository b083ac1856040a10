#include <string.h>

#include "handlers.h"

const dap_handler_t dap_handlers[] = {
    {"initialize", dap_handle_initialize, 0, NULL},
    {"launch", dap_handle_launch, DAP_H_NEEDS_INIT, NULL},
    {"attach", dap_handle_attach, DAP_H_NEEDS_INIT, NULL},
    {"configurationDone", dap_handle_configurationDone, DAP_H_NEEDS_INIT,
     "supportsConfigurationDoneRequest"},
    {"disconnect", dap_handle_disconnect, 0, NULL},
    {"terminate", dap_handle_terminate, DAP_H_NEEDS_INIT, "supportsTerminateRequest"},
    {"restart", dap_handle_restart, DAP_H_NEEDS_INIT, "supportsRestartRequest"},
    {"setBreakpoints", dap_handle_setBreakpoints, DAP_H_NEEDS_INIT, NULL},
    {"setFunctionBreakpoints", dap_handle_setFunctionBreakpoints, DAP_H_NEEDS_INIT,
     "supportsFunctionBreakpoints"},
    {"setExceptionBreakpoints", dap_handle_setExceptionBreakpoints, DAP_H_NEEDS_INIT, NULL},
    {"breakpointLocations", dap_handle_breakpointLocations, DAP_H_NEEDS_INIT,
     "supportsBreakpointLocationsRequest"},
    {"threads", dap_handle_threads, DAP_H_NEEDS_INIT, NULL},
    {"stackTrace", dap_handle_forward_timed, DAP_H_NEEDS_INIT,
     "supportsDelayedStackTraceLoading"},
    {"continue", dap_handle_forward, DAP_H_NEEDS_INIT, NULL},
    {"next", dap_handle_forward, DAP_H_NEEDS_INIT, NULL},
    {"stepIn", dap_handle_forward, DAP_H_NEEDS_INIT, NULL},
    {"stepOut", dap_handle_forward, DAP_H_NEEDS_INIT, NULL},
    {"pause", dap_handle_forward, DAP_H_NEEDS_INIT, NULL},
    /* Jump to a line, step into one call (docs/runtime.md): in the stopped
     * thread. */
    {"gotoTargets", dap_handle_forward, DAP_H_NEEDS_INIT, "supportsGotoTargetsRequest"},
    {"goto", dap_handle_forward, DAP_H_NEEDS_INIT, NULL},
    {"stepInTargets", dap_handle_forward, DAP_H_NEEDS_INIT, "supportsStepInTargetsRequest"},
    /* Inspection (docs/runtime.md): run in the stopped thread, timed. */
    {"scopes", dap_handle_forward_timed, DAP_H_NEEDS_INIT, NULL},
    {"variables", dap_handle_forward_timed, DAP_H_NEEDS_INIT, NULL},
    {"evaluate", dap_handle_forward_timed, DAP_H_NEEDS_INIT, "supportsEvaluateForHovers"},
    {"setVariable", dap_handle_forward_timed, DAP_H_NEEDS_INIT, "supportsSetVariable"},
    {"setExpression", dap_handle_forward_timed, DAP_H_NEEDS_INIT, "supportsSetExpression"},
    {"completions", dap_handle_forward_timed, DAP_H_NEEDS_INIT, "supportsCompletionsRequest"},
    {"exceptionInfo", dap_handle_forward_timed, DAP_H_NEEDS_INIT,
     "supportsExceptionInfoRequest"},
    {"source", dap_handle_forward_timed, DAP_H_NEEDS_INIT, NULL},
    {"loadedSources", dap_handle_forward_timed, DAP_H_NEEDS_INIT,
     "supportsLoadedSourcesRequest"},
    {"modules", dap_handle_forward_timed, DAP_H_NEEDS_INIT, "supportsModulesRequest"},
    {"cancel", dap_handle_cancel, DAP_H_NEEDS_INIT, "supportsCancelRequest"},
    {"dapper/statistics", dap_handle_statistics, DAP_H_NEEDS_INIT, NULL},
    {NULL, NULL, 0, NULL},
};

const dap_handler_t *dap_find_handler(const char *command) {
  for (const dap_handler_t *h = dap_handlers; h->command != NULL; h++) {
    if (strcmp(h->command, command) == 0)
      return h;
  }
  return NULL;
}

cJSON *dap_capabilities(void) {
  cJSON *caps = cJSON_CreateObject();
  if (caps == NULL)
    return NULL;
  for (const dap_handler_t *h = dap_handlers; h->command != NULL; h++) {
    if (h->capability != NULL)
      cJSON_AddTrueToObject(caps, h->capability);
  }
  /* What disconnect honours. */
  cJSON_AddTrueToObject(caps, "supportTerminateDebuggee");
  /* What the runtime's breakpoint engine does (docs/wire-protocol.md). */
  cJSON_AddTrueToObject(caps, "supportsConditionalBreakpoints");
  cJSON_AddTrueToObject(caps, "supportsHitConditionalBreakpoints");
  cJSON_AddTrueToObject(caps, "supportsLogPoints");
  cJSON_AddTrueToObject(caps, "supportsExceptionFilterOptions");
  cJSON_AddTrueToObject(caps, "supportsSingleThreadExecutionRequests");
  /* What the runtime's inspection does (docs/runtime.md, "Inspection"). */
  cJSON_AddTrueToObject(caps, "supportsValueFormattingOptions");
  cJSON_AddTrueToObject(caps, "supportsClipboardContext");
  cJSON_AddItemToObject(caps, "exceptionBreakpointFilters", dap_exception_filters());
  return caps;
}
