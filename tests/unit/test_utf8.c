/* Unit tests of dap_utf8_sanitize (protocol/src/message.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dapper/message.h"

#define R "\xef\xbf\xbd" /* U+FFFD */

/* Sanitizes in[0..len) and checks the result and tail. */
static void check(const char *in, size_t len, bool keep_tail, const char *want,
                  size_t want_tail) {
  size_t out_len = 12345, tail = 12345;
  char *out = dap_utf8_sanitize(in, len, keep_tail, &out_len, &tail);
  assert_non_null(out);
  if (out_len != strlen(want) || memcmp(out, want, out_len) != 0) {
    char hex[512] = "";
    for (size_t i = 0; i < out_len && i < 100; i++)
      snprintf(hex + strlen(hex), sizeof(hex) - strlen(hex), "%02x ",
               (unsigned char)out[i]);
    fail_msg("got %s(len %zu), want len %zu", hex, out_len, strlen(want));
  }
  assert_int_equal(out[out_len], '\0');
  assert_int_equal(tail, want_tail);
  free(out);
}

#define CHECK(in, keep, want, tail) check(in, sizeof(in) - 1, keep, want, tail)

static void test_valid_unchanged(void **state) {
  static const char *const texts[] = {
      "",
      "plain ASCII with punctuation !\"#$%&'()*+,-./ \t\r\n\x7f",
      "caf\xc3\xa9 na\xc3\xafve \xc3\x85ngstr\xc3\xb6m",           /* Latin */
      "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82",           /* Привет */
      "\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c",           /* 你好世界 */
      "\xd8\xa7\xd9\x84\xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a\xd8\xa9",   /* Arabic */
      "\xf0\x9f\x90\x8d\xf0\x9f\x98\x80\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd",
      "\xc2\x80 \xdf\xbf \xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80 \xef\xbf\xbf",
      "\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf", /* U+10000, U+10FFFF */
      R,                                   /* U+FFFD itself */
  };
  for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
    check(texts[i], strlen(texts[i]), false, texts[i], 0);
    check(texts[i], strlen(texts[i]), true, texts[i], 0);
  }
}

static void test_invalid_bytes(void **state) {
  CHECK("a\x80z", false, "a" R "z", 0);          /* lone continuation */
  CHECK("\xbf\xbf", false, R R, 0);              /* two of them */
  CHECK("\xfe\xff", false, R R, 0);              /* never valid */
  CHECK("\xf5\x80\x80\x80", false, R R R R, 0);  /* above U+10FFFF lead */
  CHECK("\xc3(", false, R "(", 0);               /* missing continuation */
  CHECK("\xe2\x82(", false, R "(", 0);           /* maximal subpart: one R */
  CHECK("\xf0\x9f\x90(", false, R "(", 0);
  CHECK("\xe2\x82\xe2\x82\xac", false, R "\xe2\x82\xac", 0);
  /* The continuation check applies to each trailing byte. */
  CHECK("\xe4\xbd\xc0", false, R R, 0);
  /* NUL is replaced. */
  CHECK("a\0b", false, "a" R "b", 0);
}

static void test_overlong_and_surrogates(void **state) {
  /* Overlong forms: C0/C1 leads, E0 80..9F, F0 80..8F. */
  CHECK("\xc0\xaf", false, R R, 0);          /* overlong '/' */
  CHECK("\xc1\xbf", false, R R, 0);
  CHECK("\xe0\x80\xaf", false, R R R, 0);
  CHECK("\xe0\x9f\xbf", false, R R R, 0);
  CHECK("\xf0\x80\x80\xaf", false, R R R R, 0);
  CHECK("\xf0\x8f\xbf\xbf", false, R R R R, 0);
  /* Surrogates D800-DFFF (ED A0..BF xx). */
  CHECK("\xed\xa0\x80", false, R R R, 0);
  CHECK("\xed\xbf\xbf", false, R R R, 0);
  CHECK("\xed\xa0\xbd\xed\xb2\xa9", false, R R R R R R, 0); /* CESU pair */
  /* Above U+10FFFF. */
  CHECK("\xf4\x90\x80\x80", false, R R R R, 0);
  CHECK("\xf7\xbf\xbf\xbf", false, R R R R, 0);
  /* Five- and six-byte forms. */
  CHECK("\xf8\x88\x80\x80\x80", false, R R R R R, 0);
  CHECK("\xfc\x84\x80\x80\x80\x80", false, R R R R R R, 0);
}

static void test_incomplete_tail(void **state) {
  /* Incomplete but valid so far: held back with keep_tail... */
  CHECK("ab\xc3", true, "ab", 1);
  CHECK("ab\xe2\x82", true, "ab", 2);
  CHECK("ab\xe2", true, "ab", 1);
  CHECK("ab\xf0\x9f\x90", true, "ab", 3);
  CHECK("\xf0\x9f", true, "", 2);
  /* ...replaced by one U+FFFD without it. */
  CHECK("ab\xc3", false, "ab" R, 0);
  CHECK("ab\xe2\x82", false, "ab" R, 0);
  CHECK("ab\xf0\x9f\x90", false, "ab" R, 0);
  /* A tail that is already invalid is not held back. */
  CHECK("ab\xe0\x80", true, "ab" R R, 0);  /* overlong start */
  CHECK("ab\xed\xa0", true, "ab" R R, 0);  /* surrogate start */
  CHECK("ab\xf4\x90", true, "ab" R R, 0);  /* above U+10FFFF */
  CHECK("ab\x80", true, "ab" R, 0);        /* lone continuation */
  CHECK("ab\xff", true, "ab" R, 0);
  /* Only the very end counts: an earlier truncation is replaced. */
  CHECK("\xe2\x82z\xe2\x82", true, R "z", 2);
  /* A complete final sequence leaves no tail. */
  CHECK("ab\xe2\x82\xac", true, "ab\xe2\x82\xac", 0);
}

static void test_chunked_stream(void **state) {
  /* Splitting valid text anywhere and carrying the tail over rebuilds it. */
  const char text[] = "h\xc3\xa9llo \xe4\xbd\xa0\xe5\xa5\xbd \xf0\x9f\x90\x8d!";
  size_t n = sizeof(text) - 1;
  for (size_t cut = 0; cut <= n; cut++) {
    size_t out1_len, tail1, out2_len, tail2;
    char *out1 = dap_utf8_sanitize(text, cut, true, &out1_len, &tail1);
    assert_non_null(out1);
    /* The caller prepends the tail to the next chunk. */
    char next[64];
    memcpy(next, text + cut - tail1, tail1 + (n - cut));
    char *out2 =
        dap_utf8_sanitize(next, tail1 + (n - cut), true, &out2_len, &tail2);
    assert_non_null(out2);
    assert_int_equal(tail2, 0);
    assert_int_equal(out1_len + out2_len, n);
    assert_memory_equal(out1, text, out1_len);
    assert_memory_equal(out2, text + out1_len, out2_len);
    free(out1);
    free(out2);
  }
}

static void test_null_args(void **state) {
  size_t len = 99;
  char *out = dap_utf8_sanitize(NULL, 0, false, &len, NULL);
  assert_non_null(out);
  assert_int_equal(len, 0);
  assert_string_equal(out, "");
  free(out);
  out = dap_utf8_sanitize("a\xc3", 2, true, NULL, NULL);
  assert_string_equal(out, "a");
  free(out);
  /* The result is usable as a cJSON string and round-trips. */
  out = dap_utf8_sanitize("x\0y\xff", 4, false, &len, NULL);
  cJSON *s = cJSON_CreateString(out);
  char *json = cJSON_PrintUnformatted(s);
  assert_string_equal(json, "\"x" R "y" R "\"");
  cJSON_free(json);
  cJSON_Delete(s);
  free(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid_unchanged),
      cmocka_unit_test(test_invalid_bytes),
      cmocka_unit_test(test_overlong_and_surrogates),
      cmocka_unit_test(test_incomplete_tail),
      cmocka_unit_test(test_chunked_stream),
      cmocka_unit_test(test_null_args),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
