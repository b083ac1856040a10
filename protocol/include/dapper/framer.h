/* Incremental Content-Length framer for DAP and the adapter<->runtime wire.
 *
 * The framer does no I/O: feed it bytes as they arrive (any split, one byte
 * at a time or several messages at once) and it calls back once per complete
 * message body. Header lines are "Name: value\r\n", terminated by an empty
 * line; only Content-Length is interpreted (case-insensitive name), other
 * headers are ignored. Knows neither libuv nor Python. */
#ifndef DAPPER_FRAMER_H
#define DAPPER_FRAMER_H

#include <stddef.h>

#include "dapper/errors.h"

typedef struct dap_framer dap_framer_t;

/* Called for each complete body. `body` is NUL-terminated (body[len] == 0)
 * and valid only during the call. Return 0 to go on; any other value stops
 * dap_framer_feed, which then returns that value (the framer stays usable
 * and the unread bytes of that feed are kept: the next feed, even
 * dap_framer_feed(fr, NULL, 0, ...), processes them first). Return a
 * positive value to stop, so callers can tell it from a framing error. The
 * callback must not feed or free the framer it is called from. */
typedef int (*dap_framer_cb)(void *ud, const char *body, size_t len);

/* Returns a new framer accepting bodies of at most max_body bytes, or NULL
 * when out of memory. The caller owns it; free with dap_framer_free. */
dap_framer_t *dap_framer_new(size_t max_body);
void dap_framer_free(dap_framer_t *fr);

/* Feeds len bytes (data may be NULL when len is 0). Returns 0 when all
 * bytes were consumed, the callback's non-zero value when it asked to stop,
 * or a negative DAPPER_E* code when framing is broken (DAPPER_EFRAMING: bad
 * header line, missing or invalid Content-Length, header too long (8 KiB);
 * DAPPER_ETOOLARGE: body over max_body, detected when the header ends;
 * DAPPER_ENOMEM). After such a code the framer is poisoned: every later feed
 * returns the same code; dap_framer_error tells what was wrong.
 * Misuse (fr NULL, data NULL with len > 0, a feed from inside the callback)
 * returns DAPPER_EINVAL without poisoning; dap_framer_error stays NULL. */
int dap_framer_feed(dap_framer_t *fr, const char *data, size_t len,
                    dap_framer_cb cb, void *ud);

/* Human-readable reason of the last framing error, or NULL if none. */
const char *dap_framer_error(const dap_framer_t *fr);

/* Number of bytes buffered but not yet delivered (partial header or body). */
size_t dap_framer_pending(const dap_framer_t *fr);

#endif
