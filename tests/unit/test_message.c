/* Unit tests of the message envelopes (protocol/src/message.c). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dapper/framer.h"
#include "dapper/message.h"

/* ---- helpers ---------------------------------------------------------- */

static cJSON *parse_ok(const char *s, dap_msg_kind_t want) {
  cJSON *msg = NULL;
  dap_msg_kind_t kind = DAP_MSG_EVENT;
  dap_parse_error_t err;
  int rc = dap_msg_parse(s, strlen(s), &msg, &kind, &err);
  if (rc != 0)
    fail_msg("parse of %s failed: %s", s, err.reason);
  assert_non_null(msg);
  assert_int_equal(kind, want);
  return msg;
}

static const char *str_field(const cJSON *obj, const char *name) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
  assert_true(cJSON_IsString(item));
  return item->valuestring;
}

static double num_field(const cJSON *obj, const char *name) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
  assert_true(cJSON_IsNumber(item));
  return item->valuedouble;
}

static int count_keys(const cJSON *obj, const char *name) {
  int n = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, obj) {
    if (strcmp(it->string, name) == 0)
      n++;
  }
  return n;
}

/* Frames msg with seq, checks the header against the byte length of the
 * JSON, and returns the body parsed back (caller frees). */
static cJSON *frame_and_reparse(cJSON *msg, long long seq, size_t *json_len) {
  char *out = NULL;
  size_t out_len = 0;
  assert_int_equal(dap_msg_frame(msg, seq, &out, &out_len), 0);
  assert_non_null(out);
  assert_int_equal(strlen(out), out_len);
  const char *sep = strstr(out, "\r\n\r\n");
  assert_non_null(sep);
  assert_int_equal(strncmp(out, "Content-Length: ", 16), 0);
  unsigned long long declared = strtoull(out + 16, NULL, 10);
  const char *json = sep + 4;
  size_t jl = out_len - (size_t)(json - out);
  assert_int_equal(declared, jl);
  assert_int_equal(json[0], '{');
  /* seq is the first key. */
  assert_int_equal(strncmp(json, "{\"seq\":", 7), 0);
  cJSON *back = cJSON_ParseWithLength(json, jl);
  assert_non_null(back);
  assert_true(num_field(back, "seq") == (double)seq);
  assert_int_equal(count_keys(back, "seq"), 1);
  if (json_len != NULL)
    *json_len = jl;
  free(out);
  return back;
}

/* Framer callback: parses each body, counts the valid events. */
static int count_events(void *ud, const char *body, size_t len) {
  cJSON *msg = NULL;
  dap_msg_kind_t kind;
  assert_int_equal(dap_msg_parse(body, len, &msg, &kind, NULL), 0);
  if (kind == DAP_MSG_EVENT)
    ++*(int *)ud;
  cJSON_Delete(msg);
  return 0;
}

/* ---- parse: valid ----------------------------------------------------- */

static void test_parse_request(void **state) {
  cJSON *msg = parse_ok("{\"seq\":1,\"type\":\"request\",\"command\":"
                        "\"initialize\",\"arguments\":{\"adapterID\":\"py\"}}",
                        DAP_MSG_REQUEST);
  assert_string_equal(str_field(msg, "command"), "initialize");
  cJSON_Delete(msg);
  /* Without arguments, with null arguments, surrounding whitespace. */
  msg = parse_ok("  {\"seq\":0,\"type\":\"request\",\"command\":\"threads\"}\r\n",
                 DAP_MSG_REQUEST);
  cJSON_Delete(msg);
  msg = parse_ok("{\"seq\":2,\"type\":\"request\",\"command\":\"threads\","
                 "\"arguments\":null}",
                 DAP_MSG_REQUEST);
  cJSON_Delete(msg);
  /* An integral number written as a float is an integer. */
  msg = parse_ok("{\"seq\":3.0,\"type\":\"request\",\"command\":\"x\"}",
                 DAP_MSG_REQUEST);
  cJSON_Delete(msg);
  /* Body not NUL-terminated at len: only len bytes are read. */
  const char two[] = "{\"seq\":1,\"type\":\"request\",\"command\":\"a\"}GARBAGE";
  cJSON *out = NULL;
  dap_msg_kind_t kind;
  assert_int_equal(dap_msg_parse(two, strlen(two) - 7, &out, &kind, NULL), 0);
  cJSON_Delete(out);
}

static void test_parse_response_event(void **state) {
  cJSON *msg = parse_ok("{\"seq\":5,\"type\":\"response\",\"request_seq\":1,"
                        "\"success\":false,\"command\":\"launch\","
                        "\"message\":\"no\"}",
                        DAP_MSG_RESPONSE);
  assert_true(num_field(msg, "request_seq") == 1);
  cJSON_Delete(msg);
  msg = parse_ok("{\"seq\":6,\"type\":\"event\",\"event\":\"stopped\","
                 "\"body\":{\"reason\":\"breakpoint\",\"threadId\":1}}",
                 DAP_MSG_EVENT);
  assert_string_equal(str_field(msg, "event"), "stopped");
  cJSON_Delete(msg);
}

/* ---- parse: invalid --------------------------------------------------- */

typedef struct {
  const char *body;
  const char *reason;
  long long seq;
  const char *command;
} bad_msg_t;

static void test_parse_invalid(void **state) {
  static const bad_msg_t cases[] = {
      {"not json", "body is not valid JSON", -1, ""},
      {"{\"seq\":1,", "body is not valid JSON", -1, ""},
      {"{\"seq\":1,\"type\":\"event\",\"event\":\"x\"} {}",
       "body is not valid JSON", -1, ""},
      {"{\"seq\":1,\"type\":\"event\",\"event\":\"x\"}x",
       "body is not valid JSON", -1, ""},
      {"", "body is not valid JSON", -1, ""},
      {"[1,2]", "message is not a JSON object", -1, ""},
      {"\"request\"", "message is not a JSON object", -1, ""},
      {"42", "message is not a JSON object", -1, ""},
      {"null", "message is not a JSON object", -1, ""},
      {"{\"type\":\"request\",\"command\":\"next\"}",
       "missing or invalid \"seq\"", -1, "next"},
      {"{\"seq\":\"1\",\"type\":\"request\",\"command\":\"next\"}",
       "missing or invalid \"seq\"", -1, "next"},
      {"{\"seq\":-1,\"type\":\"request\",\"command\":\"next\"}",
       "missing or invalid \"seq\"", -1, "next"},
      {"{\"seq\":1.5,\"type\":\"request\",\"command\":\"next\"}",
       "missing or invalid \"seq\"", -1, "next"},
      {"{\"seq\":1e400,\"type\":\"request\",\"command\":\"next\"}",
       "missing or invalid \"seq\"", -1, "next"},
      {"{\"seq\":1e19,\"type\":\"request\",\"command\":\"next\"}",
       "missing or invalid \"seq\"", -1, "next"},
      {"{\"seq\":null,\"type\":\"request\",\"command\":\"next\"}",
       "missing or invalid \"seq\"", -1, "next"},
      {"{\"seq\":7,\"command\":\"next\"}", "missing or invalid \"type\"", 7,
       "next"},
      {"{\"seq\":7,\"type\":\"notify\",\"command\":\"next\"}",
       "missing or invalid \"type\"", 7, "next"},
      {"{\"seq\":7,\"type\":3}", "missing or invalid \"type\"", 7, ""},
      {"{\"seq\":7,\"type\":\"Request\",\"command\":\"x\"}",
       "missing or invalid \"type\"", 7, "x"},
      {"{\"seq\":8,\"type\":\"request\"}", "request has no \"command\"", 8, ""},
      {"{\"seq\":8,\"type\":\"request\",\"command\":12}",
       "request has no \"command\"", 8, ""},
      {"{\"seq\":9,\"type\":\"request\",\"command\":\"launch\","
       "\"arguments\":[]}",
       "\"arguments\" must be an object", 9, "launch"},
      {"{\"seq\":9,\"type\":\"request\",\"command\":\"launch\","
       "\"arguments\":\"x\"}",
       "\"arguments\" must be an object", 9, "launch"},
      {"{\"seq\":10,\"type\":\"response\",\"success\":true,\"command\":\"c\"}",
       "response has no valid \"request_seq\"", 10, "c"},
      {"{\"seq\":10,\"type\":\"response\",\"request_seq\":-4,"
       "\"success\":true,\"command\":\"c\"}",
       "response has no valid \"request_seq\"", 10, "c"},
      {"{\"seq\":10,\"type\":\"response\",\"request_seq\":1,"
       "\"success\":\"yes\",\"command\":\"c\"}",
       "response has no boolean \"success\"", 10, "c"},
      {"{\"seq\":10,\"type\":\"response\",\"request_seq\":1,"
       "\"success\":true}",
       "response has no \"command\"", 10, ""},
      {"{\"seq\":11,\"type\":\"event\"}", "event has no \"event\"", 11, ""},
      {"{\"seq\":11,\"type\":\"event\",\"event\":null}",
       "event has no \"event\"", 11, ""},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    cJSON *out = (cJSON *)&out; /* must be reset to NULL */
    dap_msg_kind_t kind;
    dap_parse_error_t err;
    memset(&err, 'z', sizeof(err));
    int rc = dap_msg_parse(cases[i].body, strlen(cases[i].body), &out, &kind,
                           &err);
    if (rc != DAPPER_EINVAL)
      fail_msg("case %zu (%s): rc %d", i, cases[i].body, rc);
    assert_null(out);
    if (strcmp(err.reason, cases[i].reason) != 0)
      fail_msg("case %zu: reason \"%s\", want \"%s\"", i, err.reason,
               cases[i].reason);
    if (err.seq != cases[i].seq)
      fail_msg("case %zu: seq %lld, want %lld", i, err.seq, cases[i].seq);
    assert_string_equal(err.command, cases[i].command);
    /* err may be NULL. */
    assert_int_equal(dap_msg_parse(cases[i].body, strlen(cases[i].body), &out,
                                   &kind, NULL),
                     DAPPER_EINVAL);
  }
}

static void test_parse_error_command_truncated(void **state) {
  char body[512];
  char cmd[200];
  memset(cmd, 'c', 100);
  cmd[100] = '\0';
  snprintf(body, sizeof(body), "{\"seq\":3,\"type\":\"bogus\",\"command\":\"%s\"}",
           cmd);
  cJSON *out;
  dap_msg_kind_t kind;
  dap_parse_error_t err;
  assert_int_equal(dap_msg_parse(body, strlen(body), &out, &kind, &err),
                   DAPPER_EINVAL);
  assert_int_equal(strlen(err.command), 63);
  assert_int_equal(err.seq, 3);

  /* 62 ASCII bytes then "é" (2 bytes): the cut would split it; dropped. */
  memset(cmd, 'c', 62);
  memcpy(cmd + 62, "\xc3\xa9tail", 7);
  snprintf(body, sizeof(body), "{\"seq\":3,\"type\":\"bogus\",\"command\":\"%s\"}",
           cmd);
  assert_int_equal(dap_msg_parse(body, strlen(body), &out, &kind, &err),
                   DAPPER_EINVAL);
  assert_int_equal(strlen(err.command), 62);
  /* 61 ASCII then "é": it fits exactly. */
  memset(cmd, 'c', 61);
  memcpy(cmd + 61, "\xc3\xa9tail", 7);
  snprintf(body, sizeof(body), "{\"seq\":3,\"type\":\"bogus\",\"command\":\"%s\"}",
           cmd);
  assert_int_equal(dap_msg_parse(body, strlen(body), &out, &kind, &err),
                   DAPPER_EINVAL);
  assert_int_equal(strlen(err.command), 63);
  assert_memory_equal(err.command + 61, "\xc3\xa9", 2);
}

/* ---- builders --------------------------------------------------------- */

static void test_build_request(void **state) {
  cJSON *args = cJSON_CreateObject();
  cJSON_AddStringToObject(args, "program", "/tmp/caf\xc3\xa9.py");
  cJSON *req = dap_msg_request("launch", args);
  assert_non_null(req);
  cJSON *back = frame_and_reparse(req, 1, NULL);
  assert_string_equal(str_field(back, "type"), "request");
  assert_string_equal(str_field(back, "command"), "launch");
  const cJSON *a = NULL;
  assert_int_equal(dap_get_object(back, "arguments", &a), 0);
  assert_string_equal(str_field(a, "program"), "/tmp/caf\xc3\xa9.py");
  /* What we built parses as a valid request. */
  char *s = cJSON_PrintUnformatted(back);
  cJSON *again = parse_ok(s, DAP_MSG_REQUEST);
  cJSON_Delete(again);
  cJSON_free(s);
  cJSON_Delete(back);
  cJSON_Delete(req);

  req = dap_msg_request("threads", NULL);
  assert_null(cJSON_GetObjectItemCaseSensitive(req, "arguments"));
  assert_null(cJSON_GetObjectItemCaseSensitive(req, "seq"));
  cJSON_Delete(req);

  /* NULL command: NULL, args freed (ASan checks the leak). */
  assert_null(dap_msg_request(NULL, cJSON_CreateObject()));
  assert_null(dap_msg_event(NULL, cJSON_CreateObject()));
}

static void test_build_event(void **state) {
  cJSON *body = cJSON_CreateObject();
  cJSON_AddStringToObject(body, "category", "stdout");
  cJSON_AddStringToObject(body, "output", "\xe4\xbd\xa0\xe5\xa5\xbd\n");
  cJSON *ev = dap_msg_event("output", body);
  assert_non_null(ev);
  cJSON *back = frame_and_reparse(ev, 42, NULL);
  assert_string_equal(str_field(back, "type"), "event");
  assert_string_equal(str_field(back, "event"), "output");
  const cJSON *b = cJSON_GetObjectItemCaseSensitive(back, "body");
  assert_string_equal(str_field(b, "output"), "\xe4\xbd\xa0\xe5\xa5\xbd\n");
  cJSON_Delete(back);
  cJSON_Delete(ev);

  ev = dap_msg_event("initialized", NULL);
  assert_null(cJSON_GetObjectItemCaseSensitive(ev, "body"));
  cJSON_Delete(ev);
}

static void test_build_response(void **state) {
  cJSON *req = parse_ok("{\"seq\":17,\"type\":\"request\",\"command\":"
                        "\"threads\"}",
                        DAP_MSG_REQUEST);
  cJSON *body = cJSON_CreateObject();
  cJSON_AddItemToObject(body, "threads", cJSON_CreateArray());
  cJSON *resp = dap_msg_response(req, body);
  assert_non_null(resp);
  cJSON *back = frame_and_reparse(resp, 3, NULL);
  assert_string_equal(str_field(back, "type"), "response");
  assert_true(num_field(back, "request_seq") == 17);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(back, "success")));
  assert_string_equal(str_field(back, "command"), "threads");
  const cJSON *arr = NULL;
  const cJSON *b = cJSON_GetObjectItemCaseSensitive(back, "body");
  assert_int_equal(dap_get_array(b, "threads", &arr), 0);
  assert_int_equal(cJSON_GetArraySize(arr), 0);
  char *s = cJSON_PrintUnformatted(back);
  cJSON *again = parse_ok(s, DAP_MSG_RESPONSE);
  cJSON_Delete(again);
  cJSON_free(s);
  cJSON_Delete(back);
  cJSON_Delete(resp);

  resp = dap_msg_response(req, NULL);
  assert_null(cJSON_GetObjectItemCaseSensitive(resp, "body"));
  cJSON_Delete(resp);
  cJSON_Delete(req);
}

static void test_build_error_response(void **state) {
  cJSON *resp = dap_msg_error_response(12, "evaluate", DAPPER_EINVAL,
                                       "name '%s' is not defined: {x} %d",
                                       "f\xc3\xb6\"o", 5);
  assert_non_null(resp);
  cJSON *back = frame_and_reparse(resp, 99, NULL);
  const char *want = "name 'f\xc3\xb6\"o' is not defined: {x} 5";
  assert_string_equal(str_field(back, "type"), "response");
  assert_true(num_field(back, "request_seq") == 12);
  assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(back, "success")));
  assert_string_equal(str_field(back, "command"), "evaluate");
  assert_string_equal(str_field(back, "message"), want);
  const cJSON *body = cJSON_GetObjectItemCaseSensitive(back, "body");
  const cJSON *error = cJSON_GetObjectItemCaseSensitive(body, "error");
  assert_true(cJSON_IsObject(error));
  assert_true(num_field(error, "id") == DAPPER_EINVAL);
  assert_string_equal(str_field(error, "format"), want);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(error, "showUser")));
  assert_int_equal(cJSON_GetArraySize(error), 3);
  assert_int_equal(cJSON_GetArraySize(back), 7); /* seq,type,request_seq,
                                                    success,command,message,
                                                    body */
  char *s = cJSON_PrintUnformatted(back);
  cJSON *again = parse_ok(s, DAP_MSG_RESPONSE);
  cJSON_Delete(again);
  cJSON_free(s);
  cJSON_Delete(back);
  cJSON_Delete(resp);

  /* NULL command, long text (over any small internal buffer). */
  char big[1000];
  memset(big, 'e', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  resp = dap_msg_error_response(0, NULL, 1, "%s!", big);
  assert_non_null(resp);
  assert_string_equal(str_field(resp, "command"), "");
  assert_int_equal(strlen(str_field(resp, "message")), 1000);
  cJSON_Delete(resp);
}

static void test_frame_content_length(void **state) {
  /* Non-ASCII: Content-Length counts bytes, not characters. */
  cJSON *body = cJSON_CreateObject();
  cJSON_AddStringToObject(body, "output",
                          "\xf0\x9f\x90\x8d \xc3\xa9\xc3\xa8 \xe2\x82\xac "
                          "\"quoted\" \\ back\nslash");
  cJSON *ev = dap_msg_event("output", body);
  char *out = NULL;
  size_t out_len = 0;
  assert_int_equal(dap_msg_frame(ev, 1, &out, &out_len), 0);
  const char *json = strstr(out, "\r\n\r\n") + 4;
  size_t jl = strlen(json);
  char want[64];
  snprintf(want, sizeof(want), "Content-Length: %zu\r\n\r\n", jl);
  assert_int_equal(strncmp(out, want, strlen(want)), 0);
  assert_int_equal(out_len, strlen(want) + jl);
  assert_int_equal(out[out_len], '\0');

  /* The framer reads it back as one body that parses as an event. */
  dap_framer_t *fr = dap_framer_new(1 << 16);
  int events = 0;
  for (size_t k = 0; k < out_len; k++) /* byte by byte, for good measure */
    assert_int_equal(dap_framer_feed(fr, out + k, 1, count_events, &events),
                     0);
  assert_int_equal(events, 1);
  dap_framer_free(fr);
  free(out);

  /* Re-stamping replaces the seq; a bogus one (string) goes too. */
  cJSON_AddStringToObject(ev, "seq", "bogus");
  assert_int_equal(count_keys(ev, "seq"), 2);
  cJSON *re = frame_and_reparse(ev, 2, NULL);
  cJSON_Delete(re);
  assert_int_equal(count_keys(ev, "seq"), 1);
  /* Largest seq cJSON 1.7.15 prints exactly (15 significant digits). */
  re = frame_and_reparse(ev, 999999999999999LL, NULL);
  cJSON_Delete(re);
  assert_int_equal(count_keys(ev, "seq"), 1);
  cJSON_Delete(ev);

  /* Invalid arguments. */
  assert_int_equal(dap_msg_frame(NULL, 1, &out, &out_len), DAPPER_EINVAL);
  assert_null(out);
  cJSON *arr = cJSON_CreateArray();
  assert_int_equal(dap_msg_frame(arr, 1, &out, &out_len), DAPPER_EINVAL);
  cJSON_Delete(arr);
}

/* dap_json_print writes what cJSON_PrintUnformatted writes. */
static void test_json_print_matches_cjson(void **state) {
  static const char *docs[] = {
      "{}", "[]", "null", "true", "false", "0", "-0", "7", "-42",
      "999999999999999", "-999999999999999", "1000000000000000", "1e18",
      "-1e300", "1.5", "-0.25", "0.1", "3.141592653589793", "1e-7",
      "123456789.123456789", "2.5e-308",
      "\"\"", "\"plain\"", "\"q\\\"b\\\\s\\/\\b\\f\\n\\r\\t\"",
      "\"\\u0001\\u001f\\u007f \\u00e9\\u20ac \\ud83d\\udc0d\"",
      "{\"seq\":12,\"type\":\"event\",\"event\":\"stopped\",\"body\":{\"reason\":"
      "\"breakpoint\",\"threadId\":1,\"allThreadsStopped\":true,"
      "\"hitBreakpointIds\":[3,4]}}",
      "[1,[2,[3,{\"a\":[],\"b\":{},\"\":null}]],\"x\",-1.5e-3]",
      "{\"k\\n\":\"v\\t\",\"dup\":1,\"dup\":2}",
  };
  (void)state;
  for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
    cJSON *doc = cJSON_Parse(docs[i]);
    if (doc == NULL)
      fail_msg("test document %zu does not parse: %s", i, docs[i]);
    char *want = cJSON_PrintUnformatted(doc);
    char *got = dap_json_print(doc);
    assert_non_null(want);
    assert_non_null(got);
    if (strcmp(want, got) != 0)
      fail_msg("document %zu: cJSON %s, dap_json_print %s", i, want, got);
    cJSON_free(want);
    free(got);
    cJSON_Delete(doc);
  }
  /* Built in C: a key-less child, a raw value, numbers cJSON parsing would
   * not give. */
  cJSON *o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "raw", cJSON_CreateRaw("[1, 2]"));
  cJSON_AddNumberToObject(o, "third", 1.0 / 3.0);
  cJSON_AddNumberToObject(o, "big", 123456789012345.0);
  cJSON_AddNumberToObject(o, "neg", -123456789012345.0);
  cJSON_AddNumberToObject(o, "nan", NAN);
  cJSON_AddNumberToObject(o, "inf", -INFINITY);
  cJSON *arr = cJSON_AddArrayToObject(o, "arr");
  cJSON_AddItemToArray(arr, cJSON_CreateString("a\x01z"));
  char *want = cJSON_PrintUnformatted(o);
  char *got = dap_json_print(o);
  assert_string_equal(got, want);
  cJSON_free(want);
  free(got);
  cJSON_Delete(o);
  assert_null(dap_json_print(NULL));
}

/* ---- typed lookups ---------------------------------------------------- */

static void test_get_helpers(void **state) {
  cJSON *o = cJSON_Parse(
      "{\"s\":\"str\",\"b\":true,\"f\":false,\"i\":-42,\"big\":1e18,"
      "\"frac\":1.5,\"huge\":1e300,\"n\":null,\"o\":{\"k\":1},\"a\":[1],"
      "\"num_s\":\"5\",\"zero\":0,\"I\":7}");
  assert_non_null(o);
  const char *s = "untouched";
  bool b = false;
  long long i = 123;
  const cJSON *obj = NULL;

  /* Present with the right type. */
  assert_int_equal(dap_get_string(o, "s", &s), 0);
  assert_string_equal(s, "str");
  assert_int_equal(dap_get_bool(o, "b", &b), 0);
  assert_true(b);
  assert_int_equal(dap_get_bool(o, "f", &b), 0);
  assert_false(b);
  assert_int_equal(dap_get_int(o, "i", &i), 0);
  assert_int_equal(i, -42);
  assert_int_equal(dap_get_int(o, "big", &i), 0);
  assert_true(i == 1000000000000000000LL);
  assert_int_equal(dap_get_int(o, "zero", &i), 0);
  assert_int_equal(i, 0);
  assert_int_equal(dap_get_object(o, "o", &obj), 0);
  assert_true(cJSON_IsObject(obj));
  assert_int_equal(dap_get_array(o, "a", &obj), 0);
  assert_true(cJSON_IsArray(obj));

  /* Absent or null: 1, out untouched. */
  s = "untouched";
  i = 123;
  b = true;
  obj = NULL;
  assert_int_equal(dap_get_string(o, "missing", &s), 1);
  assert_int_equal(dap_get_string(o, "n", &s), 1);
  assert_string_equal(s, "untouched");
  assert_int_equal(dap_get_int(o, "n", &i), 1);
  assert_int_equal(dap_get_int(o, "missing", &i), 1);
  assert_int_equal(i, 123);
  assert_int_equal(dap_get_bool(o, "n", &b), 1);
  assert_true(b);
  assert_int_equal(dap_get_object(o, "n", &obj), 1);
  assert_int_equal(dap_get_array(o, "missing", &obj), 1);
  assert_null(obj);
  /* Names are case-sensitive: "S" is absent, "I" is not "i". */
  assert_int_equal(dap_get_string(o, "S", &s), 1);
  assert_int_equal(dap_get_int(o, "I", &i), 0);
  assert_int_equal(i, 7);
  /* NULL or non-object container: absent. */
  assert_int_equal(dap_get_string(NULL, "s", &s), 1);
  assert_int_equal(dap_get_int(cJSON_GetObjectItem(o, "a"), "s", &i), 1);

  /* Wrong type. */
  i = 123;
  assert_int_equal(dap_get_string(o, "i", &s), DAPPER_EINVAL);
  assert_int_equal(dap_get_string(o, "o", &s), DAPPER_EINVAL);
  assert_int_equal(dap_get_bool(o, "i", &b), DAPPER_EINVAL);
  assert_int_equal(dap_get_bool(o, "zero", &b), DAPPER_EINVAL);
  assert_int_equal(dap_get_bool(o, "s", &b), DAPPER_EINVAL);
  assert_int_equal(dap_get_int(o, "frac", &i), DAPPER_EINVAL);
  assert_int_equal(dap_get_int(o, "huge", &i), DAPPER_EINVAL);
  assert_int_equal(dap_get_int(o, "num_s", &i), DAPPER_EINVAL);
  assert_int_equal(dap_get_int(o, "b", &i), DAPPER_EINVAL);
  assert_int_equal(i, 123);
  assert_int_equal(dap_get_object(o, "a", &obj), DAPPER_EINVAL);
  assert_int_equal(dap_get_object(o, "s", &obj), DAPPER_EINVAL);
  assert_int_equal(dap_get_array(o, "o", &obj), DAPPER_EINVAL);
  cJSON_Delete(o);

  /* Range edges of dap_get_int. */
  o = cJSON_Parse("{\"min\":-9223372036854775808,\"over\":9223372036854775808,"
                  "\"under\":-9223372036854777856}");
  assert_int_equal(dap_get_int(o, "min", &i), 0);
  assert_true(i == INT64_MIN);
  assert_int_equal(dap_get_int(o, "over", &i), DAPPER_EINVAL);
  assert_int_equal(dap_get_int(o, "under", &i), DAPPER_EINVAL);
  cJSON_Delete(o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_request),
      cmocka_unit_test(test_parse_response_event),
      cmocka_unit_test(test_parse_invalid),
      cmocka_unit_test(test_parse_error_command_truncated),
      cmocka_unit_test(test_build_request),
      cmocka_unit_test(test_build_event),
      cmocka_unit_test(test_build_response),
      cmocka_unit_test(test_build_error_response),
      cmocka_unit_test(test_frame_content_length),
      cmocka_unit_test(test_json_print_matches_cjson),
      cmocka_unit_test(test_get_helpers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
