/* `envFile`: variables from a dotenv file (docs/configuration.md, "envFile").
 *
 * Each line is empty, a comment (`# ...`), or `[export ]NAME=VALUE` with
 * NAME of letters, digits, '_', '.' and '-'. VALUE is
 *  - unquoted: up to the end of the line or a ` #` comment, trimmed;
 *  - 'single-quoted': taken as written (may span lines), no expansion;
 *  - "double-quoted": may span lines; escapes \n \r \t \\ \" \$ (any other
 *    backslash stays); then only a comment may follow the closing quote.
 * Unquoted and double-quoted values expand ${NAME} and ${NAME:-default}:
 * a variable defined earlier in the file, else the `lookup` environment,
 * else the default (or nothing). $NAME without braces stays as written. */
#ifndef DAPPER_ADAPTER_ENVFILE_H
#define DAPPER_ADAPTER_ENVFILE_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* The value of an environment variable for ${NAME}, or NULL. */
typedef const char *(*dap_envfile_lookup_fn)(const char *name, void *ud);

/* Parses dotenv text (NUL-terminated) into vars (an object owned by the
 * caller): each variable as a string member, a later definition replacing
 * an earlier one. Returns 0, or DAPPER_EINVAL with "line N: why" in err
 * (vars then holds the lines before it), or DAPPER_ENOMEM. */
int dap_envfile_parse(const char *text, cJSON *vars, dap_envfile_lookup_fn lookup, void *ud,
                      char *err, size_t errlen);

/* Reads the file at path and parses it as above; err names the file:
 * "envFile \"PATH\": cannot read it: No such file or directory" or
 * "envFile \"PATH\" line N: why". */
int dap_envfile_load(const char *path, cJSON *vars, dap_envfile_lookup_fn lookup, void *ud,
                     char *err, size_t errlen);

#endif
