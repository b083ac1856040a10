/* Incremental Content-Length framer. See dapper/framer.h.
 *
 * The framer is a two-state machine:
 *
 *   HEADER  bytes are scanned one at a time into `line` until "\r\n"; each
 *           complete line is interpreted at once, so nothing is rescanned.
 *           An empty line ends the header block. The whole block (every
 *           line with its CRLF, including the final empty one) is capped at
 *           DAP_FRAMER_MAX_HEADER bytes.
 *   BODY    bytes are memcpy'd into `body`, which is grown to exactly the
 *           declared Content-Length (+1 for the NUL) when the header ends;
 *           an over-limit length fails right there, before any body byte is
 *           buffered.
 *
 * Stop and resume. When the callback returns non-zero, the bytes of the
 * current feed that follow the delivered body are copied into `stash` and
 * dap_framer_feed returns the callback's value. The next feed (possibly
 * feed(fr, NULL, 0, ...)) first appends its own bytes behind the stash and
 * then processes the stash from `stash_off`, so the byte order is preserved
 * even if the callback stops again. The stash is consumed by advancing
 * `stash_off` (no memmove per message); it is compacted lazily when new
 * bytes are appended (see stash_append).
 *
 * Re-entrancy: the callback must not feed or free the framer it is called
 * from. A nested dap_framer_feed is refused with DAPPER_EINVAL (the framer is
 * not poisoned). */
#include "dapper/framer.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAP_FRAMER_MAX_HEADER 8192u
/* A body buffer larger than this is released after its message instead of
 * being kept for reuse, so one big message does not pin memory forever. */
#define DAP_FRAMER_KEEP_BODY (1u << 20)

enum dap_framer_state {
  DAP_FRAMER_HEADER,
  DAP_FRAMER_BODY,
};

struct dap_framer {
  size_t max_body;
  enum dap_framer_state state;
  int error;            /* 0, or the negative code the framer is poisoned with */
  char reason[128];     /* why, when error != 0 */
  int in_feed;          /* guards against a nested feed from the callback */

  /* Header section. */
  char line[DAP_FRAMER_MAX_HEADER];
  size_t line_len;      /* bytes of the current line, CR included */
  size_t header_total;  /* bytes of the current header block so far */
  int have_length;
  size_t content_length;

  /* Body section. */
  char *body;
  size_t body_cap;      /* allocated bytes of body */
  size_t body_got;      /* body bytes received so far */

  /* Unread bytes kept when the callback stopped a feed. */
  char *stash;
  size_t stash_cap;
  size_t stash_len;
  size_t stash_off;
};

dap_framer_t *dap_framer_new(size_t max_body) {
  dap_framer_t *fr = calloc(1, sizeof(*fr));
  if (fr == NULL)
    return NULL;
  fr->max_body = max_body;
  fr->state = DAP_FRAMER_HEADER;
  return fr;
}

void dap_framer_free(dap_framer_t *fr) {
  if (fr == NULL)
    return;
  free(fr->body);
  free(fr->stash);
  free(fr);
}

const char *dap_framer_error(const dap_framer_t *fr) {
  if (fr == NULL || fr->error == 0)
    return NULL;
  return fr->reason;
}

size_t dap_framer_pending(const dap_framer_t *fr) {
  if (fr == NULL)
    return 0;
  size_t n = fr->stash_len - fr->stash_off;
  if (fr->state == DAP_FRAMER_HEADER)
    n += fr->header_total;
  else
    n += fr->header_total + fr->body_got;
  return n;
}

/* Poisons the framer with `code` and a printf-style reason; returns code. */
static int framer_fail(dap_framer_t *fr, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int framer_fail(dap_framer_t *fr, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(fr->reason, sizeof(fr->reason), fmt, ap);
  va_end(ap);
  fr->error = code;
  return code;
}

static int ascii_lower(int c) {
  return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static int name_equals(const char *name, size_t len, const char *want) {
  size_t i = 0;
  for (; i < len; i++) {
    if (want[i] == '\0' || ascii_lower((unsigned char)name[i]) != want[i])
      return 0;
  }
  return want[i] == '\0';
}

/* Parses a Content-Length value (already trimmed). Returns 0 and stores it,
 * or poisons the framer. */
static int parse_length(dap_framer_t *fr, const char *v, size_t n,
                        size_t *out) {
  if (n == 0)
    return framer_fail(fr, DAPPER_EFRAMING, "empty Content-Length");
  if (v[0] == '-')
    return framer_fail(fr, DAPPER_EFRAMING, "negative Content-Length");
  size_t value = 0;
  for (size_t i = 0; i < n; i++) {
    if (v[i] < '0' || v[i] > '9')
      return framer_fail(fr, DAPPER_EFRAMING, "invalid Content-Length \"%.*s\"",
                         (int)(n > 32 ? 32 : n), v);
    size_t digit = (size_t)(v[i] - '0');
    /* SIZE_MAX itself is refused too: body needs length + 1 bytes. */
    if (value > (SIZE_MAX - 1 - digit) / 10)
      return framer_fail(fr, DAPPER_EFRAMING, "Content-Length out of range");
    value = value * 10 + digit;
  }
  *out = value;
  return 0;
}

/* Interprets one complete header line (without its CRLF). */
static int header_line(dap_framer_t *fr, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if ((c < 0x20 && c != '\t') || c == 0x7f)
      return framer_fail(fr, DAPPER_EFRAMING,
                         "control character 0x%02x in header line", c);
  }
  const char *colon = memchr(s, ':', n);
  if (colon == NULL)
    return framer_fail(fr, DAPPER_EFRAMING, "header line without ':'");
  size_t name_len = (size_t)(colon - s);
  if (name_len == 0)
    return framer_fail(fr, DAPPER_EFRAMING, "header line with an empty name");
  if (!name_equals(s, name_len, "content-length"))
    return 0; /* Content-Type and friends are ignored. */

  const char *v = colon + 1;
  size_t vn = n - name_len - 1;
  while (vn > 0 && (v[0] == ' ' || v[0] == '\t')) {
    v++;
    vn--;
  }
  while (vn > 0 && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
    vn--;

  size_t length = 0;
  int rc = parse_length(fr, v, vn, &length);
  if (rc != 0)
    return rc;
  if (fr->have_length && fr->content_length != length)
    return framer_fail(fr, DAPPER_EFRAMING,
                       "conflicting Content-Length headers (%zu and %zu)",
                       fr->content_length, length);
  fr->have_length = 1;
  fr->content_length = length;
  return 0;
}

/* Called when the empty line ending the header block has been read. */
static int header_done(dap_framer_t *fr) {
  if (!fr->have_length)
    return framer_fail(fr, DAPPER_EFRAMING, "missing Content-Length header");
  if (fr->content_length > fr->max_body)
    return framer_fail(fr, DAPPER_ETOOLARGE,
                       "message body of %zu bytes exceeds the limit of %zu",
                       fr->content_length, fr->max_body);
  size_t need = fr->content_length + 1; /* no overflow: see parse_length */
  if (need > fr->body_cap) {
    /* Exactly the declared size: growth is bounded by the header. free +
     * malloc rather than realloc: the old contents are not needed. */
    free(fr->body);
    fr->body = malloc(need);
    fr->body_cap = fr->body == NULL ? 0 : need;
    if (fr->body == NULL)
      return framer_fail(fr, DAPPER_ENOMEM,
                         "out of memory for a body of %zu bytes",
                         fr->content_length);
  }
  fr->body_got = 0;
  fr->state = DAP_FRAMER_BODY;
  return 0;
}

/* Hands the complete body to the callback and resets for the next header.
 * Returns the callback's value. */
static int deliver(dap_framer_t *fr, dap_framer_cb cb, void *ud) {
  size_t len = fr->content_length;
  fr->body[len] = '\0';
  fr->state = DAP_FRAMER_HEADER;
  fr->line_len = 0;
  fr->header_total = 0;
  fr->have_length = 0;
  fr->content_length = 0;
  fr->body_got = 0;
  int rc = cb != NULL ? cb(ud, fr->body, len) : 0;
  if (fr->body_cap > DAP_FRAMER_KEEP_BODY) {
    free(fr->body);
    fr->body = NULL;
    fr->body_cap = 0;
  }
  return rc;
}

/* Processes up to n bytes. Stores in *used how many were consumed and
 * returns 0 (all consumed), the callback's non-zero value, or a negative
 * framing code (framer poisoned). */
static int process(dap_framer_t *fr, const char *p, size_t n, size_t *used,
                   dap_framer_cb cb, void *ud) {
  size_t i = 0;
  int rc = 0;
  while (i < n) {
    if (fr->state == DAP_FRAMER_HEADER) {
      char c = p[i++];
      if (++fr->header_total > DAP_FRAMER_MAX_HEADER) {
        rc = framer_fail(fr, DAPPER_EFRAMING,
                         "header too long (more than %u bytes)",
                         DAP_FRAMER_MAX_HEADER);
        break;
      }
      if (c != '\n') {
        /* Fits: line_len < header_total <= DAP_FRAMER_MAX_HEADER. */
        fr->line[fr->line_len++] = c;
        continue;
      }
      if (fr->line_len == 0 || fr->line[fr->line_len - 1] != '\r') {
        rc = framer_fail(fr, DAPPER_EFRAMING,
                         "header line not terminated by CRLF");
        break;
      }
      size_t line_len = fr->line_len - 1;
      fr->line_len = 0;
      rc = line_len == 0 ? header_done(fr) : header_line(fr, fr->line, line_len);
      if (rc != 0)
        break;
      if (fr->state == DAP_FRAMER_BODY && fr->content_length == 0) {
        rc = deliver(fr, cb, ud);
        if (rc != 0)
          break;
      }
    } else {
      size_t want = fr->content_length - fr->body_got;
      size_t take = n - i < want ? n - i : want;
      memcpy(fr->body + fr->body_got, p + i, take);
      fr->body_got += take;
      i += take;
      if (fr->body_got == fr->content_length) {
        rc = deliver(fr, cb, ud);
        if (rc != 0)
          break;
      }
    }
  }
  *used = i;
  return rc;
}

/* Appends bytes to the stash. The consumed prefix is dropped only when the
 * space is needed or it is at least as long as what is left, so the copying
 * stays linear overall. */
static int stash_append(dap_framer_t *fr, const char *data, size_t len) {
  size_t left = fr->stash_len - fr->stash_off;
  if (fr->stash_off > 0 &&
      (len > fr->stash_cap - fr->stash_len || fr->stash_off >= left)) {
    memmove(fr->stash, fr->stash + fr->stash_off,
            fr->stash_len - fr->stash_off);
    fr->stash_len -= fr->stash_off;
    fr->stash_off = 0;
  }
  if (len == 0)
    return 0;
  if (len > SIZE_MAX - fr->stash_len)
    return DAPPER_ENOMEM;
  size_t need = fr->stash_len + len;
  if (need > fr->stash_cap) {
    size_t cap = fr->stash_cap < 256 ? 256 : fr->stash_cap;
    while (cap < need)
      cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(fr->stash, cap);
    if (p == NULL)
      return DAPPER_ENOMEM;
    fr->stash = p;
    fr->stash_cap = cap;
  }
  memcpy(fr->stash + fr->stash_len, data, len);
  fr->stash_len += len;
  return 0;
}

static void stash_clear(dap_framer_t *fr) {
  fr->stash_len = 0;
  fr->stash_off = 0;
  if (fr->stash_cap > DAP_FRAMER_KEEP_BODY) {
    free(fr->stash);
    fr->stash = NULL;
    fr->stash_cap = 0;
  }
}

int dap_framer_feed(dap_framer_t *fr, const char *data, size_t len,
                    dap_framer_cb cb, void *ud) {
  if (fr == NULL || (data == NULL && len > 0))
    return DAPPER_EINVAL;
  if (fr->error != 0)
    return fr->error;
  if (fr->in_feed)
    return DAPPER_EINVAL;

  size_t used = 0;
  int rc;
  fr->in_feed = 1;
  if (fr->stash_len > fr->stash_off) {
    /* Earlier bytes first: queue this feed's bytes behind them. */
    if (stash_append(fr, data, len) != 0) {
      fr->in_feed = 0;
      return framer_fail(fr, DAPPER_ENOMEM, "out of memory");
    }
    rc = process(fr, fr->stash + fr->stash_off, fr->stash_len - fr->stash_off,
                 &used, cb, ud);
    fr->stash_off += used;
    if (fr->stash_off == fr->stash_len)
      stash_clear(fr);
  } else {
    rc = process(fr, data, len, &used, cb, ud);
    if (rc != 0 && fr->error == 0) {
      /* Stopped by the callback: keep the rest for later. */
      if (stash_append(fr, data + used, len - used) != 0)
        rc = framer_fail(fr, DAPPER_ENOMEM, "out of memory");
    }
  }
  fr->in_feed = 0;
  return rc;
}
