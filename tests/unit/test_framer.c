/* Unit tests of the Content-Length framer (protocol/src/framer.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dapper/framer.h"
#include "dapper/wire.h"

/* ---- helpers ---------------------------------------------------------- */

#define MAX_BODIES 64

typedef struct {
  char *body[MAX_BODIES];
  size_t len[MAX_BODIES];
  size_t count;
  size_t stop_every;   /* if > 0: return stop_value after every Nth body */
  int stop_value;
  dap_framer_t *fr;    /* for the nested-feed test */
  int nested_rc;
} collector_t;

static int collect(void *ud, const char *body, size_t len) {
  collector_t *c = ud;
  assert_true(c->count < MAX_BODIES);
  assert_int_equal(body[len], '\0');
  c->body[c->count] = malloc(len + 1);
  assert_non_null(c->body[c->count]);
  memcpy(c->body[c->count], body, len + 1);
  c->len[c->count] = len;
  c->count++;
  if (c->stop_every > 0 && c->count % c->stop_every == 0)
    return c->stop_value;
  return 0;
}

static void collector_reset(collector_t *c) {
  for (size_t i = 0; i < c->count; i++)
    free(c->body[i]);
  memset(c, 0, sizeof(*c));
}

/* A growing byte string. */
typedef struct {
  char *p;
  size_t len, cap;
} buf_t;

static void buf_add(buf_t *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    b->cap = (b->len + n + 1) * 2;
    b->p = realloc(b->p, b->cap);
    assert_non_null(b->p);
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static void buf_str(buf_t *b, const char *s) { buf_add(b, s, strlen(s)); }

/* Appends a frame for body with the given header name spelling. */
static void add_frame(buf_t *b, const char *name, const char *extra,
                      const char *body) {
  char hdr[128];
  snprintf(hdr, sizeof(hdr), "%s: %zu\r\n", name, strlen(body));
  if (extra != NULL)
    buf_str(b, extra);
  buf_str(b, hdr);
  buf_str(b, "\r\n");
  buf_str(b, body);
}

static uint64_t rng_state;
static uint64_t rng_next(void) {
  /* xorshift64*: deterministic on every platform. */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 2685821657736338717ull;
}

/* The 20-message stream used by the split tests. */
static const char *const stream_bodies[20] = {
    "{\"seq\":1,\"type\":\"request\",\"command\":\"initialize\"}",
    "",
    "{\"seq\":2,\"type\":\"event\",\"event\":\"output\",\"body\":{\"output\":"
    "\"h\xc3\xa9llo w\xc3\xb6rld \xe2\x82\xac \xf0\x9f\x90\x8d\"}}",
    "x",
    "{\"text\":\"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xd0\xa0\xd1\x83\xd1\x81"
    "\xd1\x81\xd0\xba\xd0\xb8\xd0\xb9 \xd8\xa7\xd9\x84\xd8\xb9\xd8\xb1\xd8\xa8"
    "\xd9\x8a\xd8\xa9\"}",
    "",
    "Content-Length: 99\r\n\r\n", /* a body that looks like a header */
    "{\"a\":[1,2,3]}",
    "\r\n\r\n",
    "",
    "0123456789012345678901234567890123456789012345678901234567890123456789",
    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80",
    "{}",
    "[]",
    "",
    "{\"seq\":3,\"type\":\"response\",\"request_seq\":1,\"success\":true,"
    "\"command\":\"initialize\",\"body\":{}}",
    "\"\"",
    "null",
    "{\"path\":\"C:\\\\dir\\\\f\xc3\xafle.py\"}",
    "end",
};

static void build_stream(buf_t *b) {
  static const char *const names[] = {"Content-Length", "content-length",
                                      "CONTENT-LENGTH", "Content-length"};
  for (size_t i = 0; i < 20; i++) {
    const char *extra = (i % 3 == 0)
                            ? "Content-Type: application/vscode-jsonrpc; "
                              "charset=utf-8\r\n"
                            : NULL;
    add_frame(b, names[i % 4], extra, stream_bodies[i]);
  }
}

static void check_stream(const collector_t *c) {
  assert_int_equal(c->count, 20);
  for (size_t i = 0; i < 20; i++) {
    assert_int_equal(c->len[i], strlen(stream_bodies[i]));
    assert_memory_equal(c->body[i], stream_bodies[i], c->len[i] + 1);
  }
}

/* Feeds the whole input in one call and returns the code. */
static int feed_all(dap_framer_t *fr, const char *s, size_t n,
                    collector_t *c) {
  return dap_framer_feed(fr, s, n, collect, c);
}

/* Feeds byte by byte; returns the first non-zero code (or 0). */
static int feed_bytes(dap_framer_t *fr, const char *s, size_t n,
                      collector_t *c) {
  for (size_t i = 0; i < n; i++) {
    int rc = dap_framer_feed(fr, s + i, 1, collect, c);
    if (rc != 0)
      return rc;
  }
  return 0;
}

/* ---- tests ------------------------------------------------------------ */

static void test_single_message(void **state) {
  dap_framer_t *fr = dap_framer_new(1024);
  collector_t c = {0};
  const char in[] = "Content-Length: 5\r\n\r\nhello";
  assert_int_equal(feed_all(fr, in, sizeof(in) - 1, &c), 0);
  assert_int_equal(c.count, 1);
  assert_int_equal(c.len[0], 5);
  assert_string_equal(c.body[0], "hello");
  assert_int_equal(dap_framer_pending(fr), 0);
  assert_null(dap_framer_error(fr));
  collector_reset(&c);
  dap_framer_free(fr);
}

static void test_stream_one_feed(void **state) {
  buf_t b = {0};
  build_stream(&b);
  dap_framer_t *fr = dap_framer_new(1 << 20);
  collector_t c = {0};
  assert_int_equal(feed_all(fr, b.p, b.len, &c), 0);
  check_stream(&c);
  assert_int_equal(dap_framer_pending(fr), 0);
  collector_reset(&c);
  dap_framer_free(fr);
  free(b.p);
}

static void test_stream_byte_by_byte(void **state) {
  buf_t b = {0};
  build_stream(&b);
  dap_framer_t *fr = dap_framer_new(1 << 20);
  collector_t c = {0};
  size_t delivered = 0;
  for (size_t i = 0; i < b.len; i++) {
    assert_int_equal(dap_framer_feed(fr, b.p + i, 1, collect, &c), 0);
    if (c.count > delivered) {
      delivered = c.count;
      assert_int_equal(dap_framer_pending(fr), 0);
    } else {
      assert_true(dap_framer_pending(fr) > 0);
    }
  }
  check_stream(&c);
  collector_reset(&c);
  dap_framer_free(fr);
  free(b.p);
}

static void test_stream_random_splits(void **state) {
  buf_t b = {0};
  build_stream(&b);
  static const uint64_t seeds[] = {1, 42, 0x9e3779b97f4a7c15ull, 12345,
                                   0xdeadbeef};
  for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
    rng_state = seeds[s];
    for (int round = 0; round < 200; round++) {
      dap_framer_t *fr = dap_framer_new(1 << 20);
      collector_t c = {0};
      size_t i = 0;
      /* Alternate small and large chunk sizes, including empty feeds. */
      size_t max_chunk = (round % 4 == 0) ? 3 : (round % 4 == 1) ? 17 : 200;
      while (i < b.len) {
        size_t n = (size_t)(rng_next() % (max_chunk + 1));
        if (n > b.len - i)
          n = b.len - i;
        assert_int_equal(dap_framer_feed(fr, b.p + i, n, collect, &c), 0);
        i += n;
      }
      check_stream(&c);
      assert_int_equal(dap_framer_pending(fr), 0);
      collector_reset(&c);
      dap_framer_free(fr);
    }
  }
  free(b.p);
}

static void test_two_messages_one_feed(void **state) {
  dap_framer_t *fr = dap_framer_new(64);
  collector_t c = {0};
  const char in[] = "Content-Length: 2\r\n\r\n{}Content-Length: 3\r\n\r\n[1]"
                    "Content-Len";
  assert_int_equal(feed_all(fr, in, sizeof(in) - 1, &c), 0);
  assert_int_equal(c.count, 2);
  assert_string_equal(c.body[0], "{}");
  assert_string_equal(c.body[1], "[1]");
  assert_int_equal(dap_framer_pending(fr), strlen("Content-Len"));
  const char rest[] = "gth: 1\r\n\r\nz";
  assert_int_equal(feed_all(fr, rest, sizeof(rest) - 1, &c), 0);
  assert_int_equal(c.count, 3);
  assert_string_equal(c.body[2], "z");
  collector_reset(&c);
  dap_framer_free(fr);
}

static void test_content_length_zero(void **state) {
  dap_framer_t *fr = dap_framer_new(16);
  collector_t c = {0};
  const char in[] = "Content-Length: 0\r\n\r\nContent-Length: 0\r\n\r\n";
  assert_int_equal(feed_bytes(fr, in, sizeof(in) - 1, &c), 0);
  assert_int_equal(c.count, 2);
  assert_int_equal(c.len[0], 0);
  assert_string_equal(c.body[0], "");
  assert_int_equal(c.len[1], 0);
  collector_reset(&c);
  dap_framer_free(fr);
}

static void test_header_variants(void **state) {
  /* Extra headers ignored, case-insensitive name, optional / several spaces
   * or tabs after the colon, trailing blanks, identical duplicates. */
  static const char *const inputs[] = {
      "Content-Type: application/json\r\nContent-Length: 3\r\n\r\nabc",
      "content-length: 3\r\n\r\nabc",
      "CONTENT-LENGTH:3\r\n\r\nabc",
      "Content-Length:    3  \r\n\r\nabc",
      "Content-Length:\t3\t\r\n\r\nabc",
      "Content-Length: 3\r\nX-Other: Content-Length: 7\r\n\r\nabc",
      "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
      "Content-Length: 003\r\n\r\nabc",
      "X-Empty:\r\nContent-Length: 3\r\n\r\nabc",
  };
  for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
    for (int bytewise = 0; bytewise < 2; bytewise++) {
      dap_framer_t *fr = dap_framer_new(16);
      collector_t c = {0};
      size_t n = strlen(inputs[i]);
      int rc = bytewise ? feed_bytes(fr, inputs[i], n, &c)
                        : feed_all(fr, inputs[i], n, &c);
      if (rc != 0)
        fail_msg("input %zu: rc %d (%s)", i, rc, dap_framer_error(fr));
      assert_int_equal(c.count, 1);
      assert_string_equal(c.body[0], "abc");
      collector_reset(&c);
      dap_framer_free(fr);
    }
  }
}

typedef struct {
  const char *input;
  int code;
  const char *reason; /* substring of dap_framer_error */
} bad_case_t;

static void test_bad_headers(void **state) {
  static const bad_case_t cases[] = {
      {"Content-Type: x\r\n\r\n{}", DAPPER_EFRAMING,
       "missing Content-Length"},
      {"\r\n", DAPPER_EFRAMING, "missing Content-Length"},
      {"Content-Length: abc\r\n\r\n", DAPPER_EFRAMING,
       "invalid Content-Length"},
      {"Content-Length: 12a\r\n\r\n", DAPPER_EFRAMING,
       "invalid Content-Length"},
      {"Content-Length: +5\r\n\r\n", DAPPER_EFRAMING,
       "invalid Content-Length"},
      {"Content-Length: 1 2\r\n\r\n", DAPPER_EFRAMING,
       "invalid Content-Length"},
      {"Content-Length: 0x10\r\n\r\n", DAPPER_EFRAMING,
       "invalid Content-Length"},
      {"Content-Length: -1\r\n\r\n", DAPPER_EFRAMING,
       "negative Content-Length"},
      {"Content-Length: \r\n\r\n", DAPPER_EFRAMING, "empty Content-Length"},
      {"Content-Length:\r\n\r\n", DAPPER_EFRAMING, "empty Content-Length"},
      {"Content-Length: 99999999999999999999\r\n\r\n", DAPPER_EFRAMING,
       "out of range"},
      {"Content-Length: 18446744073709551615\r\n\r\n", DAPPER_EFRAMING,
       "out of range"},
      {"Content-Length: 2\r\nContent-Length: 3\r\n\r\n", DAPPER_EFRAMING,
       "conflicting Content-Length"},
      {"Content-Length 2\r\n\r\n", DAPPER_EFRAMING, "without ':'"},
      {"garbage\r\n", DAPPER_EFRAMING, "without ':'"},
      {": 2\r\n\r\n", DAPPER_EFRAMING, "empty name"},
      {"Content-Length: 2\n\n{}", DAPPER_EFRAMING, "not terminated by CRLF"},
      {"\n", DAPPER_EFRAMING, "not terminated by CRLF"},
      {"Content-Length: 2\r\r\n\r\n{}", DAPPER_EFRAMING, "control character"},
      {"Content-Length: 2\r\nX: a\0b\r\n\r\n{}", DAPPER_EFRAMING,
       "control character"},
      {"Content-Length: 17\r\n\r\n", DAPPER_ETOOLARGE, "exceeds the limit"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    /* The NUL case needs an explicit length. */
    size_t n = strlen(cases[i].input);
    if (strstr(cases[i].input, "X: a") != NULL)
      n = sizeof("Content-Length: 2\r\nX: a\0b\r\n\r\n{}") - 1;
    for (int bytewise = 0; bytewise < 2; bytewise++) {
      dap_framer_t *fr = dap_framer_new(16);
      collector_t c = {0};
      int rc = bytewise ? feed_bytes(fr, cases[i].input, n, &c)
                        : feed_all(fr, cases[i].input, n, &c);
      if (rc != cases[i].code)
        fail_msg("case %zu: rc %d, want %d", i, rc, cases[i].code);
      const char *why = dap_framer_error(fr);
      assert_non_null(why);
      if (strstr(why, cases[i].reason) == NULL)
        fail_msg("case %zu: reason \"%s\", want \"%s\"", i, why,
                 cases[i].reason);
      assert_int_equal(c.count, 0);
      collector_reset(&c);
      dap_framer_free(fr);
    }
  }
}

static void test_header_too_long(void **state) {
  /* One endless line. */
  dap_framer_t *fr = dap_framer_new(16);
  collector_t c = {0};
  char *big = malloc(9000);
  assert_non_null(big);
  memcpy(big, "X-Pad: ", 7);
  memset(big + 7, 'a', 9000 - 7);
  assert_int_equal(feed_all(fr, big, 9000, &c), DAPPER_EFRAMING);
  assert_non_null(strstr(dap_framer_error(fr), "header too long"));
  dap_framer_free(fr);

  /* Many short lines, fed byte by byte: fails at byte 8193. */
  buf_t b = {0};
  while (b.len <= 8192)
    buf_str(&b, "X-A: b\r\n");
  fr = dap_framer_new(16);
  size_t i = 0;
  int rc = 0;
  for (; i < b.len && rc == 0; i++)
    rc = dap_framer_feed(fr, b.p + i, 1, collect, &c);
  assert_int_equal(rc, DAPPER_EFRAMING);
  assert_int_equal(i, 8193);
  assert_non_null(strstr(dap_framer_error(fr), "header too long"));
  dap_framer_free(fr);
  free(b.p);
  free(big);
  collector_reset(&c);
}

static void test_header_at_limit(void **state) {
  /* A header block of exactly 8192 bytes (final CRLF included) is fine. */
  const char tail[] = "Content-Length: 2\r\n\r\n";
  size_t pad = 8192 - (sizeof(tail) - 1) - strlen("X-Pad: \r\n");
  buf_t b = {0};
  buf_str(&b, "X-Pad: ");
  for (size_t i = 0; i < pad; i++)
    buf_str(&b, "p");
  buf_str(&b, "\r\n");
  buf_str(&b, tail);
  assert_int_equal(b.len, 8192);
  buf_str(&b, "{}");
  dap_framer_t *fr = dap_framer_new(16);
  collector_t c = {0};
  assert_int_equal(feed_all(fr, b.p, b.len, &c), 0);
  assert_int_equal(c.count, 1);
  assert_string_equal(c.body[0], "{}");
  dap_framer_free(fr);

  /* One byte more is too long. */
  buf_t b2 = {0};
  buf_str(&b2, "X-Pad: p");
  buf_add(&b2, b.p + 7, b.len - 7);
  fr = dap_framer_new(16);
  assert_int_equal(feed_all(fr, b2.p, b2.len, &c), DAPPER_EFRAMING);
  assert_int_equal(c.count, 1);
  dap_framer_free(fr);
  collector_reset(&c);
  free(b.p);
  free(b2.p);
}

static void test_oversize_detected_at_header(void **state) {
  dap_framer_t *fr = dap_framer_new(100);
  collector_t c = {0};
  /* At the limit is fine. */
  buf_t ok = {0};
  buf_str(&ok, "Content-Length: 100\r\n\r\n");
  for (int i = 0; i < 100; i++)
    buf_str(&ok, "z");
  assert_int_equal(feed_all(fr, ok.p, ok.len, &c), 0);
  assert_int_equal(c.count, 1);
  assert_int_equal(c.len[0], 100);
  /* One over: refused as soon as the header is complete, no body fed. */
  const char hdr[] = "Content-Length: 101\r\n\r\n";
  assert_int_equal(feed_all(fr, hdr, sizeof(hdr) - 1, &c), DAPPER_ETOOLARGE);
  assert_non_null(strstr(dap_framer_error(fr), "101"));
  /* A gigantic declared length is refused the same way. */
  dap_framer_t *fr2 = dap_framer_new(WIRE_MAX_MESSAGE);
  const char huge[] = "Content-Length: 9999999999999\r\n\r\n";
  assert_int_equal(feed_all(fr2, huge, sizeof(huge) - 1, &c),
                   DAPPER_ETOOLARGE);
  dap_framer_free(fr2);
  /* max_body 0: only empty bodies. */
  dap_framer_t *fr3 = dap_framer_new(0);
  const char zero[] = "Content-Length: 0\r\n\r\nContent-Length: 1\r\n\r\n";
  assert_int_equal(feed_all(fr3, zero, sizeof(zero) - 1, &c),
                   DAPPER_ETOOLARGE);
  assert_int_equal(c.count, 2);
  dap_framer_free(fr3);
  collector_reset(&c);
  dap_framer_free(fr);
  free(ok.p);
}

static void test_poisoned_after_error(void **state) {
  dap_framer_t *fr = dap_framer_new(64);
  collector_t c = {0};
  const char bad[] = "Content-Length: x\r\n\r\n";
  assert_int_equal(feed_all(fr, bad, sizeof(bad) - 1, &c), DAPPER_EFRAMING);
  const char *why = dap_framer_error(fr);
  assert_non_null(why);
  char saved[160];
  snprintf(saved, sizeof(saved), "%s", why);
  const char good[] = "Content-Length: 2\r\n\r\n{}";
  assert_int_equal(feed_all(fr, good, sizeof(good) - 1, &c), DAPPER_EFRAMING);
  assert_int_equal(dap_framer_feed(fr, NULL, 0, collect, &c),
                   DAPPER_EFRAMING);
  assert_string_equal(dap_framer_error(fr), saved);
  assert_int_equal(c.count, 0);
  dap_framer_free(fr);

  /* The same after ETOOLARGE. */
  fr = dap_framer_new(1);
  assert_int_equal(feed_all(fr, good, sizeof(good) - 1, &c), DAPPER_ETOOLARGE);
  assert_int_equal(feed_all(fr, good, sizeof(good) - 1, &c), DAPPER_ETOOLARGE);
  assert_int_equal(c.count, 0);
  dap_framer_free(fr);
  collector_reset(&c);
}

static void test_error_after_good_messages(void **state) {
  /* Messages before the broken header are delivered. */
  dap_framer_t *fr = dap_framer_new(64);
  collector_t c = {0};
  const char in[] = "Content-Length: 1\r\n\r\naContent-Length: 1\r\n\r\nb"
                    "Content-Lenght: 1\r\n\r\nc";
  assert_int_equal(feed_all(fr, in, sizeof(in) - 1, &c), DAPPER_EFRAMING);
  assert_int_equal(c.count, 2);
  assert_string_equal(c.body[1], "b");
  collector_reset(&c);
  dap_framer_free(fr);
}

static void test_stop_and_resume(void **state) {
  buf_t b = {0};
  build_stream(&b);
  dap_framer_t *fr = dap_framer_new(1 << 20);
  collector_t c = {0};
  c.stop_every = 1;
  c.stop_value = 7;
  /* Every delivery stops the feed; each resume delivers exactly one more. */
  int rc = dap_framer_feed(fr, b.p, b.len, collect, &c);
  assert_int_equal(rc, 7);
  assert_int_equal(c.count, 1);
  assert_true(dap_framer_pending(fr) > 0);
  while (c.count < 20) {
    size_t before = c.count;
    rc = dap_framer_feed(fr, NULL, 0, collect, &c);
    assert_int_equal(rc, 7);
    assert_int_equal(c.count, before + 1);
  }
  assert_int_equal(dap_framer_pending(fr), 0);
  assert_int_equal(dap_framer_feed(fr, NULL, 0, collect, &c), 0);
  check_stream(&c);
  collector_reset(&c);
  dap_framer_free(fr);
  free(b.p);
}

static void test_stop_then_more_data(void **state) {
  /* New bytes fed while old ones are kept are processed after them. */
  dap_framer_t *fr = dap_framer_new(64);
  collector_t c = {0};
  c.stop_every = 1;
  c.stop_value = -1; /* any non-zero value, negative included */
  const char a[] = "Content-Length: 1\r\n\r\n1Content-Length: 1\r\n\r\n2"
                   "Content-Length: 1\r\n\r";
  assert_int_equal(feed_all(fr, a, sizeof(a) - 1, &c), -1);
  assert_int_equal(c.count, 1);
  assert_null(dap_framer_error(fr)); /* not poisoned */
  const char b2[] = "\n3Content-Length: 1\r\n\r\n4";
  assert_int_equal(feed_all(fr, b2, sizeof(b2) - 1, &c), -1);
  assert_int_equal(c.count, 2);
  c.stop_every = 0;
  const char b3[] = "Content-Length: 1\r\n\r\n5";
  assert_int_equal(feed_all(fr, b3, sizeof(b3) - 1, &c), 0);
  assert_int_equal(c.count, 5);
  for (size_t i = 0; i < 5; i++) {
    char want[2] = {(char)('1' + i), 0};
    assert_string_equal(c.body[i], want);
  }
  assert_int_equal(dap_framer_pending(fr), 0);
  collector_reset(&c);
  dap_framer_free(fr);
}

static void test_stop_with_random_splits(void **state) {
  /* The callback stops every 2nd or 3rd body; the caller keeps feeding new
   * chunks without draining first, then drains with empty feeds. */
  buf_t b = {0};
  build_stream(&b);
  rng_state = 7;
  for (int round = 0; round < 100; round++) {
    dap_framer_t *fr = dap_framer_new(1 << 20);
    collector_t c = {0};
    c.stop_every = 2 + (size_t)(round % 2);
    c.stop_value = 9;
    size_t i = 0;
    while (i < b.len) {
      size_t n = (size_t)(rng_next() % 40);
      if (n > b.len - i)
        n = b.len - i;
      int rc = dap_framer_feed(fr, b.p + i, n, collect, &c);
      assert_true(rc == 0 || rc == 9);
      i += n;
    }
    int guard = 0;
    while (dap_framer_feed(fr, NULL, 0, collect, &c) == 9)
      assert_true(++guard < 30);
    check_stream(&c);
    assert_int_equal(dap_framer_pending(fr), 0);
    collector_reset(&c);
    dap_framer_free(fr);
  }
  free(b.p);
}

static void test_stop_on_last_message(void **state) {
  /* Stopping on the last body of a feed keeps nothing. */
  dap_framer_t *fr = dap_framer_new(64);
  collector_t c = {0};
  c.stop_every = 1;
  c.stop_value = 3;
  const char a[] = "Content-Length: 1\r\n\r\nA";
  assert_int_equal(feed_all(fr, a, sizeof(a) - 1, &c), 3);
  assert_int_equal(dap_framer_pending(fr), 0);
  assert_int_equal(dap_framer_feed(fr, NULL, 0, collect, &c), 0);
  assert_int_equal(c.count, 1);
  collector_reset(&c);
  dap_framer_free(fr);
}

static int nested_feed(void *ud, const char *body, size_t len) {
  collector_t *c = ud;
  c->nested_rc = dap_framer_feed(c->fr, "x", 1, collect, c);
  return collect(ud, body, len);
}

static void test_nested_feed_refused(void **state) {
  dap_framer_t *fr = dap_framer_new(64);
  collector_t c = {0};
  c.fr = fr;
  const char a[] = "Content-Length: 1\r\n\r\nA";
  assert_int_equal(dap_framer_feed(fr, a, sizeof(a) - 1, nested_feed, &c), 0);
  assert_int_equal(c.nested_rc, DAPPER_EINVAL);
  assert_int_equal(c.count, 1);
  assert_null(dap_framer_error(fr));
  collector_reset(&c);
  dap_framer_free(fr);
}

static void test_large_body(void **state) {
  /* A 3 MiB body, fed in 4 KiB reads, then a small one (the buffer is
   * released and reallocated in between). */
  size_t n = 3u << 20;
  char *body = malloc(n);
  assert_non_null(body);
  for (size_t i = 0; i < n; i++)
    body[i] = (char)('a' + i % 26);
  char hdr[64];
  int hn = snprintf(hdr, sizeof(hdr), "Content-Length: %zu\r\n\r\n", n);
  dap_framer_t *fr = dap_framer_new(4u << 20);
  collector_t c = {0};
  assert_int_equal(dap_framer_feed(fr, hdr, (size_t)hn, collect, &c), 0);
  assert_int_equal(dap_framer_pending(fr), (size_t)hn);
  for (size_t i = 0; i < n; i += 4096) {
    size_t k = n - i < 4096 ? n - i : 4096;
    assert_int_equal(dap_framer_feed(fr, body + i, k, collect, &c), 0);
  }
  assert_int_equal(c.count, 1);
  assert_int_equal(c.len[0], n);
  assert_memory_equal(c.body[0], body, n);
  const char small[] = "Content-Length: 2\r\n\r\nok";
  assert_int_equal(feed_all(fr, small, sizeof(small) - 1, &c), 0);
  assert_string_equal(c.body[1], "ok");
  collector_reset(&c);
  dap_framer_free(fr);
  free(body);
}

static void test_pending_and_args(void **state) {
  dap_framer_t *fr = dap_framer_new(64);
  collector_t c = {0};
  assert_int_equal(dap_framer_pending(fr), 0);
  const char a[] = "Content-Length: 4\r\n\r\nab";
  assert_int_equal(feed_all(fr, a, sizeof(a) - 1, &c), 0);
  assert_int_equal(dap_framer_pending(fr), sizeof(a) - 1);
  assert_int_equal(dap_framer_feed(fr, NULL, 0, collect, &c), 0);
  assert_int_equal(dap_framer_feed(fr, NULL, 3, collect, &c), DAPPER_EINVAL);
  assert_null(dap_framer_error(fr));
  assert_int_equal(feed_all(fr, "cd", 2, &c), 0);
  assert_int_equal(c.count, 1);
  assert_string_equal(c.body[0], "abcd");
  assert_int_equal(dap_framer_pending(fr), 0);
  /* NULL callback: bodies are dropped. */
  assert_int_equal(dap_framer_feed(fr, a, sizeof(a) - 1, NULL, NULL), 0);
  assert_int_equal(dap_framer_feed(fr, "cd", 2, NULL, NULL), 0);
  assert_int_equal(c.count, 1);
  assert_int_equal(dap_framer_pending(fr), 0);
  dap_framer_free(NULL);
  assert_null(dap_framer_error(NULL));
  assert_int_equal(dap_framer_pending(NULL), 0);
  collector_reset(&c);
  dap_framer_free(fr);
}

static void test_strerror(void **state) {
  assert_non_null(dapper_strerror(DAPPER_EFRAMING));
  assert_non_null(dapper_strerror(DAPPER_ETOOLARGE));
  assert_non_null(dapper_strerror(DAPPER_ENOMEM));
  assert_non_null(dapper_strerror(DAPPER_EINVAL));
  assert_non_null(dapper_strerror(DAPPER_ESTATE));
  assert_non_null(dapper_strerror(DAPPER_EUNKNOWN));
  assert_non_null(dapper_strerror(DAPPER_ELAUNCH));
  assert_non_null(dapper_strerror(DAPPER_ERUNTIME));
  assert_non_null(dapper_strerror(DAPPER_ENOTSUP));
  assert_non_null(dapper_strerror(DAPPER_ETIMEOUT));
  assert_string_not_equal(dapper_strerror(DAPPER_EFRAMING),
                          dapper_strerror(DAPPER_ETOOLARGE));
  assert_null(dapper_strerror(0));
  assert_null(dapper_strerror(-2)); /* a libuv code */
  assert_null(dapper_strerror(-10000));
  assert_null(dapper_strerror(-10011));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_single_message),
      cmocka_unit_test(test_stream_one_feed),
      cmocka_unit_test(test_stream_byte_by_byte),
      cmocka_unit_test(test_stream_random_splits),
      cmocka_unit_test(test_two_messages_one_feed),
      cmocka_unit_test(test_content_length_zero),
      cmocka_unit_test(test_header_variants),
      cmocka_unit_test(test_bad_headers),
      cmocka_unit_test(test_header_too_long),
      cmocka_unit_test(test_header_at_limit),
      cmocka_unit_test(test_oversize_detected_at_header),
      cmocka_unit_test(test_poisoned_after_error),
      cmocka_unit_test(test_error_after_good_messages),
      cmocka_unit_test(test_stop_and_resume),
      cmocka_unit_test(test_stop_then_more_data),
      cmocka_unit_test(test_stop_with_random_splits),
      cmocka_unit_test(test_stop_on_last_message),
      cmocka_unit_test(test_nested_feed_refused),
      cmocka_unit_test(test_large_body),
      cmocka_unit_test(test_pending_and_args),
      cmocka_unit_test(test_strerror),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
