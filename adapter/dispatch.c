#include <string.h>

#include "handlers.h"

const dap_handler_t dap_handlers[] = {
    {"initialize", dap_handle_initialize, 0, NULL},
    {"launch", dap_handle_launch, DAP_H_NEEDS_INIT, NULL},
    {"configurationDone", dap_handle_configurationDone, DAP_H_NEEDS_INIT,
     "supportsConfigurationDoneRequest"},
    {"disconnect", dap_handle_disconnect, 0, NULL},
    {"terminate", dap_handle_terminate, DAP_H_NEEDS_INIT, "supportsTerminateRequest"},
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
  return caps;
}
