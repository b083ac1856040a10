/* Requests the runtime answers: forwarding them over the wire, matching the
 * answers to what waits for them, relaying the runtime's events. */
#include <stdio.h>
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
  /* The client's paths become the program's (pathMappings). */
  dap_pathmap_tree(s->pathmap, args, DAP_PATH_TO_REMOTE);
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
    dap_pathmap_tree(s->pathmap, ev, DAP_PATH_TO_LOCAL);
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
    if (ok) {
      cJSON *copy = cJSON_IsObject(body) ? cJSON_Duplicate(body, 1) : NULL;
      /* The program's paths become the client's (pathMappings). */
      dap_pathmap_tree(s->pathmap, copy, DAP_PATH_TO_LOCAL);
      dap_session_respond(s, p->client_req, copy);
    } else
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
  case DAP_PENDING_DROPPED:
    dap_log_debug("runtime answered request %lld after the client was answered", seq);
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
  cJSON *copy = cJSON_IsObject(body) ? cJSON_Duplicate(body, 1) : NULL;
  dap_pathmap_tree(s->pathmap, copy, DAP_PATH_TO_LOCAL);
  dap_session_send_event(s, event, copy);
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

/* `dapper/statistics` (custom request): forwarded as the runtime's
 * `statistics`; the runtime's body is the response body. */
int dap_handle_statistics(dap_session_t *s, const cJSON *req, const cJSON *args,
                          cJSON **body) {
  (void)body;
  if (!s->runtime_ready || s->debuggee == NULL)
    return dap_session_error(s, DAPPER_ESTATE, "'dapper/statistics' needs a running program");
  int rc = dap_forward(s, "statistics", args != NULL ? cJSON_Duplicate(args, 1) : NULL,
                       DAP_PENDING_CLIENT, req);
  if (rc != 0)
    return dap_session_error(s, rc, "the program is no longer running");
  return DAP_DEFERRED;
}

/* Requests that run in the program (user __repr__, getters, expressions)
 * get a time budget: forwarded like the others, answered by the adapter
 * when the budget runs out (docs/runtime.md, "Time budget"). */
int dap_handle_forward_timed(dap_session_t *s, const cJSON *req, const cJSON *args,
                             cJSON **body) {
  int rc = dap_handle_forward(s, req, args, body);
  if (rc == DAP_DEFERRED)
    dap_forward_set_deadline(s);
  return rc;
}

/* Gives up on pending p: the client gets an error now, the runtime a
 * `cancel` (a queued request is dropped, a running one flagged), and the
 * late answer is ignored. */
static void abandon(dap_session_t *s, dap_pending_t *p, int code, const char *text) {
  dap_session_respond_error(s, p->client_req, code, "%s", text);
  p->client_req = NULL;
  p->kind = DAP_PENDING_DROPPED;
  p->deadline = 0;
  cJSON *args = cJSON_CreateObject();
  if (args != NULL) {
    cJSON_AddNumberToObject(args, "requestId", (double)p->wire_seq);
    (void)dap_forward(s, "cancel", args, DAP_PENDING_INTERNAL, NULL);
  }
}

static void on_inspect_tick(uv_timer_t *t) {
  dap_session_t *s = t->data;
  uint64_t now = uv_now(s->loop);
  bool more = false;
  bool again = true;
  while (again) { /* abandon() adds a pending: restart the walk after one */
    again = false;
    for (dap_pending_t *p = s->pending; p != NULL; p = p->next) {
      if (p->kind != DAP_PENDING_CLIENT || p->deadline == 0 || p->client_req == NULL)
        continue;
      if (p->deadline > now) {
        more = true;
        continue;
      }
      const char *cmd = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p->client_req,
                                                                              "command"));
      char text[512];
      snprintf(text, sizeof(text),
               "'%s' timed out after %.3g s: a __repr__, property getter or expression "
               "is still running in the program (launch option evaluateTimeout); that "
               "thread answers again once it returns",
               cmd != NULL ? cmd : "?", (double)s->evaluate_timeout_ms / 1000.0);
      abandon(s, p, DAPPER_ETIMEOUT, text);
      again = true;
      break;
    }
  }
  if (!more)
    uv_timer_stop(&s->inspect_timer);
}

void dap_forward_set_deadline(dap_session_t *s) {
  if (s->pending == NULL || s->pending->kind != DAP_PENDING_CLIENT)
    return;
  s->pending->deadline = uv_now(s->loop) + s->evaluate_timeout_ms;
  if (!uv_is_active((uv_handle_t *)&s->inspect_timer))
    uv_timer_start(&s->inspect_timer, on_inspect_tick, 50, 50);
}

/* `cancel`: a pending request is answered now with message "cancelled"
 * (as DAP asks) and the runtime drops or flags it. Anything else (already
 * answered, unknown, a progressId) is a success that changes nothing. */
int dap_handle_cancel(dap_session_t *s, const cJSON *req, const cJSON *args, cJSON **body) {
  long long id = 0;
  if (dap_get_int(args, "requestId", &id) != 0)
    return 0;
  for (dap_pending_t *p = s->pending; p != NULL; p = p->next) {
    if (p->kind != DAP_PENDING_CLIENT || p->client_req == NULL)
      continue;
    long long seq = -1;
    dap_get_int(p->client_req, "seq", &seq);
    if (seq == id) {
      abandon(s, p, DAPPER_ESTATE, "cancelled");
      break;
    }
  }
  return 0;
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
