#include "pathmap.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dapper/errors.h"

typedef struct {
  char *local;                /* without a trailing separator; "" is the root directory */
  char *remote;               /* likewise */
  bool local_win, remote_win; /* a Windows path: '\\' or '/', any case */
} mapping_t;

struct dap_pathmap {
  mapping_t *v;
  size_t n;
  /* Sources the adapter gave a sourceReference: refs[i] is
   * DAP_PATHMAP_FIRST_REF + i, its remote path remote_of_ref[i]. */
  char **remote_of_ref;
  size_t nrefs, refcap;
  bool check_local; /* local paths are on this machine (stat them) */
};

/* "C:\\..." or "c:/...", or any path with a backslash. */
static bool is_windows_path(const char *p) {
  return strchr(p, '\\') != NULL || (isalpha((unsigned char)p[0]) && p[1] == ':');
}

static bool is_sep(char c, bool win) {
  return c == '/' || (win && c == '\\');
}

/* A root without its trailing separators ("/" becomes ""). */
static char *root_dup(const char *root, bool win) {
  size_t len = strlen(root);
  while (len > 0 && is_sep(root[len - 1], win))
    len--;
  return strndup(root, len);
}

void dap_pathmap_free(dap_pathmap_t *m) {
  if (m == NULL)
    return;
  for (size_t i = 0; i < m->n; i++) {
    free(m->v[i].local);
    free(m->v[i].remote);
  }
  for (size_t i = 0; i < m->nrefs; i++)
    free(m->remote_of_ref[i]);
  free(m->remote_of_ref);
  free(m->v);
  free(m);
}

int dap_pathmap_parse(const cJSON *mappings, dap_pathmap_t **out, char *err, size_t errlen) {
  *out = NULL;
  if (mappings == NULL || cJSON_IsNull(mappings))
    return 0;
  if (!cJSON_IsArray(mappings)) {
    snprintf(err, errlen,
             "\"pathMappings\" must be an array of {\"localRoot\": path, \"remoteRoot\": path}");
    return DAPPER_EINVAL;
  }
  int n = cJSON_GetArraySize(mappings);
  if (n == 0)
    return 0;
  dap_pathmap_t *m = calloc(1, sizeof(*m));
  if (m == NULL || (m->v = calloc((size_t)n, sizeof(*m->v))) == NULL) {
    free(m);
    snprintf(err, errlen, "out of memory");
    return DAPPER_ENOMEM;
  }
  const cJSON *item;
  int i = 0;
  cJSON_ArrayForEach(item, mappings) {
    const cJSON *local = cJSON_GetObjectItemCaseSensitive(item, "localRoot");
    const cJSON *remote = cJSON_GetObjectItemCaseSensitive(item, "remoteRoot");
    const char *why = NULL;
    if (!cJSON_IsObject(item))
      why = "must be an object {\"localRoot\": path, \"remoteRoot\": path}";
    else if (!cJSON_IsString(local) || local->valuestring[0] == '\0')
      why = "needs \"localRoot\", a non-empty path (the directory on the client's side)";
    else if (!cJSON_IsString(remote) || remote->valuestring[0] == '\0')
      why = "needs \"remoteRoot\", a non-empty path (the directory where the program runs)";
    if (why != NULL) {
      snprintf(err, errlen, "\"pathMappings\"[%d] %s", i, why);
      dap_pathmap_free(m);
      return DAPPER_EINVAL;
    }
    m->v[i].local_win = is_windows_path(local->valuestring);
    m->v[i].remote_win = is_windows_path(remote->valuestring);
    m->v[i].local = root_dup(local->valuestring, m->v[i].local_win);
    m->v[i].remote = root_dup(remote->valuestring, m->v[i].remote_win);
    m->n = (size_t)i + 1;
    if (m->v[i].local == NULL || m->v[i].remote == NULL) {
      dap_pathmap_free(m);
      snprintf(err, errlen, "out of memory");
      return DAPPER_ENOMEM;
    }
    i++;
  }
  m->check_local = true;
  *out = m;
  return 0;
}

void dap_pathmap_check_local(dap_pathmap_t *m, bool on) {
  if (m != NULL)
    m->check_local = on;
}

/* Whether root (as root_dup made it) is path or a directory above it. A
 * Windows root matches in any case, with either separator. */
static bool root_matches(const char *root, bool win, const char *path, size_t *len) {
  size_t n = strlen(root);
  if (!win && strncmp(path, root, n) != 0)
    return false;
  for (size_t i = 0; win && i < n; i++) {
    if (is_sep(root[i], true) ? !is_sep(path[i], true)
                              : tolower((unsigned char)root[i]) != tolower((unsigned char)path[i]))
      return false;
  }
  if (!is_sep(path[n], win) && path[n] != '\0')
    return false;
  if (n == 0 && path[0] != '/')
    return false; /* the root directory matches absolute paths only */
  *len = n;
  return true;
}

char *dap_pathmap_path(const dap_pathmap_t *m, const char *path, dap_path_dir_t dir) {
  if (m == NULL || path == NULL)
    return NULL;
  const mapping_t *best = NULL;
  size_t best_len = 0;
  for (size_t i = 0; i < m->n; i++) {
    bool to_remote = dir == DAP_PATH_TO_REMOTE;
    const char *from = to_remote ? m->v[i].local : m->v[i].remote;
    bool win = to_remote ? m->v[i].local_win : m->v[i].remote_win;
    size_t len;
    if (root_matches(from, win, path, &len) && (best == NULL || len > best_len)) {
      best = &m->v[i];
      best_len = len;
    }
  }
  if (best == NULL)
    return NULL;
  bool to_remote = dir == DAP_PATH_TO_REMOTE;
  const char *to = to_remote ? best->remote : best->local;
  bool from_win = to_remote ? best->local_win : best->remote_win;
  bool to_win = to_remote ? best->remote_win : best->local_win;
  const char *rest = path + best_len;
  char *mapped = NULL;
  if (*to == '\0' && *rest == '\0')
    mapped = strdup("/");
  else if (asprintf(&mapped, "%s%s", to, rest) < 0)
    mapped = NULL;
  /* The rest's separators as the other side writes them. */
  for (char *c = mapped != NULL ? mapped + strlen(to) : NULL; c != NULL && *c != '\0'; c++) {
    if (from_win && !to_win && *c == '\\')
      *c = '/';
    else if (!from_win && to_win && *c == '/')
      *c = '\\';
  }
  return mapped;
}

/* The `File "..."` of each traceback line in text, mapped; NULL when
 * nothing changed. */
static char *map_traceback(const dap_pathmap_t *m, const char *text, dap_path_dir_t dir) {
  static const char marker[] = "File \"";
  size_t cap = strlen(text) + 1, used = 0;
  char *out = NULL;
  bool changed = false;
  const char *p = text;
  for (;;) {
    const char *hit = strstr(p, marker);
    const char *end = hit != NULL ? strchr(hit + sizeof(marker) - 1, '"') : NULL;
    const char *copy_to = end != NULL ? hit + sizeof(marker) - 1 : p + strlen(p);
    char *mapped = NULL;
    if (end != NULL) {
      char *file = strndup(copy_to, (size_t)(end - copy_to));
      mapped = file != NULL ? dap_pathmap_path(m, file, dir) : NULL;
      free(file);
    }
    size_t need = used + (size_t)(copy_to - p) + (mapped != NULL ? strlen(mapped) : 0) + 1;
    if (out == NULL || need > cap) {
      cap = need > cap ? need * 2 : cap;
      char *grown = realloc(out, cap);
      if (grown == NULL) {
        free(mapped);
        free(out);
        return NULL;
      }
      out = grown;
    }
    memcpy(out + used, p, (size_t)(copy_to - p));
    used += (size_t)(copy_to - p);
    out[used] = '\0';
    if (end == NULL)
      break;
    if (mapped != NULL) {
      changed = true;
      memcpy(out + used, mapped, strlen(mapped) + 1);
      used += strlen(mapped);
      p = end;
    } else {
      p = copy_to;
    }
    free(mapped);
  }
  if (!changed) {
    free(out);
    return NULL;
  }
  return out;
}

static void set_string(cJSON *obj, const char *key, const char *value) {
  cJSON *s = cJSON_CreateString(value);
  if (s != NULL)
    cJSON_ReplaceItemInObjectCaseSensitive(obj, key, s);
}

/* The adapter's sourceReference for remote (reusing one it gave before). */
static long ref_for(dap_pathmap_t *m, const char *remote) {
  for (size_t i = 0; i < m->nrefs; i++) {
    if (strcmp(m->remote_of_ref[i], remote) == 0)
      return DAP_PATHMAP_FIRST_REF + (long)i;
  }
  if (m->nrefs == m->refcap) {
    size_t cap = m->refcap ? m->refcap * 2 : 16;
    char **v = realloc(m->remote_of_ref, cap * sizeof(*v));
    if (v == NULL)
      return 0;
    m->remote_of_ref = v;
    m->refcap = cap;
  }
  if ((m->remote_of_ref[m->nrefs] = strdup(remote)) == NULL)
    return 0;
  return DAP_PATHMAP_FIRST_REF + (long)m->nrefs++;
}

/* The remote path of one of the adapter's references, or NULL. */
static const char *remote_of(const dap_pathmap_t *m, const cJSON *ref) {
  if (!cJSON_IsNumber(ref) || ref->valuedouble < DAP_PATHMAP_FIRST_REF)
    return NULL;
  double i = ref->valuedouble - DAP_PATHMAP_FIRST_REF;
  return i < (double)m->nrefs ? m->remote_of_ref[(size_t)i] : NULL;
}

static void map_node(dap_pathmap_t *m, cJSON *node, dap_path_dir_t dir, bool is_source);

static void map_object(dap_pathmap_t *m, cJSON *obj, dap_path_dir_t dir, bool is_source) {
  cJSON *path = cJSON_GetObjectItemCaseSensitive(obj, "path");
  if (is_source && dir == DAP_PATH_TO_REMOTE) {
    cJSON *ref = cJSON_GetObjectItemCaseSensitive(obj, "sourceReference");
    const char *remote = remote_of(m, ref);
    if (remote != NULL) {
      /* Ours: the runtime reads the file at its remote path. */
      set_string(obj, "path", remote);
      cJSON_DeleteItemFromObjectCaseSensitive(obj, "sourceReference");
      path = NULL; /* remote already */
    }
  }
  if (cJSON_IsString(path)) {
    char *mapped = dap_pathmap_path(m, path->valuestring, dir);
    if (mapped != NULL) {
      struct stat st;
      if (is_source && dir == DAP_PATH_TO_LOCAL && m->check_local &&
          cJSON_GetObjectItemCaseSensitive(obj, "sourceReference") == NULL &&
          stat(mapped, &st) != 0) {
        /* Not on this machine: the client reads it through `source`. */
        long ref = ref_for(m, path->valuestring);
        if (ref > 0)
          cJSON_AddNumberToObject(obj, "sourceReference", (double)ref);
      }
      cJSON_SetValuestring(path, mapped);
      free(mapped);
    }
  }
  cJSON *child;
  cJSON_ArrayForEach(child, obj) {
    const char *key = child->string;
    if (cJSON_IsString(child) && key != NULL && strcmp(key, "stackTrace") == 0) {
      char *text = map_traceback(m, child->valuestring, dir);
      if (text != NULL)
        cJSON_SetValuestring(child, text);
      free(text);
      continue;
    }
    if (cJSON_IsObject(child) || cJSON_IsArray(child))
      map_node(m, child, dir, key != NULL && strcmp(key, "source") == 0);
  }
}

static void map_node(dap_pathmap_t *m, cJSON *node, dap_path_dir_t dir, bool is_source) {
  if (cJSON_IsObject(node)) {
    map_object(m, node, dir, is_source);
  } else if (cJSON_IsArray(node)) {
    /* Elements of "sources" are Sources. */
    bool sources = node->string != NULL && strcmp(node->string, "sources") == 0;
    cJSON *item;
    cJSON_ArrayForEach(item, node) map_node(m, item, dir, sources);
  }
}

void dap_pathmap_tree(dap_pathmap_t *m, cJSON *tree, dap_path_dir_t dir) {
  if (m == NULL || tree == NULL)
    return;
  if (dir == DAP_PATH_TO_REMOTE && cJSON_IsObject(tree)) {
    /* `source`'s own (deprecated) sourceReference argument. */
    cJSON *ref = cJSON_GetObjectItemCaseSensitive(tree, "sourceReference");
    if (remote_of(m, ref) != NULL) {
      cJSON *src = cJSON_GetObjectItemCaseSensitive(tree, "source");
      if (!cJSON_IsObject(src)) {
        cJSON_DeleteItemFromObjectCaseSensitive(tree, "source");
        src = cJSON_AddObjectToObject(tree, "source");
        if (src != NULL)
          cJSON_AddItemToObject(src, "sourceReference", cJSON_Duplicate(ref, 0));
      }
      cJSON_DeleteItemFromObjectCaseSensitive(tree, "sourceReference");
    }
  }
  map_node(m, tree, dir, false);
}
