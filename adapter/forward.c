/* Requests the runtime answers: forwarding them over the wire, matching the
 * answers to what waits for them, relaying the runtime's events. */
#include <stdlib.h>
#include <string.h>

#include "dapper/errors.h"
#include "handlers.h"
#include "log.h"

int dap_forward(dap_session_t *s, const char *command, cJSON *args, dap_pending_kind_t kind,
                const cJSON *client_req) {
  if (s->debuggee == NULL || !s->runtime_ready) {
    cJSON_Delete(args);
    return DAPPER_ERUNTIME;
  }
  dap_pending_t *p = calloc(1, sizeof(*p));
  if (p == NULL) {
    cJSON_Delete(args);
    return DAPPER_ENOMEM;
  }
  p->kind = kind;
  if (client_req != NULL && (p->client_req = cJSON_Duplicate(client_req, 1)) == NULL) {
    free(p);
    cJSON_Delete(args);
    return DAPPER_ENOMEM;
  }
  cJSON *req = dap_msg_request(command, args);
  if (req == NULL) {
    cJSON_Delete(p->client_req);
    free(p);
    return DAPPER_ENOMEM;
  }
  int rc = dap_debuggee_send(s->debuggee, req, &p->wire_seq);
  if (rc != 0) {
    cJSON_Delete(p->client_req);
    free(p);
    return DAPPER_ERUNTIME;
  }
  p->next = s->pending;
  s->pending = p;
  return 0;
}

static dap_pending_t *take_pending(dap_session_t *s, long long seq) {
  for (dap_pending_t **pp = &s->pending; *pp != NULL; pp = &(*pp)->next) {
    if ((*pp)->wire_seq == seq) {
      dap_pending_t *p = *pp;
      *pp = p->next;
      return p;
    }
  }
  return NULL;
}

static void replay_result(dap_session_t *s, const cJSON *body) {
  const cJSON *bps = cJSON_GetObjectItemCaseSensitive(body, "breakpoints");
  const cJSON *bp;
  cJSON_ArrayForEach(bp, bps) {
    if (!cJSON_IsObject(bp) || cJSON_GetObjectItemCaseSensitive(bp, "id") == NULL)
      continue;
    cJSON *ev = cJSON_CreateObject();
    if (ev == NULL)
      return;
    cJSON_AddStringToObject(ev, "reason", "changed");
    cJSON_AddItemToObject(ev, "breakpoint", cJSON_Duplicate(bp, 1));
    dap_session_send_event(s, "breakpoint", ev);
  }
}

void dap_forward_response(dap_session_t *s, const cJSON *msg) {
  long long seq = -1;
  dap_get_int(msg, "request_seq", &seq);
  dap_pending_t *p = take_pending(s, seq);
  if (p == NULL) {
    dap_log_warn("runtime answered request %lld, which nobody waits for", seq);
    return;
  }
  bool ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(msg, "success"));
  const cJSON *body = cJSON_GetObjectItemCaseSensitive(msg, "body");
  const char *text = NULL;
  dap_get_string(msg, "message", &text);
  switch (p->kind) {
  case DAP_PENDING_CLIENT:
    if (ok)
      dap_session_respond(s, p->client_req, cJSON_IsObject(body) ? cJSON_Duplicate(body, 1) : NULL);
    else
      dap_session_respond_error(s, p->client_req, DAPPER_ERUNTIME, "%s",
                                text != NULL ? text : "the runtime could not do that");
    p->client_req = NULL;
    break;
  case DAP_PENDING_CONFIGURE:
    dap_lifecycle_configured(s, msg);
    break;
  case DAP_PENDING_REPLAY:
    if (ok)
      replay_result(s, body);
    else
      dap_log_warn("runtime refused breakpoints: %s", text != NULL ? text : "?");
    break;
  case DAP_PENDING_INTERNAL:
    if (!ok)
      dap_log_warn("runtime: request failed: %s", text != NULL ? text : "?");
    break;
  }
  cJSON_Delete(p->client_req);
  free(p);
}

void dap_forward_event(dap_session_t *s, const cJSON *msg) {
  const char *event = NULL;
  if (dap_get_string(msg, "event", &event) != 0)
    return;
  const cJSON *body = cJSON_GetObjectItemCaseSensitive(msg, "body");
  dap_session_send_event(s, event, cJSON_IsObject(body) ? cJSON_Duplicate(body, 1) : NULL);
}

void dap_forward_fail_all(dap_session_t *s, const char *why) {
  dap_pending_t *p = s->pending;
  s->pending = NULL;
  while (p != NULL) {
    dap_pending_t *next = p->next;
    if (p->kind == DAP_PENDING_CLIENT && p->client_req != NULL) {
      dap_session_respond_error(s, p->client_req, DAPPER_ERUNTIME, "%s", why);
      p->client_req = NULL;
    } else if (p->kind == DAP_PENDING_CONFIGURE) {
      dap_lifecycle_configured(s, NULL);
    }
    cJSON_Delete(p->client_req);
    free(p);
    p = next;
  }
}

/* The generic handler for requests the runtime answers. */
int dap_handle_forward(dap_session_t *s, const cJSON *req, const cJSON *args, cJSON **body) {
  const char *command = cJSON_GetObjectItemCaseSensitive(req, "command")->valuestring;
  if (!s->runtime_ready || s->debuggee == NULL)
    return dap_session_error(s, DAPPER_ESTATE, "'%s' needs a running program", command);
  int rc = dap_forward(s, command, args != NULL ? cJSON_Duplicate(args, 1) : NULL,
                       DAP_PENDING_CLIENT, req);
  if (rc != 0)
    return dap_session_error(s, rc, "the program is no longer running");
  return DAP_DEFERRED;
}

/* `threads` before the program runs (or after it ended) is answered here. */
int dap_handle_threads(dap_session_t *s, const cJSON *req, const cJSON *args, cJSON **body) {
  if (s->runtime_ready && s->debuggee != NULL && !dap_debuggee_exited(s->debuggee))
    return dap_handle_forward(s, req, args, body);
  *body = cJSON_CreateObject();
  if (*body == NULL || cJSON_AddArrayToObject(*body, "threads") == NULL)
    return dap_session_error(s, DAPPER_ENOMEM, "out of memory");
  return 0;
}
