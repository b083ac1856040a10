/* Unit tests of the envFile (dotenv) parser (adapter/envfile.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dapper/errors.h"
#include "envfile.h"

/* The "process environment" of the tests. */
static const char *lookup(const char *name, void *ud) {
  (void)ud;
  if (strcmp(name, "HOME") == 0)
    return "/home/tester";
  if (strcmp(name, "EMPTY") == 0)
    return "";
  return NULL;
}

/* Parses text; want is a JSON object of the expected variables. */
static void expect_vars(const char *text, const char *want) {
  cJSON *vars = cJSON_CreateObject();
  char err[256] = "";
  int rc = dap_envfile_parse(text, vars, lookup, NULL, err, sizeof(err));
  if (rc != 0)
    fail_msg("%s: %s", text, err);
  cJSON *expected = cJSON_Parse(want);
  assert_non_null(expected);
  if (!cJSON_Compare(vars, expected, 1)) {
    char *got = cJSON_PrintUnformatted(vars);
    fail_msg("text:\n%s\ngot  %s\nwant %s", text, got, want);
  }
  cJSON_Delete(expected);
  cJSON_Delete(vars);
}

static void expect_error(const char *text, const char *want) {
  cJSON *vars = cJSON_CreateObject();
  char err[256] = "";
  assert_int_equal(dap_envfile_parse(text, vars, lookup, NULL, err, sizeof(err)), DAPPER_EINVAL);
  if (strstr(err, want) == NULL)
    fail_msg("text:\n%s\nerror \"%s\" lacks \"%s\"", text, err, want);
  cJSON_Delete(vars);
}

static void test_plain_values(void **state) {
  (void)state;
  expect_vars("A=1\n"
              "\n"
              "# a comment\n"
              "   # an indented comment\n"
              "B = two words  \n"
              "export C=3\n"
              "D=\n"
              "E=x # trailing comment\n"
              "F=a#b\n"
              "G.H-i=dotted\r\n"
              "A=again",
              "{\"B\": \"two words\", \"C\": \"3\", \"D\": \"\", \"E\": \"x\", \"F\": \"a#b\","
              " \"G.H-i\": \"dotted\", \"A\": \"again\"}");
  expect_vars("", "{}");
  expect_vars("\n\n# only comments\n", "{}");
}

static void test_quotes(void **state) {
  (void)state;
  expect_vars("S='single ${HOME} \\n # kept'\n"
              "D=\"tab\\there\\nnew \\\"q\\\" \\\\ \\$HOME \\x\"   # comment\n"
              "M=\"two\nlines\"\n"
              "N='a\nb'\n"
              "AFTER=yes\n",
              "{\"S\": \"single ${HOME} \\\\n # kept\", "
              "\"D\": \"tab\\there\\nnew \\\"q\\\" \\\\ $HOME \\\\x\", "
              "\"M\": \"two\\nlines\", \"N\": \"a\\nb\", \"AFTER\": \"yes\"}");
}

static void test_expansion(void **state) {
  (void)state;
  expect_vars("ROOT=/srv\n"
              "DATA=${ROOT}/data\n"
              "Q=\"${DATA}/q ${HOME}\"\n"
              "MISSING=[${NOPE}]\n"
              "DEF=${NOPE:-fallback}\n"
              "DEF2=${EMPTY:-used when empty}\n"
              "DEF3=${ROOT:-unused}\n"
              "ESC=\"\\${ROOT}\"\n"
              "NOBRACE=$ROOT\n",
              "{\"ROOT\": \"/srv\", \"DATA\": \"/srv/data\", \"Q\": \"/srv/data/q /home/tester\","
              " \"MISSING\": \"[]\", \"DEF\": \"fallback\", \"DEF2\": \"used when empty\","
              " \"DEF3\": \"/srv\", \"ESC\": \"${ROOT}\", \"NOBRACE\": \"$ROOT\"}");
}

static void test_errors_name_the_line(void **state) {
  (void)state;
  expect_error("A=1\njust words\n", "line 2: expected '=' after the name in \"just words\"");
  expect_error("A=1\n\n=value\n", "line 3: expected NAME=VALUE");
  expect_error("# c\nA=\"open\nB=2\n", "line 2: a double-quoted value without its closing quote");
  expect_error("A='open\n", "line 1: a single-quoted value without its closing quote");
  expect_error("A=\"x\" y\n", "line 1: unexpected text after the closing quote");
  expect_error("A=1\nB=${A\n", "line 2: \"${\" without a closing \"}\"");
  expect_error("B=${}\n", "line 1: \"${}\" names no variable");
  expect_error("B=${a b}\n", "line 1: \"${a b}\": not a variable name");
  /* A multi-line value shifts the numbers of the lines after it. */
  expect_error("M=\"1\n2\n3\"\nbad\n", "line 4:");
}

static void test_load_names_the_file(void **state) {
  (void)state;
  char dir[] = "/tmp/dapper-envfile-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char path[256], err[512];
  snprintf(path, sizeof(path), "%s/missing.env", dir);
  cJSON *vars = cJSON_CreateObject();
  assert_int_equal(dap_envfile_load(path, vars, lookup, NULL, err, sizeof(err)), DAPPER_EINVAL);
  assert_non_null(strstr(err, path));
  assert_non_null(strstr(err, "No such file or directory"));
  snprintf(path, sizeof(path), "%s/bad.env", dir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("OK=1\noops\n", f);
  fclose(f);
  assert_int_equal(dap_envfile_load(path, vars, lookup, NULL, err, sizeof(err)), DAPPER_EINVAL);
  char want[512];
  snprintf(want, sizeof(want), "envFile \"%s\" line 2: ", path);
  if (strstr(err, want) == NULL)
    fail_msg("%s lacks %s", err, want);
  remove(path);
  rmdir(dir);
  cJSON_Delete(vars);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_plain_values),        cmocka_unit_test(test_quotes),
      cmocka_unit_test(test_expansion),           cmocka_unit_test(test_errors_name_the_line),
      cmocka_unit_test(test_load_names_the_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
