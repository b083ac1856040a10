#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dapper/errors.h"
#include "dapper/message.h"
#include "handlers.h"
#include "log.h"
#include "session_internal.h"

/* Largest DAP message accepted from a client. */
#define DAP_MAX_CLIENT_MESSAGE (16u * 1024u * 1024u)

int dap_session_error(dap_session_t *s, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
  va_end(ap);
  return code < 0 ? code : DAPPER_EINVAL;
}

void dap_session_send(dap_session_t *s, cJSON *msg) {
  if (s->client == NULL) {
    cJSON_Delete(msg);
    return;
  }
  int rc = dap_conn_send(s->client, msg);
  if (rc != 0)
    dap_log_info("client: send failed: %s", rc > -4096 ? uv_strerror(rc) : dapper_strerror(rc));
  else if (s->debuggee != NULL && dap_conn_congested(s->client))
    dap_debuggee_pause_output(s->debuggee, true);
}

void dap_session_send_event(dap_session_t *s, const char *event, cJSON *body) {
  cJSON *ev = dap_msg_event(event, body);
  if (ev != NULL)
    dap_session_send(s, ev);
}

void dap_session_queue_event(dap_session_t *s, const char *event, cJSON *body) {
  cJSON *ev = dap_msg_event(event, body);
  if (ev == NULL)
    return;
  if (s->post_response == NULL)
    s->post_response = cJSON_CreateArray();
  if (s->post_response == NULL) {
    cJSON_Delete(ev);
    return;
  }
  cJSON_AddItemToArray(s->post_response, ev);
}

static void flush_post_response(dap_session_t *s) {
  cJSON *queued = s->post_response;
  s->post_response = NULL;
  if (queued == NULL)
    return;
  cJSON *ev;
  while ((ev = cJSON_DetachItemFromArray(queued, 0)) != NULL)
    dap_session_send(s, ev);
  cJSON_Delete(queued);
}

void dap_session_respond(dap_session_t *s, cJSON *req, cJSON *body) {
  cJSON *resp = dap_msg_response(req, body);
  cJSON_Delete(req);
  if (resp != NULL)
    dap_session_send(s, resp);
  flush_post_response(s);
}

static cJSON *error_response(const cJSON *req, int code, const char *text) {
  const cJSON *seq = cJSON_GetObjectItemCaseSensitive(req, "seq");
  const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(req, "command");
  return dap_msg_error_response(cJSON_IsNumber(seq) ? (long long)seq->valuedouble : 0,
                                cJSON_IsString(cmd) ? cmd->valuestring : "",
                                code < 0 ? -code : code, "%s", text);
}

void dap_session_respond_error(dap_session_t *s, cJSON *req, int code, const char *fmt, ...) {
  char text[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof(text), fmt, ap);
  va_end(ap);
  cJSON *resp = error_response(req, code, text);
  cJSON_Delete(req);
  if (resp != NULL)
    dap_session_send(s, resp);
  flush_post_response(s);
}

void dap_session_output(dap_session_t *s, const char *category, const char *text) {
  cJSON *body = cJSON_CreateObject();
  if (body == NULL)
    return;
  cJSON_AddStringToObject(body, "category", category);
  cJSON_AddStringToObject(body, "output", text);
  dap_session_send_event(s, "output", body);
}

/* --- dispatch --------------------------------------------------------- */

static void dispatch(dap_session_t *s, cJSON *req) {
  const char *command = cJSON_GetObjectItemCaseSensitive(req, "command")->valuestring;
  const cJSON *args = cJSON_GetObjectItemCaseSensitive(req, "arguments");
  if (cJSON_IsNull(args))
    args = NULL;
  const dap_handler_t *h = dap_find_handler(command);
  cJSON *body = NULL;
  int rc;
  s->errmsg[0] = '\0';
  if (h == NULL) {
    rc = dap_session_error(s, DAPPER_EUNKNOWN, "unknown command '%s'", command);
  } else if ((h->flags & DAP_H_NEEDS_INIT) && !s->initialized) {
    rc = dap_session_error(s, DAPPER_ESTATE, "'%s' before 'initialize': send 'initialize' first",
                           command);
  } else {
    rc = h->fn(s, req, args, &body);
  }
  if (rc == DAP_DEFERRED) {
    cJSON_Delete(body);
    return;
  }
  if (rc < 0) {
    cJSON_Delete(body);
    const char *text = s->errmsg[0] != '\0' ? s->errmsg : dapper_strerror(rc);
    cJSON *resp = error_response(req, rc, text != NULL ? text : "request failed");
    if (resp != NULL)
      dap_session_send(s, resp);
    flush_post_response(s);
    return;
  }
  cJSON *resp = dap_msg_response(req, body);
  if (resp != NULL)
    dap_session_send(s, resp);
  flush_post_response(s);
}

bool dap_session_runtime_starting(const dap_session_t *s) {
  return s->launch_req != NULL && !s->runtime_ready;
}

int dap_session_hold(dap_session_t *s, const cJSON *req) {
  if (s->held == NULL)
    s->held = cJSON_CreateArray();
  cJSON *copy = s->held != NULL ? cJSON_Duplicate(req, 1) : NULL;
  if (copy == NULL)
    return dap_session_error(s, DAPPER_ENOMEM, "out of memory");
  cJSON_AddItemToArray(s->held, copy);
  return DAP_DEFERRED;
}

void dap_session_release_held(dap_session_t *s) {
  cJSON *held = s->held;
  s->held = NULL;
  cJSON *req;
  while (held != NULL && (req = cJSON_DetachItemFromArray(held, 0)) != NULL) {
    dispatch(s, req);
    cJSON_Delete(req);
  }
  cJSON_Delete(held);
}

static void on_client_message(void *ud, cJSON *msg, dap_msg_kind_t kind) {
  dap_session_t *s = ud;
  if (kind == DAP_MSG_REQUEST)
    dispatch(s, msg);
  else if (kind == DAP_MSG_RESPONSE)
    dap_lifecycle_client_response(s, msg);
  else
    dap_log_debug("client sent a %s; ignored", kind == DAP_MSG_EVENT ? "event" : "response");
  cJSON_Delete(msg);
}

static void on_client_bad_message(void *ud, const dap_parse_error_t *err) {
  dap_session_t *s = ud;
  if (err->seq < 0) {
    dap_log_warn("client: skipped a message without a seq: %s", err->reason);
    return;
  }
  cJSON *resp = dap_msg_error_response(err->seq, err->command, -DAPPER_EINVAL,
                                       "invalid message: %s", err->reason);
  if (resp != NULL)
    dap_session_send(s, resp);
}

static void on_client_drain(void *ud) {
  dap_session_t *s = ud;
  if (s->debuggee != NULL)
    dap_debuggee_pause_output(s->debuggee, false);
}

static void on_client_closed(void *ud, int reason) {
  dap_session_t *s = ud;
  dap_log_info("client went away (%s)", reason == 0 ? "end of input" : "error");
  s->client = NULL;
  dap_lifecycle_client_gone(s);
}

static const dap_conn_callbacks_t client_cbs = {
    .on_message = on_client_message,
    .on_bad_message = on_client_bad_message,
    .on_drain = on_client_drain,
    .on_closed = on_client_closed,
};

/* --- lifetime --------------------------------------------------------- */

static void on_timer_closed(uv_handle_t *h) {
  dap_session_t *s = h->data;
  s->timer_closed = true;
  dap_session_end_cb on_end = s->on_end;
  void *ud = s->end_ud;
  cJSON_Delete(s->launch_req);
  cJSON_Delete(s->listen_args);
  cJSON_Delete(s->launch_args);
  cJSON_Delete(s->disconnect_req);
  cJSON_Delete(s->post_response);
  cJSON_Delete(s->held);
  dap_breakpoints_free(s);
  while (s->pending != NULL) {
    dap_pending_t *p = s->pending;
    s->pending = p->next;
    cJSON_Delete(p->client_req);
    free(p);
  }
  dap_launch_free(&s->launch);
  cJSON_Delete(s->config);
  cJSON_Delete(s->restart_req);
  dap_pathmap_free(s->pathmap);
  free(s);
  if (on_end != NULL)
    on_end(ud);
}

static void on_inspect_timer_closed(uv_handle_t *h) {
  dap_session_t *s = h->data;
  uv_close((uv_handle_t *)&s->hello_timer, on_timer_closed);
}

void dap_session_maybe_free(dap_session_t *s) {
  if (!s->ending || s->client != NULL || s->debuggee != NULL || s->inject != NULL)
    return;
  dap_lifecycle_children_close(s);
  if (!uv_is_closing((uv_handle_t *)&s->inspect_timer))
    uv_close((uv_handle_t *)&s->inspect_timer, on_inspect_timer_closed);
}

static dap_session_t *session_new(uv_loop_t *loop, const char *runtime_dir,
                                  dap_session_end_cb on_end, void *ud) {
  dap_session_t *s = calloc(1, sizeof(*s));
  if (s == NULL)
    return NULL;
  s->loop = loop;
  s->on_end = on_end;
  s->end_ud = ud;
  s->lines_start_at1 = s->columns_start_at1 = true;
  snprintf(s->runtime_dir, sizeof(s->runtime_dir), "%s", runtime_dir);
  uv_timer_init(loop, &s->hello_timer);
  s->hello_timer.data = s;
  uv_timer_init(loop, &s->inspect_timer);
  s->inspect_timer.data = s;
  s->evaluate_timeout_ms = 5000;
  s->redirect_output = true;
  return s;
}

/* Frees a session whose client never opened. */
static void session_abort(dap_session_t *s) {
  s->on_end = NULL;
  s->ending = true;
  dap_session_maybe_free(s);
}

int dap_session_open_fds(uv_loop_t *loop, int in_fd, int out_fd, const char *runtime_dir,
                         dap_session_end_cb on_end, void *ud, dap_session_t **out) {
  dap_session_t *s = session_new(loop, runtime_dir, on_end, ud);
  if (s == NULL)
    return DAPPER_ENOMEM;
  int rc = dap_conn_open_fds(loop, in_fd, out_fd, "client", DAP_MAX_CLIENT_MESSAGE, &client_cbs,
                             s, &s->client);
  if (rc != 0) {
    s->client = NULL;
    session_abort(s);
    return rc;
  }
  *out = s;
  return 0;
}

int dap_session_accept_tcp(uv_loop_t *loop, uv_stream_t *server, const char *runtime_dir,
                           dap_session_end_cb on_end, void *ud, dap_session_t **out) {
  dap_session_t *s = session_new(loop, runtime_dir, on_end, ud);
  if (s == NULL)
    return DAPPER_ENOMEM;
  int rc = dap_conn_accept_tcp(loop, server, "client", DAP_MAX_CLIENT_MESSAGE, &client_cbs, s,
                               &s->client);
  if (rc != 0) {
    s->client = NULL;
    session_abort(s);
    return rc;
  }
  *out = s;
  return 0;
}

int dap_session_open_listen(uv_loop_t *loop, const char *runtime_dir, const cJSON *launch_args,
                            int runtime_fd, bool wait_for_client, int *exit_status,
                            dap_session_end_cb on_end, void *ud, dap_session_t **out) {
  dap_session_t *s = session_new(loop, runtime_dir, on_end, ud);
  if (s == NULL)
    return DAPPER_ENOMEM;
  s->listen = true;
  s->exit_status = exit_status;
  int rc = launch_args != NULL ? dap_lifecycle_listen_start(s, launch_args, wait_for_client)
                               : dap_lifecycle_listen_adopt(s, runtime_fd);
  if (rc != 0) {
    session_abort(s);
    return rc;
  }
  *out = s;
  return 0;
}

int dap_session_attach_tcp(dap_session_t *s, uv_stream_t *server) {
  if (s->client != NULL || s->ending || s->debuggee == NULL)
    return DAPPER_ESTATE;
  int rc = dap_conn_accept_tcp(s->loop, server, "client", DAP_MAX_CLIENT_MESSAGE, &client_cbs, s,
                               &s->client);
  if (rc != 0) {
    s->client = NULL;
    return rc;
  }
  dap_lifecycle_client_attached(s);
  return 0;
}

void dap_session_shutdown(dap_session_t *s) {
  s->listen = false; /* the adapter stops: so does a --listen program */
  if (s->client != NULL) {
    dap_conn_close(s->client, 1);
    s->client = NULL;
  }
  dap_lifecycle_client_gone(s);
}
