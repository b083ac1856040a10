/* Breakpoint requests. The adapter keeps what the client set (with ids it
 * assigns) so that breakpoints set before the program runs, or while the
 * runtime is not connected, reach it when it connects; the runtime resolves
 * and verifies them (docs/wire-protocol.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dapper/errors.h"
#include "handlers.h"
#include "log.h"

/* The exception filters, as `initialize` advertises them. */
static const struct {
  const char *filter, *label, *description;
  bool default_on, conditions;
} exception_filters[] = {
    {"raised", "Raised Exceptions", "Stop whenever an exception is raised, even if it is caught.",
     false, true},
    {"uncaught", "Uncaught Exceptions", "Stop when an exception is not caught and ends the program "
     "or its thread.", true, true},
    {"userUnhandled", "User Uncaught Exceptions", "Stop when an exception leaves your code into "
     "library code without being handled.", false, true},
};

cJSON *dap_exception_filters(void) {
  cJSON *list = cJSON_CreateArray();
  for (size_t i = 0; list != NULL && i < sizeof(exception_filters) / sizeof(exception_filters[0]);
       i++) {
    cJSON *f = cJSON_CreateObject();
    if (f == NULL)
      break;
    cJSON_AddStringToObject(f, "filter", exception_filters[i].filter);
    cJSON_AddStringToObject(f, "label", exception_filters[i].label);
    cJSON_AddStringToObject(f, "description", exception_filters[i].description);
    cJSON_AddBoolToObject(f, "default", exception_filters[i].default_on);
    cJSON_AddBoolToObject(f, "supportsCondition", exception_filters[i].conditions);
    cJSON_AddStringToObject(f, "conditionDescription",
                            "Exception types to stop on, comma-separated: ValueError, KeyError");
    cJSON_AddItemToArray(list, f);
  }
  return list;
}

static bool known_filter(const char *id) {
  for (size_t i = 0; i < sizeof(exception_filters) / sizeof(exception_filters[0]); i++) {
    if (strcmp(exception_filters[i].filter, id) == 0)
      return true;
  }
  return false;
}

/* Checks that each of `keys` in obj is a string (or absent). */
static int check_strings(dap_session_t *s, const cJSON *obj, const char *what,
                         const char *const *keys) {
  for (; *keys != NULL; keys++) {
    const char *v;
    if (dap_get_string(obj, *keys, &v) < 0)
      return dap_session_error(s, DAPPER_EINVAL, "%s: \"%s\" must be a string", what, *keys);
  }
  return 0;
}

/* A local answer while no runtime can answer: one unverified entry per
 * breakpoint, with its id. reason is "pending" when a runtime will get them
 * (and verify them by a `breakpoint` event), "failed" otherwise. */
static cJSON *local_body(const cJSON *bps, const char *why, const char *reason) {
  cJSON *body = cJSON_CreateObject();
  cJSON *list = body != NULL ? cJSON_AddArrayToObject(body, "breakpoints") : NULL;
  if (list == NULL) {
    cJSON_Delete(body);
    return NULL;
  }
  const cJSON *bp;
  cJSON_ArrayForEach(bp, bps) {
    cJSON *out = cJSON_CreateObject();
    if (out == NULL)
      break;
    cJSON_AddItemToObject(out, "id", cJSON_Duplicate(cJSON_GetObjectItem(bp, "id"), 1));
    cJSON_AddFalseToObject(out, "verified");
    const cJSON *line = cJSON_GetObjectItemCaseSensitive(bp, "line");
    if (cJSON_IsNumber(line))
      cJSON_AddNumberToObject(out, "line", line->valuedouble);
    cJSON_AddStringToObject(out, "message", why);
    cJSON_AddStringToObject(out, "reason", reason);
    cJSON_AddItemToArray(list, out);
  }
  return body;
}

static bool runtime_up(const dap_session_t *s) {
  return s->runtime_ready && s->debuggee != NULL && !dap_debuggee_exited(s->debuggee);
}

/* Why no runtime answers, and the DAP `reason`: "pending" before `launch`
 * (the breakpoints are kept and sent to the runtime when it connects),
 * "failed" when no runtime will use them. */
static const char *local_why(const dap_session_t *s, const char **reason) {
  *reason = "failed";
  if (!s->launched) {
    *reason = "pending";
    return "The program has not started yet: the breakpoint is checked when it starts.";
  }
  if (s->launch.no_debug)
    return "The program runs without debugging (noDebug): breakpoints are not used.";
  if (!s->runtime_ready)
    return "The program did not start.";
  return "The program is not running.";
}

/* Forwards `args` (consumed) for the client, or answers locally. Requests
 * that come while the runtime starts were held (dap_session_hold) and come
 * back here once it said hello, so the runtime answers every request made
 * during configuration; the local answer is left for requests before
 * `launch` (kept and sent to the runtime when it connects) and for a
 * program that is not debugged or not running. */
static int forward_or_local(dap_session_t *s, const cJSON *req, cJSON *args, const char *command,
                            cJSON **body) {
  if (runtime_up(s)) {
    if (dap_forward(s, command, args, DAP_PENDING_CLIENT, req) == 0)
      return DAP_DEFERRED;
    args = NULL; /* consumed */
  }
  const cJSON *bps = args != NULL ? cJSON_GetObjectItemCaseSensitive(args, "breakpoints") : NULL;
  const char *reason;
  const char *why = local_why(s, &reason);
  *body = local_body(bps, why, reason);
  cJSON_Delete(args);
  return *body != NULL ? 0 : dap_session_error(s, DAPPER_ENOMEM, "out of memory");
}

/* Copies the array `key` of args (objects only), giving each a fresh id. */
static int with_ids(dap_session_t *s, const cJSON *args, const char *key, const char *what,
                    const char *const *string_keys, cJSON **out) {
  const cJSON *list = NULL;
  if (dap_get_array(args, key, &list) < 0 || (list != NULL && !cJSON_IsArray(list)))
    return dap_session_error(s, DAPPER_EINVAL, "%s: \"%s\" must be an array", what, key);
  cJSON *copy = cJSON_CreateArray();
  if (copy == NULL)
    return dap_session_error(s, DAPPER_ENOMEM, "out of memory");
  const cJSON *item;
  cJSON_ArrayForEach(item, list) {
    int rc;
    if (!cJSON_IsObject(item)) {
      cJSON_Delete(copy);
      return dap_session_error(s, DAPPER_EINVAL, "%s: each of \"%s\" must be an object", what,
                               key);
    }
    if ((rc = check_strings(s, item, what, string_keys)) != 0) {
      cJSON_Delete(copy);
      return rc;
    }
    cJSON *bp = cJSON_Duplicate(item, 1);
    if (bp == NULL) {
      cJSON_Delete(copy);
      return dap_session_error(s, DAPPER_ENOMEM, "out of memory");
    }
    cJSON_DeleteItemFromObjectCaseSensitive(bp, "id");
    cJSON_AddNumberToObject(bp, "id", (double)++s->next_bp_id);
    cJSON_AddItemToArray(copy, bp);
  }
  *out = copy;
  return 0;
}

/* bp_sources' index: one node per kept file, keyed by its item's name. */
typedef struct dap_bpsrc {
  struct dap_bpsrc *next;
  cJSON *item; /* in s->bp_sources; its `string` is the path */
} dap_bpsrc_t;

static size_t bpsrc_bucket(const char *path) {
  unsigned h = 2166136261u; /* FNV-1a */
  for (const unsigned char *p = (const unsigned char *)path; *p != '\0'; p++)
    h = (h ^ *p) * 16777619u;
  return h % DAP_BPSRC_BUCKETS;
}

/* Takes path's entry out of s->bp_sources and frees it, if there is one. */
static void bpsrc_remove(dap_session_t *s, const char *path) {
  for (dap_bpsrc_t **pp = &s->bp_index[bpsrc_bucket(path)]; *pp != NULL; pp = &(*pp)->next) {
    dap_bpsrc_t *node = *pp;
    if (strcmp(node->item->string, path) == 0) {
      *pp = node->next;
      cJSON_Delete(cJSON_DetachItemViaPointer(s->bp_sources, node->item));
      free(node);
      return;
    }
  }
}

/* Keeps item (consumed) as path's entry of s->bp_sources. */
static void bpsrc_add(dap_session_t *s, const char *path, cJSON *item) {
  dap_bpsrc_t *node = calloc(1, sizeof(*node));
  if (node == NULL || item == NULL) {
    free(node);
    cJSON_Delete(item);
    dap_log_warn("out of memory keeping the breakpoints of %s", path);
    return;
  }
  cJSON_AddItemToObject(s->bp_sources, path, item);
  node->item = item;
  size_t b = bpsrc_bucket(item->string);
  node->next = s->bp_index[b];
  s->bp_index[b] = node;
}

int dap_handle_setBreakpoints(dap_session_t *s, const cJSON *req, const cJSON *args,
                              cJSON **body) {
  static const char *const strings[] = {"condition", "hitCondition", "logMessage", NULL};
  if (dap_session_runtime_starting(s))
    return dap_session_hold(s, req);
  const cJSON *source = NULL;
  const char *path = NULL;
  if (dap_get_object(args, "source", &source) != 0 || !cJSON_IsObject(source))
    return dap_session_error(s, DAPPER_EINVAL, "setBreakpoints needs a \"source\" object");
  if (dap_get_string(source, "path", &path) != 0 || *path == '\0')
    return dap_session_error(s, DAPPER_EINVAL,
                             "setBreakpoints needs \"source.path\": breakpoints are set in files");
  cJSON *bps = NULL;
  int rc = with_ids(s, args, "breakpoints", "setBreakpoints", strings, &bps);
  if (rc != 0)
    return rc;
  const cJSON *bp;
  cJSON_ArrayForEach(bp, bps) {
    long long line = 0;
    if (dap_get_int(bp, "line", &line) != 0 || line < 1) {
      cJSON_Delete(bps);
      return dap_session_error(s, DAPPER_EINVAL,
                               "setBreakpoints: each breakpoint needs a \"line\" of 1 or more");
    }
  }
  cJSON *wire = cJSON_CreateObject();
  if (wire == NULL) {
    cJSON_Delete(bps);
    return dap_session_error(s, DAPPER_ENOMEM, "out of memory");
  }
  cJSON_AddItemToObject(wire, "source", cJSON_Duplicate(source, 1));
  cJSON_AddItemToObject(wire, "breakpoints", bps);
  /* Keep them (replacing that file's previous set). */
  if (s->bp_sources == NULL)
    s->bp_sources = cJSON_CreateObject();
  if (s->bp_sources != NULL) {
    bpsrc_remove(s, path);
    if (cJSON_GetArraySize(bps) > 0)
      bpsrc_add(s, path, cJSON_Duplicate(wire, 1));
  }
  return forward_or_local(s, req, wire, "setBreakpoints", body);
}

int dap_handle_setFunctionBreakpoints(dap_session_t *s, const cJSON *req, const cJSON *args,
                                      cJSON **body) {
  static const char *const strings[] = {"name", "condition", "hitCondition", NULL};
  if (dap_session_runtime_starting(s))
    return dap_session_hold(s, req);
  cJSON *bps = NULL;
  int rc = with_ids(s, args, "breakpoints", "setFunctionBreakpoints", strings, &bps);
  if (rc != 0)
    return rc;
  const cJSON *bp;
  cJSON_ArrayForEach(bp, bps) {
    const char *name = NULL;
    if (dap_get_string(bp, "name", &name) != 0 || *name == '\0') {
      cJSON_Delete(bps);
      return dap_session_error(s, DAPPER_EINVAL,
                               "setFunctionBreakpoints: each breakpoint needs a \"name\"");
    }
  }
  cJSON *wire = cJSON_CreateObject();
  if (wire == NULL) {
    cJSON_Delete(bps);
    return dap_session_error(s, DAPPER_ENOMEM, "out of memory");
  }
  cJSON_AddItemToObject(wire, "breakpoints", bps);
  cJSON_Delete(s->bp_functions);
  s->bp_functions = cJSON_Duplicate(wire, 1);
  return forward_or_local(s, req, wire, "setFunctionBreakpoints", body);
}

int dap_handle_setExceptionBreakpoints(dap_session_t *s, const cJSON *req, const cJSON *args,
                                       cJSON **body) {
  const cJSON *filters = NULL, *options = NULL, *item;
  if (dap_session_runtime_starting(s))
    return dap_session_hold(s, req);
  if (dap_get_array(args, "filters", &filters) != 0 || !cJSON_IsArray(filters))
    return dap_session_error(s, DAPPER_EINVAL,
                             "setExceptionBreakpoints needs \"filters\", an array of filter ids");
  if (dap_get_array(args, "filterOptions", &options) < 0 ||
      (options != NULL && !cJSON_IsArray(options)))
    return dap_session_error(s, DAPPER_EINVAL,
                             "setExceptionBreakpoints: \"filterOptions\" must be an array");
  cJSON_ArrayForEach(item, filters) {
    if (!cJSON_IsString(item) || !known_filter(item->valuestring))
      return dap_session_error(s, DAPPER_EINVAL,
                               "setExceptionBreakpoints: unknown filter %s (known: raised, "
                               "uncaught, userUnhandled)",
                               cJSON_IsString(item) ? item->valuestring : "(not a string)");
  }
  cJSON_ArrayForEach(item, options) {
    const char *id = NULL, *cond = NULL;
    if (!cJSON_IsObject(item) || dap_get_string(item, "filterId", &id) != 0 ||
        !known_filter(id) || dap_get_string(item, "condition", &cond) < 0)
      return dap_session_error(s, DAPPER_EINVAL,
                               "setExceptionBreakpoints: each filter option needs a known "
                               "\"filterId\" and an optional string \"condition\"");
  }
  cJSON *wire = cJSON_CreateObject();
  if (wire == NULL)
    return dap_session_error(s, DAPPER_ENOMEM, "out of memory");
  cJSON_AddItemToObject(wire, "filters", cJSON_Duplicate(filters, 1));
  if (options != NULL)
    cJSON_AddItemToObject(wire, "filterOptions", cJSON_Duplicate(options, 1));
  cJSON_Delete(s->bp_exceptions);
  s->bp_exceptions = cJSON_Duplicate(wire, 1);
  if (runtime_up(s) && dap_forward(s, "setExceptionBreakpoints", wire, DAP_PENDING_CLIENT, req) == 0)
    return DAP_DEFERRED;
  if (!runtime_up(s))
    cJSON_Delete(wire);
  /* Before launch: kept for the runtime, each filter is accepted. Else no
   * runtime will use them: unverified, with why. */
  const char *reason;
  const char *why = local_why(s, &reason);
  *body = cJSON_CreateObject();
  cJSON *list = *body != NULL ? cJSON_AddArrayToObject(*body, "breakpoints") : NULL;
  if (list == NULL)
    return dap_session_error(s, DAPPER_ENOMEM, "out of memory");
  int n = cJSON_GetArraySize(filters) + (options != NULL ? cJSON_GetArraySize(options) : 0);
  for (int i = 0; i < n; i++) {
    cJSON *bp = cJSON_CreateObject();
    if (bp == NULL)
      break;
    cJSON_AddBoolToObject(bp, "verified", !s->launched);
    if (s->launched) {
      cJSON_AddStringToObject(bp, "message", why);
      cJSON_AddStringToObject(bp, "reason", reason);
    }
    cJSON_AddItemToArray(list, bp);
  }
  return 0;
}

int dap_handle_breakpointLocations(dap_session_t *s, const cJSON *req, const cJSON *args,
                                   cJSON **body) {
  const cJSON *source = NULL;
  const char *path = NULL;
  long long line = 0;
  if (dap_session_runtime_starting(s))
    return dap_session_hold(s, req);
  if (dap_get_object(args, "source", &source) != 0 || dap_get_string(source, "path", &path) != 0)
    return dap_session_error(s, DAPPER_EINVAL, "breakpointLocations needs \"source.path\"");
  if (dap_get_int(args, "line", &line) != 0 || line < 1)
    return dap_session_error(s, DAPPER_EINVAL, "breakpointLocations needs a \"line\" of 1 or more");
  if (runtime_up(s))
    return dap_handle_forward(s, req, args, body);
  *body = cJSON_CreateObject();
  if (*body == NULL || cJSON_AddArrayToObject(*body, "breakpoints") == NULL)
    return dap_session_error(s, DAPPER_ENOMEM, "out of memory");
  return 0;
}

void dap_breakpoints_replay(dap_session_t *s) {
  const cJSON *src;
  cJSON_ArrayForEach(src, s->bp_sources) {
    dap_forward(s, "setBreakpoints", cJSON_Duplicate(src, 1), DAP_PENDING_REPLAY, NULL);
  }
  if (s->bp_functions != NULL)
    dap_forward(s, "setFunctionBreakpoints", cJSON_Duplicate(s->bp_functions, 1),
                DAP_PENDING_REPLAY, NULL);
  if (s->bp_exceptions != NULL)
    dap_forward(s, "setExceptionBreakpoints", cJSON_Duplicate(s->bp_exceptions, 1),
                DAP_PENDING_INTERNAL, NULL);
}

void dap_breakpoints_free(dap_session_t *s) {
  for (size_t b = 0; b < DAP_BPSRC_BUCKETS; b++) {
    while (s->bp_index[b] != NULL) {
      dap_bpsrc_t *node = s->bp_index[b];
      s->bp_index[b] = node->next;
      free(node);
    }
  }
  cJSON_Delete(s->bp_sources);
  cJSON_Delete(s->bp_functions);
  cJSON_Delete(s->bp_exceptions);
  s->bp_sources = s->bp_functions = s->bp_exceptions = NULL;
}
