/* DAP message envelopes on cJSON: parsing and classifying incoming messages,
 * building requests, responses, events and error responses, and serializing
 * a message into its Content-Length frame. Used by the adapter (DAP) and by
 * both ends of the adapter<->runtime wire, which uses the same envelopes.
 *
 * Ownership: every function that takes a `cJSON *body` or `cJSON *args`
 * consumes it (it becomes part of the returned tree, or is freed on
 * failure). Returned trees belong to the caller (cJSON_Delete). */
#ifndef DAPPER_MESSAGE_H
#define DAPPER_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "dapper/errors.h"

typedef enum {
  DAP_MSG_REQUEST,
  DAP_MSG_RESPONSE,
  DAP_MSG_EVENT,
} dap_msg_kind_t;

/* What dap_msg_parse learned about a body it could not accept. */
typedef struct {
  long long seq;       /* the message's seq if it had a numeric one, else -1 */
  char command[64];    /* its "command" if it had a string one, else "" */
  char reason[160];    /* what was wrong, human-readable */
} dap_parse_error_t;

/* Parses one message body. On success returns 0, stores the tree in *out
 * (caller owns it) and its kind in *kind. A valid message is a JSON object
 * with an integer "seq" >= 0 and "type" one of request/response/event;
 * a request needs a string "command" and, if present, an object (or null)
 * "arguments"; a response needs integer "request_seq", boolean "success"
 * and string "command"; an event needs string "event".
 * On failure returns DAPPER_EINVAL, *out is NULL, and err (if not NULL) is
 * filled in. */
int dap_msg_parse(const char *body, size_t len, cJSON **out,
                  dap_msg_kind_t *kind, dap_parse_error_t *err);

/* Builders. "seq" is not set here: the sender stamps it (dap_msg_frame). */
cJSON *dap_msg_request(const char *command, cJSON *args);
cJSON *dap_msg_event(const char *event, cJSON *body);
/* A success response to `request` (borrowed: its seq and command are
 * copied; a missing seq gives request_seq 0, a missing command ""). body may
 * be NULL. The builders return NULL when out of memory (or when command /
 * event is NULL), after freeing what they consumed. */
cJSON *dap_msg_response(const cJSON *request, cJSON *body);
/* An error response: success false, "message" = the formatted text, and
 * body {"error": {"id": id, "format": text, "showUser": true}}.
 * command may be NULL (then ""). The text goes into `format` verbatim: DAP
 * clients substitute "{name}" from error.variables, which is not sent, and
 * leave unknown placeholders as they are. Returns NULL when out of memory. */
cJSON *dap_msg_error_response(long long request_seq, const char *command,
                              int id, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Stamps msg's "seq" with seq (replacing any; it becomes the first key),
 * serializes it unformatted and returns a malloc'd
 * "Content-Length: N\r\n\r\n<json>" in *out (length in *out_len, no NUL
 * counted; the buffer is NUL-terminated; free it with free()). Does not
 * consume msg, but leaves the new seq in it. Returns 0, DAPPER_ENOMEM, or
 * DAPPER_EINVAL when msg is not a JSON object or out is NULL.
 * Precision: cJSON 1.7.15 prints numbers with 15 significant digits when
 * that reads back within a relative epsilon, so integers (seq or any field)
 * are exact on the wire only up to 10^15 - 1. */
int dap_msg_frame(cJSON *msg, long long seq, char **out, size_t *out_len);

/* cJSON_PrintUnformatted(item)'s text, faster for integers (see
 * dap_msg_frame). NULL when out of memory or item is NULL or has a raw
 * value without text. Free it with free(). */
char *dap_json_print(const cJSON *item);

/* Typed argument helpers: look up `name` in object `obj` (may be NULL).
 * Each returns 0 and stores the value (strings are borrowed from obj),
 * 1 when the key is absent or null (out untouched), or DAPPER_EINVAL when
 * present with the wrong type. */
int dap_get_string(const cJSON *obj, const char *name, const char **out);
int dap_get_bool(const cJSON *obj, const char *name, bool *out);
int dap_get_int(const cJSON *obj, const char *name, long long *out);
/* Object or array: stored borrowed. */
int dap_get_object(const cJSON *obj, const char *name, const cJSON **out);
int dap_get_array(const cJSON *obj, const char *name, const cJSON **out);

/* Replaces bytes that are not valid UTF-8 with U+FFFD. Reads len bytes of in
 * and returns a malloc'd NUL-terminated string (length in *out_len), or NULL
 * when out of memory. Validation is strict (no overlong forms, no surrogates
 * D800-DFFF, nothing above U+10FFFF); each maximal invalid subpart becomes
 * one U+FFFD. NUL bytes are replaced with U+FFFD as well, so the result is a
 * C string usable with cJSON_CreateString.
 * If `keep_tail` is true, an incomplete but so-far-valid multi-byte sequence
 * at the very end is not converted but left out, and its length is stored
 * in *tail_len (0 otherwise) so the caller can prepend it to the next chunk;
 * without keep_tail such a tail becomes one U+FFFD. out_len and tail_len may
 * be NULL. */
char *dap_utf8_sanitize(const char *in, size_t len, bool keep_tail,
                        size_t *out_len, size_t *tail_len);

#endif
