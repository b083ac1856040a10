/* Unit tests of pathMappings (adapter/pathmap.c): parsing, longest prefix
 * in each direction, '/' boundaries, and the walk over DAP bodies. */
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
#include "pathmap.h"

static dap_pathmap_t *parse(const char *json) {
  cJSON *v = cJSON_Parse(json);
  assert_non_null(v);
  dap_pathmap_t *m = NULL;
  char err[256] = "";
  int rc = dap_pathmap_parse(v, &m, err, sizeof(err));
  cJSON_Delete(v);
  if (rc != 0)
    fail_msg("parse %s: %s", json, err);
  return m;
}

static void expect_map(const dap_pathmap_t *m, const char *path, dap_path_dir_t dir,
                       const char *want) {
  char *got = dap_pathmap_path(m, path, dir);
  if (want == NULL) {
    if (got != NULL)
      fail_msg("%s: want unchanged, got %s", path, got);
    return;
  }
  if (got == NULL)
    fail_msg("%s: want %s, got unchanged", path, want);
  assert_string_equal(got, want);
  free(got);
}

static void test_both_directions(void **state) {
  (void)state;
  dap_pathmap_t *m = parse("[{\"localRoot\": \"/home/me/proj/\", \"remoteRoot\": \"/app\"}]");
  expect_map(m, "/home/me/proj/pkg/mod.py", DAP_PATH_TO_REMOTE, "/app/pkg/mod.py");
  expect_map(m, "/app/pkg/mod.py", DAP_PATH_TO_LOCAL, "/home/me/proj/pkg/mod.py");
  expect_map(m, "/home/me/proj", DAP_PATH_TO_REMOTE, "/app");
  /* Not under a root: unchanged, in each direction. */
  expect_map(m, "/usr/lib/python3.11/json/__init__.py", DAP_PATH_TO_LOCAL, NULL);
  expect_map(m, "/app/x.py", DAP_PATH_TO_REMOTE, NULL);
  expect_map(m, "/home/me/proj/x.py", DAP_PATH_TO_LOCAL, NULL);
  /* A prefix that is not a directory boundary does not match. */
  expect_map(m, "/application/x.py", DAP_PATH_TO_LOCAL, NULL);
  expect_map(m, "/home/me/project2/x.py", DAP_PATH_TO_REMOTE, NULL);
  expect_map(m, "relative/x.py", DAP_PATH_TO_REMOTE, NULL);
  dap_pathmap_free(m);
}

static void test_longest_prefix_wins(void **state) {
  (void)state;
  dap_pathmap_t *m = parse("[{\"localRoot\": \"/src\", \"remoteRoot\": \"/srv/app\"},"
                           " {\"localRoot\": \"/src/vendor/lib\", \"remoteRoot\": \"/opt/lib\"},"
                           " {\"localRoot\": \"/other\", \"remoteRoot\": \"/srv/app/plugins\"}]");
  expect_map(m, "/src/main.py", DAP_PATH_TO_REMOTE, "/srv/app/main.py");
  expect_map(m, "/src/vendor/lib/a.py", DAP_PATH_TO_REMOTE, "/opt/lib/a.py");
  expect_map(m, "/src/vendor/other.py", DAP_PATH_TO_REMOTE, "/srv/app/vendor/other.py");
  expect_map(m, "/srv/app/plugins/p.py", DAP_PATH_TO_LOCAL, "/other/p.py");
  expect_map(m, "/srv/app/main.py", DAP_PATH_TO_LOCAL, "/src/main.py");
  expect_map(m, "/opt/lib/a.py", DAP_PATH_TO_LOCAL, "/src/vendor/lib/a.py");
  dap_pathmap_free(m);
}

static void test_root_directory(void **state) {
  (void)state;
  dap_pathmap_t *m = parse("[{\"localRoot\": \"/home/me/img\", \"remoteRoot\": \"/\"}]");
  expect_map(m, "/etc/app.py", DAP_PATH_TO_LOCAL, "/home/me/img/etc/app.py");
  expect_map(m, "/home/me/img/etc/app.py", DAP_PATH_TO_REMOTE, "/etc/app.py");
  expect_map(m, "/home/me/img", DAP_PATH_TO_REMOTE, "/");
  expect_map(m, "<string>", DAP_PATH_TO_LOCAL, NULL);
  dap_pathmap_free(m);
}

/* A client on Windows, the program on Linux: any case, either separator on
 * the local side; the rest of each path takes the other side's separators. */
static void test_windows_client(void **state) {
  (void)state;
  dap_pathmap_t *m = parse("[{\"localRoot\": \"C:\\\\Users\\\\me\\\\proj\\\\\", "
                           "\"remoteRoot\": \"/app\"}]");
  expect_map(m, "c:\\Users\\me\\proj\\pkg\\mod.py", DAP_PATH_TO_REMOTE, "/app/pkg/mod.py");
  expect_map(m, "C:/users/ME/proj/x.py", DAP_PATH_TO_REMOTE, "/app/x.py");
  expect_map(m, "/app/pkg/mod.py", DAP_PATH_TO_LOCAL, "C:\\Users\\me\\proj\\pkg\\mod.py");
  expect_map(m, "C:\\Users\\me\\project\\x.py", DAP_PATH_TO_REMOTE, NULL);
  dap_pathmap_free(m);
  /* A POSIX side keeps a backslash that is part of a file name. */
  m = parse("[{\"localRoot\": \"/src\", \"remoteRoot\": \"/app\"}]");
  expect_map(m, "/app/odd\\name.py", DAP_PATH_TO_LOCAL, "/src/odd\\name.py");
  dap_pathmap_free(m);
}

static void test_parse_errors(void **state) {
  (void)state;
  static const struct {
    const char *json, *want;
  } cases[] = {
      {"{}", "\"pathMappings\" must be an array"},
      {"[1]", "\"pathMappings\"[0] must be an object"},
      {"[{\"localRoot\": \"/a\", \"remoteRoot\": \"/b\"}, {\"remoteRoot\": \"/b\"}]",
       "\"pathMappings\"[1] needs \"localRoot\""},
      {"[{\"localRoot\": \"/a\", \"remoteRoot\": \"\"}]",
       "\"pathMappings\"[0] needs \"remoteRoot\""},
      {"[{\"localRoot\": \"/a\", \"remoteRoot\": 3}]", "\"pathMappings\"[0] needs \"remoteRoot\""},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    cJSON *v = cJSON_Parse(cases[i].json);
    dap_pathmap_t *m = NULL;
    char err[256] = "";
    assert_int_equal(dap_pathmap_parse(v, &m, err, sizeof(err)), DAPPER_EINVAL);
    assert_null(m);
    if (strstr(err, cases[i].want) == NULL)
      fail_msg("%s: error %s lacks %s", cases[i].json, err, cases[i].want);
    cJSON_Delete(v);
  }
  /* Absent, null and empty: no mapping. */
  dap_pathmap_t *m = (dap_pathmap_t *)1;
  char err[64];
  assert_int_equal(dap_pathmap_parse(NULL, &m, err, sizeof(err)), 0);
  assert_null(m);
  cJSON *empty = cJSON_CreateArray();
  assert_int_equal(dap_pathmap_parse(empty, &m, err, sizeof(err)), 0);
  assert_null(m);
  cJSON_Delete(empty);
}

static void expect_tree(dap_pathmap_t *m, const char *in, dap_path_dir_t dir, const char *want) {
  cJSON *tree = cJSON_Parse(in);
  cJSON *expected = cJSON_Parse(want);
  assert_non_null(tree);
  assert_non_null(expected);
  dap_pathmap_tree(m, tree, dir);
  if (!cJSON_Compare(tree, expected, 1)) {
    char *got = cJSON_PrintUnformatted(tree);
    fail_msg("got %s\nwant %s", got, want);
  }
  cJSON_Delete(tree);
  cJSON_Delete(expected);
}

/* The local root is a new directory, so mapped sources exist or not as
 * the test needs. */
static void test_tree_bodies(void **state) {
  (void)state;
  char cwd[] = "/tmp/dapper-pathmap-XXXXXX";
  assert_non_null(mkdtemp(cwd));
  char json[8192], in[8192], want[8192], here[4096];
  snprintf(here, sizeof(here), "%s/pathmap_here.py", cwd);
  snprintf(json, sizeof(json), "[{\"localRoot\": \"%s\", \"remoteRoot\": \"/remote\"}]", cwd);
  dap_pathmap_t *m = parse(json);
  FILE *f = fopen(here, "w");
  assert_non_null(f);
  fclose(f);

  /* setBreakpoints arguments, towards the runtime. */
  snprintf(in, sizeof(in),
           "{\"source\": {\"name\": \"pathmap_here.py\", \"path\": \"%s/pathmap_here.py\"},"
           " \"breakpoints\": [{\"line\": 3, \"id\": 1}]}",
           cwd);
  expect_tree(m, in, DAP_PATH_TO_REMOTE,
              "{\"source\": {\"name\": \"pathmap_here.py\", \"path\": \"/remote/pathmap_here.py\"},"
              " \"breakpoints\": [{\"line\": 3, \"id\": 1}]}");

  /* stackTrace from the runtime: a file that exists here, one that does
   * not (gets an adapter reference), one outside the roots, one that has
   * the runtime's reference already. */
  snprintf(want, sizeof(want),
           "{\"stackFrames\": ["
           "{\"id\": 1, \"source\": {\"name\": \"pathmap_here.py\", \"path\": "
           "\"%s/pathmap_here.py\"}, \"line\": 2},"
           "{\"id\": 2, \"source\": {\"name\": \"gone.py\", \"path\": \"%s/gone.py\", "
           "\"sourceReference\": %d}, \"line\": 5},"
           "{\"id\": 3, \"source\": {\"name\": \"json.py\", \"path\": \"/usr/lib/json.py\"}},"
           "{\"id\": 4, \"source\": {\"name\": \"<string>\", \"sourceReference\": 7}}],"
           " \"totalFrames\": 4}",
           cwd, cwd, DAP_PATHMAP_FIRST_REF);
  expect_tree(m,
              "{\"stackFrames\": ["
              "{\"id\": 1, \"source\": {\"name\": \"pathmap_here.py\", \"path\": "
              "\"/remote/pathmap_here.py\"}, \"line\": 2},"
              "{\"id\": 2, \"source\": {\"name\": \"gone.py\", \"path\": \"/remote/gone.py\"}, "
              "\"line\": 5},"
              "{\"id\": 3, \"source\": {\"name\": \"json.py\", \"path\": \"/usr/lib/json.py\"}},"
              "{\"id\": 4, \"source\": {\"name\": \"<string>\", \"sourceReference\": 7}}],"
              " \"totalFrames\": 4}",
              DAP_PATH_TO_LOCAL, want);

  /* The same missing file again: the same reference. The `source` request
   * for it goes to the runtime with the remote path and no reference. */
  snprintf(want, sizeof(want),
           "{\"reason\": \"new\", \"source\": {\"path\": \"%s/gone.py\", \"sourceReference\": %d}}",
           cwd, DAP_PATHMAP_FIRST_REF);
  expect_tree(m, "{\"reason\": \"new\", \"source\": {\"path\": \"/remote/gone.py\"}}",
              DAP_PATH_TO_LOCAL, want);
  snprintf(in, sizeof(in),
           "{\"sourceReference\": %d, \"source\": {\"path\": \"%s/gone.py\", \"sourceReference\": "
           "%d}}",
           DAP_PATHMAP_FIRST_REF, cwd, DAP_PATHMAP_FIRST_REF);
  expect_tree(m, in, DAP_PATH_TO_REMOTE, "{\"source\": {\"path\": \"/remote/gone.py\"}}");
  /* The runtime's own references pass through. */
  expect_tree(m, "{\"sourceReference\": 7, \"source\": {\"sourceReference\": 7}}",
              DAP_PATH_TO_REMOTE, "{\"sourceReference\": 7, \"source\": {\"sourceReference\": 7}}");

  /* Modules and loadedSources responses, a `breakpoint` event. */
  snprintf(want, sizeof(want),
           "{\"modules\": [{\"id\": \"m\", \"name\": \"m\", \"path\": \"%s/m.py\"}],"
           " \"sources\": [{\"name\": \"pathmap_here.py\", \"path\": \"%s/pathmap_here.py\"}],"
           " \"breakpoint\": {\"id\": 1, \"verified\": true, \"source\": {\"path\": "
           "\"%s/pathmap_here.py\"}}}",
           cwd, cwd, cwd);
  expect_tree(m,
              "{\"modules\": [{\"id\": \"m\", \"name\": \"m\", \"path\": \"/remote/m.py\"}],"
              " \"sources\": [{\"name\": \"pathmap_here.py\", \"path\": "
              "\"/remote/pathmap_here.py\"}],"
              " \"breakpoint\": {\"id\": 1, \"verified\": true, \"source\": {\"path\": "
              "\"/remote/pathmap_here.py\"}}}",
              DAP_PATH_TO_LOCAL, want);

  /* exceptionInfo: each traceback line's file. */
  snprintf(want, sizeof(want),
           "{\"exceptionId\": \"ValueError\", \"details\": {\"stackTrace\": "
           "\"  File \\\"%s/a.py\\\", line 3, in f\\n  File \\\"/usr/lib/b.py\\\", line 1\\n"
           "  File \\\"%s/c.py\\\", line 9\\n\"}}",
           cwd, cwd);
  expect_tree(
      m,
      "{\"exceptionId\": \"ValueError\", \"details\": {\"stackTrace\": "
      "\"  File \\\"/remote/a.py\\\", line 3, in f\\n  File \\\"/usr/lib/b.py\\\", line 1\\n"
      "  File \\\"/remote/c.py\\\", line 9\\n\"}}",
      DAP_PATH_TO_LOCAL, want);
  /* With the client's files on another machine (--listen), no reference. */
  dap_pathmap_check_local(m, false);
  snprintf(want, sizeof(want), "{\"source\": {\"path\": \"%s/elsewhere.py\"}}", cwd);
  expect_tree(m, "{\"source\": {\"path\": \"/remote/elsewhere.py\"}}", DAP_PATH_TO_LOCAL, want);
  dap_pathmap_check_local(m, true);
  /* Variables hold no path members: untouched. */
  expect_tree(m, "{\"variables\": [{\"name\": \"p\", \"value\": \"'/remote/a.py'\"}]}",
              DAP_PATH_TO_LOCAL,
              "{\"variables\": [{\"name\": \"p\", \"value\": \"'/remote/a.py'\"}]}");
  remove(here);
  rmdir(cwd);
  dap_pathmap_free(m);
}

static void test_no_mapping_is_noop(void **state) {
  (void)state;
  expect_tree(NULL, "{\"source\": {\"path\": \"/x.py\"}}", DAP_PATH_TO_LOCAL,
              "{\"source\": {\"path\": \"/x.py\"}}");
  assert_null(dap_pathmap_path(NULL, "/x.py", DAP_PATH_TO_REMOTE));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_both_directions),    cmocka_unit_test(test_longest_prefix_wins),
      cmocka_unit_test(test_root_directory),     cmocka_unit_test(test_windows_client),
      cmocka_unit_test(test_parse_errors),       cmocka_unit_test(test_tree_bodies),
      cmocka_unit_test(test_no_mapping_is_noop),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
