/* See rt_wire.h. Pure C: cJSON and the protocol library, no Python. */
#include "rt_wire.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <dapper/errors.h>
#include <dapper/message.h>

/* The message of the next error response (channel thread only). */
static char rt_fail_message[512];

int rt_commands_fail(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(rt_fail_message, sizeof rt_fail_message, fmt, ap);
  va_end(ap);
  return code;
}

int rt_commands_exiting(void) { return rt_commands_fail(DAPPER_ERUNTIME, "%s", RT_EXITING_TEXT); }

int rt_commands_int_arg(const cJSON *req, const char *name, bool required,
                        long long *out) {
  const cJSON *args = cJSON_GetObjectItemCaseSensitive(req, "arguments");
  int rc = dap_get_int(args, name, out);
  if (rc < 0) return rt_commands_fail(DAPPER_EINVAL, "%s must be an integer", name);
  if (rc > 0 && required) return rt_commands_fail(DAPPER_EINVAL, "%s is required", name);
  return rc;
}

cJSON *rt_wire_decode(const char *body, size_t len, dap_msg_kind_t *kind, cJSON **reply,
                      dap_parse_error_t *err) {
  cJSON *msg = NULL;

  *reply = NULL;
  *kind = DAP_MSG_EVENT;
  memset(err, 0, sizeof *err);
  if (dap_msg_parse(body, len, &msg, kind, err) != 0) {
    if (err->reason[0] == '\0') snprintf(err->reason, sizeof err->reason, "invalid message");
    if (err->seq >= 0) {
      *reply = dap_msg_error_response(err->seq, err->command, DAPPER_EINVAL,
                                      "invalid message: %s", err->reason);
    }
    return NULL;
  }
  if (*kind != DAP_MSG_REQUEST) {
    cJSON_Delete(msg);
    return NULL;
  }
  return msg;
}

const rt_command_t *rt_wire_find(const rt_command_t *table, size_t n, const char *command) {
  for (size_t i = 0; i < n; i++) {
    if (strcmp(table[i].command, command) == 0) return &table[i];
  }
  return NULL;
}

cJSON *rt_wire_run(const rt_command_t *table, size_t n, rt_channel_t *ch, const cJSON *request,
                   bool *deferred) {
  const cJSON *seq_item = cJSON_GetObjectItemCaseSensitive(request, "seq");
  const cJSON *cmd_item = cJSON_GetObjectItemCaseSensitive(request, "command");
  /* dap_msg_parse guarantees an integer seq and a string command. */
  long long seq = (long long)cJSON_GetNumberValue(seq_item);
  const char *command = cJSON_GetStringValue(cmd_item);
  const rt_command_t *entry = rt_wire_find(table, n, command);
  cJSON *body = NULL;
  int rc = 0;

  *deferred = false;
  if (entry == NULL) {
    return dap_msg_error_response(seq, command, DAPPER_EUNKNOWN, "unknown command '%s'",
                                  command);
  }
  rt_fail_message[0] = '\0';
  rc = entry->handler(ch, request, &body);
  if (rc == RT_DEFERRED) {
    cJSON_Delete(body);
    *deferred = true;
    return NULL; /* answered by the thread it went to */
  }
  if (rc == 0) return dap_msg_response(request, body); /* consumes body */
  cJSON_Delete(body);
  if (rt_fail_message[0] != '\0')
    return dap_msg_error_response(seq, command, rc, "%s", rt_fail_message);
  const char *text = dapper_strerror(rc);
  return dap_msg_error_response(seq, command, rc, "%s failed: %s", command,
                                text != NULL ? text : "error");
}
