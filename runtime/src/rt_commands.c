/* See rt_commands.h. To add a request: write rt_handle_<command> (in its own
 * file once it grows past a few lines), add it to rt_command_table.c and to
 * docs/wire-protocol.md. */
#include "rt_commands.h"

#include <stdbool.h>
#include <string.h>

#include <dapper/errors.h>
#include <dapper/message.h>

#include "rt_backend.h"
#include "rt_engine.h"
#include "rt_engine_priv.h"
#include "rt_inspect.h"
#include "rt_log.h"
#include "rt_stats.h"
#include "rt_stop.h"
#include "rt_wire.h"

void rt_commands_on_close(rt_channel_t *ch) {
  PyGILState_STATE gil;
  (void)ch;
  rt_stop_disconnect();
  if (rt_python_enter(&gil)) {
    rt_backend_uninstall();
    /* Nothing of this session is left for the next one (attach again to
     * a running process): no breakpoint, no exception filter. */
    rt_engine_clear();
    rt_python_leave(gil);
  }
}

/* `start`: the adapter has the client's configuration; let the program's
 * first line run. A second start is answered with success and does nothing. */
int rt_handle_start(rt_channel_t *ch, const cJSON *request, cJSON **body) {
  if (!rt_channel_mark_started(ch)) rt_log(RT_LOG_INFO, "start: already started");
  else rt_stats_started();
  return 0;
}

/* `client` {attached}: a client finished attaching (true) or detached
 * (false); dapper.is_client_connected() and wait_for_client() read it. */
int rt_handle_client(rt_channel_t *ch, const cJSON *request, cJSON **body) {
  const cJSON *args = cJSON_GetObjectItemCaseSensitive(request, "arguments");
  bool attached = false;
  if (dap_get_bool(args, "attached", &attached) != 0)
    return rt_commands_fail(DAPPER_EINVAL, "client: \"attached\" must be a boolean");
  rt_channel_set_client(ch, attached);
  return 0;
}

void rt_commands_dispatch(rt_channel_t *ch, const cJSON *request) {
  const char *command =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(request, "command"));
  bool deferred = false;
  /* `breakpoint` events of files loading meanwhile follow the answer */
  bool setbp = command != NULL && strcmp(command, "setBreakpoints") == 0;
  cJSON *reply = NULL;
  int rc = 0;

  if (setbp) rt_lazy_answer_begin();
  reply = rt_wire_run(rt_command_table, rt_command_count, ch, request, &deferred);
  if (deferred) {
    if (setbp) rt_lazy_answer_end();
    return; /* answered by the thread it went to */
  }
  if (reply == NULL) {
    rt_log(RT_LOG_ERROR, "out of memory answering '%s'", command);
  } else {
    if (rt_wire_find(rt_command_table, rt_command_count, command) == NULL)
      rt_log(RT_LOG_INFO, "unknown command '%s'", command);
    rc = rt_channel_send(ch, reply);
    if (rc != 0) rt_log(RT_LOG_INFO, "could not answer '%s' (%d)", command, rc);
  }
  if (setbp) rt_lazy_answer_end();
}
