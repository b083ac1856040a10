#include "envfile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dapper/errors.h"

/* Largest envFile read. */
#define ENVFILE_MAX (4u * 1024u * 1024u)

/* A growable string. */
typedef struct {
  char *s;
  size_t len, cap;
  bool oom;
} buf_t;

static void buf_add(buf_t *b, const char *p, size_t n) {
  if (b->oom)
    return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + n + 1)
      cap *= 2;
    char *s = realloc(b->s, cap);
    if (s == NULL) {
      b->oom = true;
      return;
    }
    b->s = s;
    b->cap = cap;
  }
  memcpy(b->s + b->len, p, n);
  b->len += n;
  b->s[b->len] = '\0';
}

static void buf_addc(buf_t *b, char c) {
  buf_add(b, &c, 1);
}

typedef struct {
  const char *p; /* the cursor */
  int line;      /* of the cursor, from 1 */
  cJSON *vars;
  dap_envfile_lookup_fn lookup;
  void *ud;
  char *err;
  size_t errlen;
} parser_t;

static int fail(parser_t *ps, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(parser_t *ps, int line, const char *fmt, ...) {
  int n = snprintf(ps->err, ps->errlen, "line %d: ", line);
  va_list ap;
  va_start(ap, fmt);
  if (n >= 0 && (size_t)n < ps->errlen)
    vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
  va_end(ap);
  return DAPPER_EINVAL;
}

static bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

static bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

static const char *lookup_var(parser_t *ps, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(ps->vars, name);
  if (cJSON_IsString(v))
    return v->valuestring;
  return ps->lookup != NULL ? ps->lookup(name, ps->ud) : NULL;
}

/* Expands ${NAME} and ${NAME:-default} of raw[0..n) into out. literal[i]
 * marks characters that came from an escape (\$), which never start an
 * expansion. */
static int expand(parser_t *ps, int line, const char *raw, const bool *literal, size_t n,
                  buf_t *out) {
  for (size_t i = 0; i < n; i++) {
    if (raw[i] != '$' || literal[i] || i + 1 >= n || raw[i + 1] != '{') {
      buf_addc(out, raw[i]);
      continue;
    }
    size_t close = i + 2;
    while (close < n && raw[close] != '}')
      close++;
    if (close >= n)
      return fail(ps, line, "\"${\" without a closing \"}\"");
    const char *body = raw + i + 2;
    size_t body_len = close - (i + 2);
    const char *dflt = NULL;
    size_t name_len = body_len, dflt_len = 0;
    for (size_t k = 0; k + 1 < body_len; k++) {
      if (body[k] == ':' && body[k + 1] == '-') {
        name_len = k;
        dflt = body + k + 2;
        dflt_len = body_len - k - 2;
        break;
      }
    }
    if (name_len == 0)
      return fail(ps, line, "\"${}\" names no variable");
    for (size_t k = 0; k < name_len; k++) {
      if (!is_name_char(body[k]))
        return fail(ps, line, "\"${%.*s}\": not a variable name", (int)body_len, body);
    }
    char *name = strndup(body, name_len);
    if (name == NULL)
      return DAPPER_ENOMEM;
    const char *value = lookup_var(ps, name);
    free(name);
    if (value != NULL && (*value != '\0' || dflt == NULL))
      buf_add(out, value, strlen(value));
    else if (dflt != NULL)
      buf_add(out, dflt, dflt_len);
    i = close;
  }
  return out->oom ? DAPPER_ENOMEM : 0;
}

/* After a closing quote: blanks, then a comment or the end of the line. */
static int rest_of_line(parser_t *ps) {
  while (is_blank(*ps->p))
    ps->p++;
  if (*ps->p == '#') {
    while (*ps->p != '\0' && *ps->p != '\n')
      ps->p++;
  }
  if (*ps->p == '\r' && ps->p[1] == '\n')
    ps->p++;
  if (*ps->p != '\0' && *ps->p != '\n')
    return fail(ps, ps->line, "unexpected text after the closing quote");
  return 0;
}

/* Appends c to raw and its flag to literal (grown alongside). */
static int push(buf_t *raw, bool **literal, size_t *lit_cap, char c, bool lit) {
  if (raw->len + 1 > *lit_cap) {
    size_t cap = *lit_cap ? *lit_cap * 2 : 64;
    bool *l = realloc(*literal, cap * sizeof(*l));
    if (l == NULL)
      return DAPPER_ENOMEM;
    *literal = l;
    *lit_cap = cap;
  }
  (*literal)[raw->len] = lit;
  buf_addc(raw, c);
  return raw->oom ? DAPPER_ENOMEM : 0;
}

/* The value at the cursor into out; leaves the cursor at the end of the
 * line (on the '\n' or the NUL). */
static int parse_value(parser_t *ps, buf_t *out) {
  int start_line = ps->line;
  char quote = *ps->p;
  buf_t raw = {0};
  bool *literal = NULL;
  size_t lit_cap = 0;
  int rc = 0;
  if (quote == '\'') {
    ps->p++;
    while (*ps->p != '\'' && *ps->p != '\0') {
      if (*ps->p == '\n')
        ps->line++;
      buf_addc(out, *ps->p++);
    }
    if (*ps->p == '\0')
      return fail(ps, start_line, "a single-quoted value without its closing quote");
    ps->p++;
    return out->oom ? DAPPER_ENOMEM : rest_of_line(ps);
  }
  if (quote == '"') {
    ps->p++;
    while (*ps->p != '"' && *ps->p != '\0') {
      char c = *ps->p++;
      bool lit = false;
      if (c == '\n')
        ps->line++;
      if (c == '\\' && *ps->p != '\0') {
        char e = *ps->p++;
        lit = true;
        if (e == 'n')
          c = '\n';
        else if (e == 'r')
          c = '\r';
        else if (e == 't')
          c = '\t';
        else if (e == '\\' || e == '"' || e == '$')
          c = e;
        else {
          /* Not an escape: the backslash stays, and so does e. */
          if ((rc = push(&raw, &literal, &lit_cap, '\\', true)) != 0)
            goto done;
          c = e;
          lit = false;
          if (e == '\n')
            ps->line++;
        }
      }
      if ((rc = push(&raw, &literal, &lit_cap, c, lit)) != 0)
        goto done;
    }
    if (*ps->p == '\0') {
      rc = fail(ps, start_line, "a double-quoted value without its closing quote");
      goto done;
    }
    ps->p++;
    rc = expand(ps, start_line, raw.s != NULL ? raw.s : "", literal, raw.len, out);
    if (rc == 0)
      rc = rest_of_line(ps);
    goto done;
  }
  /* Unquoted: to the end of the line or a " #" comment, trimmed. */
  const char *begin = ps->p;
  const char *end = begin;
  while (*ps->p != '\0' && *ps->p != '\n') {
    if (*ps->p == '#' && ps->p > begin && is_blank(ps->p[-1]))
      break;
    ps->p++;
    end = ps->p;
  }
  while (*ps->p != '\0' && *ps->p != '\n')
    ps->p++;
  while (end > begin && (is_blank(end[-1]) || end[-1] == '\r'))
    end--;
  size_t n = (size_t)(end - begin);
  literal = calloc(n + 1, sizeof(*literal));
  if (literal == NULL)
    return DAPPER_ENOMEM;
  rc = expand(ps, start_line, begin, literal, n, out);
done:
  free(raw.s);
  free(literal);
  return rc;
}

int dap_envfile_parse(const char *text, cJSON *vars, dap_envfile_lookup_fn lookup, void *ud,
                      char *err, size_t errlen) {
  parser_t ps = {
      .p = text, .line = 1, .vars = vars, .lookup = lookup, .ud = ud, .err = err, .errlen = errlen};
  if (errlen > 0)
    err[0] = '\0';
  while (*ps.p != '\0') {
    while (is_blank(*ps.p))
      ps.p++;
    if (*ps.p == '#' || *ps.p == '\n' || *ps.p == '\r' || *ps.p == '\0') {
      while (*ps.p != '\0' && *ps.p != '\n')
        ps.p++;
      goto next_line;
    }
    if (strncmp(ps.p, "export", 6) == 0 && is_blank(ps.p[6])) {
      ps.p += 6;
      while (is_blank(*ps.p))
        ps.p++;
    }
    const char *name = ps.p;
    while (is_name_char(*ps.p))
      ps.p++;
    size_t name_len = (size_t)(ps.p - name);
    while (is_blank(*ps.p))
      ps.p++;
    if (name_len == 0 || *ps.p != '=') {
      const char *eol = strchr(name, '\n');
      int shown = eol != NULL ? (int)(eol - name) : (int)strlen(name);
      if (shown > 0 && name[shown - 1] == '\r')
        shown--;
      if (shown > 60)
        shown = 60;
      return fail(&ps, ps.line,
                  name_len == 0 ? "expected NAME=VALUE (NAME of letters, digits, '_', '.', '-'), "
                                  "found \"%.*s\""
                                : "expected '=' after the name in \"%.*s\"",
                  shown, name);
    }
    ps.p++;
    while (is_blank(*ps.p))
      ps.p++;
    buf_t value = {0};
    buf_add(&value, "", 0);
    int rc = parse_value(&ps, &value);
    if (rc != 0 || value.oom) {
      free(value.s);
      return rc != 0 ? rc : DAPPER_ENOMEM;
    }
    char *key = strndup(name, name_len);
    cJSON *item = cJSON_CreateString(value.s);
    free(value.s);
    if (key == NULL || item == NULL) {
      free(key);
      cJSON_Delete(item);
      return DAPPER_ENOMEM;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(vars, key);
    cJSON_AddItemToObject(vars, key, item);
    free(key);
  next_line:
    if (*ps.p == '\n') {
      ps.p++;
      ps.line++;
    }
  }
  return 0;
}

int dap_envfile_load(const char *path, cJSON *vars, dap_envfile_lookup_fn lookup, void *ud,
                     char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    snprintf(err, errlen, "envFile \"%s\": cannot read it: %s", path, strerror(errno));
    return DAPPER_EINVAL;
  }
  buf_t text = {0};
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && text.len <= ENVFILE_MAX)
    buf_add(&text, chunk, n);
  int read_error = ferror(f) ? errno : 0;
  fclose(f);
  if (read_error != 0 || text.len > ENVFILE_MAX || text.oom) {
    snprintf(err, errlen, "envFile \"%s\": cannot read it: %s", path,
             text.len > ENVFILE_MAX ? "larger than 4 MiB"
                                    : strerror(read_error ? read_error : ENOMEM));
    free(text.s);
    return DAPPER_EINVAL;
  }
  if (text.s != NULL && strlen(text.s) != text.len) {
    snprintf(err, errlen, "envFile \"%s\": it holds a NUL byte: not a text file", path);
    free(text.s);
    return DAPPER_EINVAL;
  }
  char why[512];
  int rc = dap_envfile_parse(text.s != NULL ? text.s : "", vars, lookup, ud, why, sizeof(why));
  free(text.s);
  if (rc == DAPPER_EINVAL)
    snprintf(err, errlen, "envFile \"%s\" %s", path, why);
  else if (rc != 0)
    snprintf(err, errlen, "out of memory");
  return rc;
}
