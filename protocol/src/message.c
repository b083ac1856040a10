/* DAP message envelopes on cJSON. See dapper/message.h.
 *
 * All lookups are case-sensitive (cJSON_GetObjectItemCaseSensitive): DAP
 * field names are. When a key is duplicated, the first occurrence wins. */
#include "dapper/message.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2^63 as a double: valid long long values are in [-2^63, 2^63). */
#define DAP_TWO_POW_63 9223372036854775808.0

/* Returns 1 and stores the value if item is a finite integral number in
 * long long range, else 0. Numbers above 2^53 are as exact as the double
 * cJSON parsed them into. */
static int json_integer(const cJSON *item, long long *out) {
  if (!cJSON_IsNumber(item))
    return 0;
  double d = item->valuedouble;
  if (!isfinite(d) || d < -DAP_TWO_POW_63 || d >= DAP_TWO_POW_63)
    return 0;
  long long v = (long long)d; /* in range, so defined; truncates */
  if ((double)v != d)
    return 0; /* fractional (no libm floor needed) */
  *out = v;
  return 1;
}

static const cJSON *get_item(const cJSON *obj, const char *name) {
  if (obj == NULL || name == NULL || !cJSON_IsObject(obj))
    return NULL;
  return cJSON_GetObjectItemCaseSensitive(obj, name);
}

static const char *get_str(const cJSON *obj, const char *name) {
  const cJSON *item = get_item(obj, name);
  return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* Copies src into dst (size cap) without cutting a UTF-8 sequence. */
static void copy_truncated(char *dst, size_t cap, const char *src) {
  size_t n = strlen(src);
  if (n >= cap) {
    n = cap - 1;
    /* src[n] is the first byte left out; if it continues a sequence, drop
     * that sequence's leading bytes too. */
    while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
      n--;
  }
  memcpy(dst, src, n);
  dst[n] = '\0';
}

static int parse_fail(dap_parse_error_t *err, const char *reason) {
  if (err != NULL)
    copy_truncated(err->reason, sizeof(err->reason), reason);
  return DAPPER_EINVAL;
}

static int is_json_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Checks the per-type required fields. Returns NULL or the reason. */
static const char *check_fields(const cJSON *msg, dap_msg_kind_t kind) {
  long long n;
  switch (kind) {
  case DAP_MSG_REQUEST: {
    if (get_str(msg, "command") == NULL)
      return "request has no \"command\"";
    const cJSON *args = get_item(msg, "arguments");
    if (args != NULL && !cJSON_IsObject(args) && !cJSON_IsNull(args))
      return "\"arguments\" must be an object";
    return NULL;
  }
  case DAP_MSG_RESPONSE:
    if (!json_integer(get_item(msg, "request_seq"), &n) || n < 0)
      return "response has no valid \"request_seq\"";
    if (!cJSON_IsBool(get_item(msg, "success")))
      return "response has no boolean \"success\"";
    if (get_str(msg, "command") == NULL)
      return "response has no \"command\"";
    return NULL;
  case DAP_MSG_EVENT:
    if (get_str(msg, "event") == NULL)
      return "event has no \"event\"";
    return NULL;
  }
  return "missing or invalid \"type\"";
}

int dap_msg_parse(const char *body, size_t len, cJSON **out,
                  dap_msg_kind_t *kind, dap_parse_error_t *err) {
  if (out != NULL)
    *out = NULL;
  if (err != NULL) {
    err->seq = -1;
    err->command[0] = '\0';
    err->reason[0] = '\0';
  }
  if (out == NULL || kind == NULL)
    return parse_fail(err, "invalid arguments to dap_msg_parse");
  if (body == NULL || len == 0)
    return parse_fail(err, "body is not valid JSON");

  const char *end = NULL;
  cJSON *msg = cJSON_ParseWithLengthOpts(body, len, &end, 0);
  if (msg == NULL)
    return parse_fail(err, "body is not valid JSON");
  /* cJSON stops after the first value: only whitespace may follow. */
  for (const char *p = end; p < body + len; p++) {
    if (!is_json_space(*p)) {
      cJSON_Delete(msg);
      return parse_fail(err, "body is not valid JSON");
    }
  }
  if (!cJSON_IsObject(msg)) {
    cJSON_Delete(msg);
    return parse_fail(err, "message is not a JSON object");
  }

  /* Capture what an error response would need before validating. */
  long long seq = -1;
  int seq_ok = json_integer(get_item(msg, "seq"), &seq) && seq >= 0;
  const char *command = get_str(msg, "command");
  if (err != NULL) {
    err->seq = seq_ok ? seq : -1;
    if (command != NULL)
      copy_truncated(err->command, sizeof(err->command), command);
  }

  const char *reason = NULL;
  dap_msg_kind_t k = DAP_MSG_REQUEST;
  const char *type = get_str(msg, "type");
  if (!seq_ok) {
    reason = "missing or invalid \"seq\"";
  } else if (type == NULL) {
    reason = "missing or invalid \"type\"";
  } else if (strcmp(type, "request") == 0) {
    k = DAP_MSG_REQUEST;
  } else if (strcmp(type, "response") == 0) {
    k = DAP_MSG_RESPONSE;
  } else if (strcmp(type, "event") == 0) {
    k = DAP_MSG_EVENT;
  } else {
    reason = "missing or invalid \"type\"";
  }
  if (reason == NULL)
    reason = check_fields(msg, k);
  if (reason != NULL) {
    cJSON_Delete(msg);
    return parse_fail(err, reason);
  }
  *out = msg;
  *kind = k;
  return 0;
}

/* Returns a new object {"type": type}, or NULL. */
static cJSON *new_envelope(const char *type) {
  cJSON *msg = cJSON_CreateObject();
  if (msg == NULL)
    return NULL;
  if (cJSON_AddStringToObject(msg, "type", type) == NULL) {
    cJSON_Delete(msg);
    return NULL;
  }
  return msg;
}

/* Adds `item` (consumed) under `name`; NULL item is a no-op success.
 * Returns 0 or DAPPER_ENOMEM (item freed). */
static int add_consumed(cJSON *msg, const char *name, cJSON *item) {
  if (item == NULL)
    return 0;
  if (!cJSON_AddItemToObject(msg, name, item)) {
    cJSON_Delete(item);
    return DAPPER_ENOMEM;
  }
  return 0;
}

cJSON *dap_msg_request(const char *command, cJSON *args) {
  cJSON *msg = command != NULL ? new_envelope("request") : NULL;
  if (msg == NULL || cJSON_AddStringToObject(msg, "command", command) == NULL)
    goto error;
  if (add_consumed(msg, "arguments", args) != 0) {
    args = NULL;
    goto error;
  }
  return msg;

error:
  cJSON_Delete(args);
  cJSON_Delete(msg);
  return NULL;
}

cJSON *dap_msg_event(const char *event, cJSON *body) {
  cJSON *msg = event != NULL ? new_envelope("event") : NULL;
  if (msg == NULL || cJSON_AddStringToObject(msg, "event", event) == NULL)
    goto error;
  if (add_consumed(msg, "body", body) != 0) {
    body = NULL;
    goto error;
  }
  return msg;

error:
  cJSON_Delete(body);
  cJSON_Delete(msg);
  return NULL;
}

/* {"type":"response","request_seq":..,"success":..,"command":..}. */
static cJSON *new_response(long long request_seq, bool success,
                           const char *command) {
  cJSON *msg = new_envelope("response");
  if (msg == NULL)
    return NULL;
  if (cJSON_AddNumberToObject(msg, "request_seq", (double)request_seq) == NULL ||
      cJSON_AddBoolToObject(msg, "success", success) == NULL ||
      cJSON_AddStringToObject(msg, "command", command != NULL ? command : "") ==
          NULL) {
    cJSON_Delete(msg);
    return NULL;
  }
  return msg;
}

cJSON *dap_msg_response(const cJSON *request, cJSON *body) {
  long long seq = 0;
  if (request == NULL || !json_integer(get_item(request, "seq"), &seq))
    seq = 0;
  cJSON *msg = new_response(seq, true, get_str(request, "command"));
  if (msg == NULL || add_consumed(msg, "body", body) != 0) {
    if (msg == NULL)
      cJSON_Delete(body);
    cJSON_Delete(msg);
    return NULL;
  }
  return msg;
}

/* The text goes into both "message" and error.format verbatim. DAP clients
 * substitute {name} placeholders of `format` from error.variables; we send
 * no variables, and VS Code leaves an unknown {name} as is, so braces in the
 * text (a dict repr, say) are shown unchanged. */
cJSON *dap_msg_error_response(long long request_seq, const char *command,
                              int id, const char *fmt, ...) {
  char small[256];
  char *text = small;
  cJSON *msg = NULL;
  cJSON *body = NULL;
  cJSON *error = NULL;

  if (fmt == NULL) {
    small[0] = '\0';
  } else {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
      small[0] = '\0';
    } else if ((size_t)n >= sizeof(small)) {
      text = malloc((size_t)n + 1);
      if (text == NULL)
        return NULL;
      va_start(ap, fmt);
      vsnprintf(text, (size_t)n + 1, fmt, ap);
      va_end(ap);
    }
  }

  msg = new_response(request_seq, false, command);
  if (msg == NULL || cJSON_AddStringToObject(msg, "message", text) == NULL)
    goto error;
  body = cJSON_AddObjectToObject(msg, "body");
  error = body != NULL ? cJSON_AddObjectToObject(body, "error") : NULL;
  if (error == NULL || cJSON_AddNumberToObject(error, "id", id) == NULL ||
      cJSON_AddStringToObject(error, "format", text) == NULL ||
      cJSON_AddTrueToObject(error, "showUser") == NULL)
    goto error;
  if (text != small)
    free(text);
  return msg;

error:
  if (text != small)
    free(text);
  cJSON_Delete(msg);
  return NULL;
}

/* Puts "seq" first in msg with the given value, removing any existing one
 * (so logs read {"seq":..,"type":..}). */
static int stamp_seq(cJSON *msg, long long seq) {
  while (cJSON_GetObjectItemCaseSensitive(msg, "seq") != NULL)
    cJSON_DeleteItemFromObjectCaseSensitive(msg, "seq");
  cJSON *item = cJSON_AddNumberToObject(msg, "seq", (double)seq);
  if (item == NULL)
    return DAPPER_ENOMEM;
  /* Move it to the front; the detached item keeps its key. */
  if (msg->child != item) {
    cJSON_DetachItemViaPointer(msg, item);
    if (!cJSON_InsertItemInArray(msg, 0, item)) {
      cJSON_Delete(item);
      return DAPPER_ENOMEM;
    }
  }
  return 0;
}

/* ---- serialising ---------------------------------------------------------
 * cJSON_PrintUnformatted's output, byte for byte, but integers below 1e15
 * (every number of the protocol: seq, ids, lines, counts) are written
 * without sprintf: cJSON 1.7.15 formats every number with "%1.15g" and
 * reads it back with sscanf, two thirds of the cost of serialising a
 * `stopped` event. Other numbers take cJSON's way. */
typedef struct {
  char *buf;
  size_t len, cap;
} jbuf_t;

static int jb_reserve(jbuf_t *b, size_t n) {
  if (b->cap - b->len > n)
    return 0;
  size_t cap = b->cap > 0 ? b->cap : 256;
  while (cap - b->len <= n) {
    if (cap > SIZE_MAX / 2)
      return -1;
    cap *= 2;
  }
  char *p = realloc(b->buf, cap);
  if (p == NULL)
    return -1;
  b->buf = p;
  b->cap = cap;
  return 0;
}

static int jb_put(jbuf_t *b, const char *s, size_t n) {
  if (jb_reserve(b, n) != 0)
    return -1;
  memcpy(b->buf + b->len, s, n);
  b->len += n;
  return 0;
}

static int jb_string(jbuf_t *b, const char *s) {
  if (s == NULL)
    return jb_put(b, "\"\"", 2);
  if (jb_put(b, "\"", 1) != 0)
    return -1;
  const unsigned char *p = (const unsigned char *)s, *run = p;
  for (;; p++) {
    unsigned char c = *p;
    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    if (jb_put(b, (const char *)run, (size_t)(p - run)) != 0)
      return -1;
    if (c == '\0')
      break;
    char esc[8];
    const char *e = esc;
    size_t n = 2;
    switch (c) {
    case '"': e = "\\\""; break;
    case '\\': e = "\\\\"; break;
    case '\b': e = "\\b"; break;
    case '\f': e = "\\f"; break;
    case '\n': e = "\\n"; break;
    case '\r': e = "\\r"; break;
    case '\t': e = "\\t"; break;
    default: n = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", c); break;
    }
    if (jb_put(b, e, n) != 0)
      return -1;
    run = p + 1;
  }
  return jb_put(b, "\"", 1);
}

/* cJSON's test that a printed number reads back as the same double. */
static int json_close(double a, double b) {
  double max = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
  return fabs(a - b) <= max * DBL_EPSILON;
}

static int jb_number(jbuf_t *b, double d) {
  char tmp[32];
  int n = 0;
  if (isnan(d) || isinf(d)) {
    n = snprintf(tmp, sizeof(tmp), "null");
  } else if (d > -1e15 && d < 1e15 && (double)(long long)d == d &&
             (d != 0 || !signbit(d))) {
    long long v = (long long)d;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    char *end = tmp + sizeof(tmp), *q = end;
    do {
      *--q = (char)('0' + u % 10);
      u /= 10;
    } while (u != 0);
    if (v < 0)
      *--q = '-';
    return jb_put(b, q, (size_t)(end - q));
  } else {
    double test = 0;
    n = snprintf(tmp, sizeof(tmp), "%1.15g", d);
    if (sscanf(tmp, "%lg", &test) != 1 || !json_close(test, d))
      n = snprintf(tmp, sizeof(tmp), "%1.17g", d);
  }
  if (n < 0 || (size_t)n >= sizeof(tmp))
    return -1;
  return jb_put(b, tmp, (size_t)n);
}

static int jb_value(jbuf_t *b, const cJSON *item) {
  switch (item->type & 0xFF) {
  case cJSON_NULL:
    return jb_put(b, "null", 4);
  case cJSON_False:
    return jb_put(b, "false", 5);
  case cJSON_True:
    return jb_put(b, "true", 4);
  case cJSON_Number:
    return jb_number(b, item->valuedouble);
  case cJSON_String:
    return jb_string(b, item->valuestring);
  case cJSON_Raw:
    return item->valuestring == NULL
               ? -1
               : jb_put(b, item->valuestring, strlen(item->valuestring));
  case cJSON_Array:
  case cJSON_Object: {
    int object = (item->type & 0xFF) == cJSON_Object;
    if (jb_put(b, object ? "{" : "[", 1) != 0)
      return -1;
    for (const cJSON *c = item->child; c != NULL; c = c->next) {
      if (c != item->child && jb_put(b, ",", 1) != 0)
        return -1;
      if (object) {
        if (jb_string(b, c->string) != 0 || jb_put(b, ":", 1) != 0)
          return -1;
      }
      if (jb_value(b, c) != 0)
        return -1;
    }
    return jb_put(b, object ? "}" : "]", 1);
  }
  default:
    return -1;
  }
}

char *dap_json_print(const cJSON *item) {
  jbuf_t b = {NULL, 0, 0};
  if (item == NULL || jb_value(&b, item) != 0 || jb_reserve(&b, 1) != 0) {
    free(b.buf);
    return NULL;
  }
  b.buf[b.len] = '\0';
  return b.buf;
}

int dap_msg_frame(cJSON *msg, long long seq, char **out, size_t *out_len) {
  if (out != NULL)
    *out = NULL;
  if (out_len != NULL)
    *out_len = 0;
  if (msg == NULL || !cJSON_IsObject(msg) || out == NULL)
    return DAPPER_EINVAL;
  int rc = stamp_seq(msg, seq);
  if (rc != 0)
    return rc;

  char *json = dap_json_print(msg);
  if (json == NULL)
    return DAPPER_ENOMEM;
  size_t json_len = strlen(json);
  char header[48];
  int hn = snprintf(header, sizeof(header), "Content-Length: %zu\r\n\r\n",
                    json_len);
  if (hn < 0 || (size_t)hn >= sizeof(header) ||
      json_len > SIZE_MAX - (size_t)hn - 1) {
    free(json);
    return DAPPER_ENOMEM;
  }
  size_t total = (size_t)hn + json_len;
  char *buf = malloc(total + 1);
  if (buf == NULL) {
    free(json);
    return DAPPER_ENOMEM;
  }
  memcpy(buf, header, (size_t)hn);
  memcpy(buf + hn, json, json_len + 1);
  free(json);
  *out = buf;
  if (out_len != NULL)
    *out_len = total;
  return 0;
}

/* Typed helpers. A non-object `obj` has no keys: everything is absent. */

int dap_get_string(const cJSON *obj, const char *name, const char **out) {
  if (name == NULL)
    return DAPPER_EINVAL;
  const cJSON *item = get_item(obj, name);
  if (item == NULL || cJSON_IsNull(item))
    return 1;
  if (!cJSON_IsString(item) || item->valuestring == NULL)
    return DAPPER_EINVAL;
  if (out != NULL)
    *out = item->valuestring;
  return 0;
}

int dap_get_bool(const cJSON *obj, const char *name, bool *out) {
  if (name == NULL)
    return DAPPER_EINVAL;
  const cJSON *item = get_item(obj, name);
  if (item == NULL || cJSON_IsNull(item))
    return 1;
  if (!cJSON_IsBool(item))
    return DAPPER_EINVAL;
  if (out != NULL)
    *out = cJSON_IsTrue(item);
  return 0;
}

int dap_get_int(const cJSON *obj, const char *name, long long *out) {
  if (name == NULL)
    return DAPPER_EINVAL;
  const cJSON *item = get_item(obj, name);
  if (item == NULL || cJSON_IsNull(item))
    return 1;
  long long v;
  if (!json_integer(item, &v))
    return DAPPER_EINVAL;
  if (out != NULL)
    *out = v;
  return 0;
}

int dap_get_object(const cJSON *obj, const char *name, const cJSON **out) {
  if (name == NULL)
    return DAPPER_EINVAL;
  const cJSON *item = get_item(obj, name);
  if (item == NULL || cJSON_IsNull(item))
    return 1;
  if (!cJSON_IsObject(item))
    return DAPPER_EINVAL;
  if (out != NULL)
    *out = item;
  return 0;
}

int dap_get_array(const cJSON *obj, const char *name, const cJSON **out) {
  if (name == NULL)
    return DAPPER_EINVAL;
  const cJSON *item = get_item(obj, name);
  if (item == NULL || cJSON_IsNull(item))
    return 1;
  if (!cJSON_IsArray(item))
    return DAPPER_EINVAL;
  if (out != NULL)
    *out = item;
  return 0;
}

/* UTF-8 (RFC 3629 / Unicode ch. 3, table 3-7). */

enum utf8_class { UTF8_OK, UTF8_BAD, UTF8_TRUNC };

/* Classifies the sequence starting at s[0] (n >= 1 bytes available) and
 * stores in *k its length (OK), the length of the maximal invalid subpart
 * to replace by one U+FFFD (BAD), or the bytes present of a valid but
 * incomplete sequence cut by the end of input (TRUNC). NUL is BAD. */
static enum utf8_class utf8_classify(const unsigned char *s, size_t n,
                                     size_t *k) {
  unsigned char b = s[0];
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;
  *k = 1;
  if (b < 0x80)
    return b == 0 ? UTF8_BAD : UTF8_OK;
  if (b >= 0xC2 && b <= 0xDF) {
    need = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    need = 3;
    if (b == 0xE0)
      lo = 0xA0; /* no overlongs */
    else if (b == 0xED)
      hi = 0x9F; /* no surrogates */
  } else if (b >= 0xF0 && b <= 0xF4) {
    need = 4;
    if (b == 0xF0)
      lo = 0x90; /* no overlongs */
    else if (b == 0xF4)
      hi = 0x8F; /* nothing above U+10FFFF */
  } else {
    return UTF8_BAD; /* continuation byte, C0, C1, F5..FF */
  }
  for (size_t j = 1; j < need; j++) {
    if (j >= n) {
      *k = j;
      return UTF8_TRUNC;
    }
    unsigned char c = s[j];
    if (c < (j == 1 ? lo : 0x80) || c > (j == 1 ? hi : 0xBF)) {
      *k = j;
      return UTF8_BAD;
    }
  }
  *k = need;
  return UTF8_OK;
}

/* One pass of dap_utf8_sanitize: writes to out if not NULL, returns the
 * output length; stores the held-back tail length in *tail. */
static size_t utf8_pass(const unsigned char *in, size_t len, bool keep_tail,
                        char *out, size_t *tail) {
  static const char replacement[3] = {'\xEF', '\xBF', '\xBD'};
  size_t i = 0, o = 0;
  *tail = 0;
  while (i < len) {
    size_t run = i;
    while (run < len && in[run] >= 0x01 && in[run] < 0x80)
      run++;
    if (run > i) {
      if (out != NULL)
        memcpy(out + o, in + i, run - i);
      o += run - i;
      i = run;
      continue;
    }
    size_t k;
    enum utf8_class cls = utf8_classify(in + i, len - i, &k);
    if (cls == UTF8_OK) {
      if (out != NULL)
        memcpy(out + o, in + i, k);
      o += k;
    } else if (cls == UTF8_TRUNC && keep_tail) {
      *tail = k; /* k == len - i: the rest of the input */
    } else {
      if (out != NULL)
        memcpy(out + o, replacement, sizeof(replacement));
      o += sizeof(replacement);
    }
    i += k;
  }
  return o;
}

char *dap_utf8_sanitize(const char *in, size_t len, bool keep_tail,
                        size_t *out_len, size_t *tail_len) {
  const unsigned char *s = (const unsigned char *)in;
  size_t tail = 0;
  if (in == NULL)
    len = 0;
  if (len > (SIZE_MAX - 1) / 3)
    return NULL; /* the output could not be sized */
  size_t n = utf8_pass(s, len, keep_tail, NULL, &tail);
  char *out = malloc(n + 1);
  if (out == NULL)
    return NULL;
  utf8_pass(s, len, keep_tail, out, &tail);
  out[n] = '\0';
  if (out_len != NULL)
    *out_len = n;
  if (tail_len != NULL)
    *tail_len = tail;
  return out;
}
