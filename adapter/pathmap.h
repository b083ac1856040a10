/* `pathMappings`: the program's files are at other paths than the client's
 * (a container, a remote host, a copy). Each mapping is a pair of roots,
 * localRoot (the client's side) and remoteRoot (the program's side); the
 * root with the longest match wins, in each direction, and a path no root
 * matches passes unchanged. A root matches a path equal to it or under it
 * (at a '/' boundary: "/app" matches "/app/x.py", not "/apple.py"). A
 * Windows root ("C:\\proj", any path with a backslash) matches in any case
 * with either separator, and the rest of a mapped path takes the
 * separators of the side it goes to.
 *
 * The adapter applies it in one place (forward.c): to every message it
 * sends to the runtime (local -> remote) and to every response and event
 * it relays to the client (remote -> local). Which members are paths:
 * dap_pathmap_tree. */
#ifndef DAPPER_ADAPTER_PATHMAP_H
#define DAPPER_ADAPTER_PATHMAP_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

typedef struct dap_pathmap dap_pathmap_t;

typedef enum {
  DAP_PATH_TO_REMOTE, /* client -> runtime: localRoot prefix becomes remoteRoot */
  DAP_PATH_TO_LOCAL,  /* runtime -> client: remoteRoot prefix becomes localRoot */
} dap_path_dir_t;

/* The smallest sourceReference the adapter hands out itself (for a mapped
 * source whose local file does not exist); the runtime's are below it. */
#define DAP_PATHMAP_FIRST_REF 0x40000000

/* Reads the `pathMappings` value (borrowed; NULL or JSON null: no mapping,
 * *out stays NULL). Returns 0 and *out (free with dap_pathmap_free), or
 * DAPPER_EINVAL with a sentence naming the entry in err, or DAPPER_ENOMEM. */
int dap_pathmap_parse(const cJSON *mappings, dap_pathmap_t **out, char *err, size_t errlen);
void dap_pathmap_free(dap_pathmap_t *m);

/* Whether the client's files are on this machine (default: yes), so that a
 * mapped source whose local file is missing gets a sourceReference. Off
 * when the adapter runs beside the program (--listen): the client's paths
 * are then another machine's. */
void dap_pathmap_check_local(dap_pathmap_t *m, bool on);

/* path mapped in direction dir: a malloc'd string, or NULL when no root
 * matches (or m is NULL, or out of memory): the path is used unchanged. */
char *dap_pathmap_path(const dap_pathmap_t *m, const char *path, dap_path_dir_t dir);

/* Maps, in place, every path in a request's arguments or a response's or
 * event's body (tree, owned by the caller):
 *  - a string member "path" of any object (Source.path, Module.path, the
 *    adapter's own argument objects);
 *  - the text of a string member "stackTrace" (exceptionInfo details: the
 *    `File "..."` of each traceback line).
 * Towards the client, a Source (the object under "source", or an element
 * of "sources") whose mapped path does not exist on this machine (when
 * dap_pathmap_check_local is on) and that has no sourceReference gets one
 * of the adapter's, so the client asks
 * for its text with `source`; towards the runtime, a Source carrying such a
 * reference gets its remote path back and loses the reference, so the
 * runtime reads the file where it is. No-op when m is NULL. */
void dap_pathmap_tree(dap_pathmap_t *m, cJSON *tree, dap_path_dir_t dir);

#endif
