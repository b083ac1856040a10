/* `frameEval` (launch and attach): validation, profiles, defaults
 * (docs/configuration.md, "`frameEval`"). */
#include "launch.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dapper/errors.h"

typedef enum { FE_BOOL, FE_STRING, FE_INT, FE_NUMBER } fe_type_t;

typedef struct {
  const char *key;
  fe_type_t type;
  double min, max;           /* numbers: min < v (open) or min <= v, v <= max */
  bool min_open;             /* numbers: the minimum itself is refused */
  const char *const *values; /* strings: the accepted values, or NULL */
  const char *range;         /* how the message states the range */
} fe_key_t;

static const char *const fe_backends[] = {"auto",      "monitoring", "instrumented",
                                          "evalframe", "tracing",    NULL};
static const char *const fe_profiles[] = {"high-performance", "memory-constrained", "development",
                                          "web",              "scientific",         "data",
                                          NULL};

static const fe_key_t fe_keys[] = {
    {"enabled", FE_BOOL, 0, 0, false, NULL, NULL},
    {"backend", FE_STRING, 0, 0, false, fe_backends,
     "one of \"auto\", \"monitoring\", \"instrumented\", \"evalframe\", \"tracing\""},
    {"fallback_on_error", FE_BOOL, 0, 0, false, NULL, NULL},
    {"selective_tracing", FE_BOOL, 0, 0, false, NULL, NULL},
    {"bytecode_optimization", FE_BOOL, 0, 0, false, NULL, NULL},
    {"cache_enabled", FE_BOOL, 0, 0, false, NULL, NULL},
    {"disk_cache", FE_BOOL, 0, 0, false, NULL, NULL},
    {"max_cache_size", FE_INT, 1, 1000000, false, NULL, "an integer from 1 to 1000000 (entries)"},
    {"cache_ttl", FE_NUMBER, 0, 31536000, true, NULL,
     "a number of seconds (0 < ttl <= 31536000)"},
    {"performance_monitoring", FE_BOOL, 0, 0, false, NULL, NULL},
    {"trace_overhead_threshold", FE_NUMBER, 0, 1, true, NULL,
     "a fraction (0 < threshold <= 1, e.g. 0.1 for 10 %)"},
    {"statisticsInterval", FE_NUMBER, 0, 86400, false, NULL,
     "a number of seconds (0 = off, at most 86400)"},
    {"profile", FE_STRING, 0, 0, false, fe_profiles,
     "one of \"high-performance\", \"memory-constrained\", \"development\", \"web\", "
     "\"scientific\", \"data\""},
    {NULL, FE_BOOL, 0, 0, false, NULL, NULL},
};

/* The keys every resolved object has, in this order: defaults, then the
 * profile's, then the user's. */
typedef struct {
  bool selective_tracing, bytecode_optimization, cache_enabled, performance_monitoring;
  double max_cache_size, cache_ttl, trace_overhead_threshold;
  bool disk_cache;
} fe_profile_t;

static const fe_profile_t fe_default = {true, true, true, false, 256, 300, 0.1, true};

static const struct {
  const char *name;
  fe_profile_t p;
} fe_profile_table[] = {
    /* name          selective bytecode cache  monitor size  ttl   threshold disk */
    {"high-performance", {true, true, true, false, 1024, 3600, 0.1, true}},
    {"memory-constrained", {true, true, true, false, 32, 60, 0.1, true}},
    {"development", {true, true, true, true, 256, 300, 0.25, true}},
    {"web", {true, true, true, false, 512, 600, 0.1, true}},
    {"scientific", {true, true, true, true, 128, 3600, 0.05, true}},
    {"data", {true, true, true, true, 256, 1800, 0.1, true}},
    {NULL, {0}},
};

static const fe_key_t *fe_find(const char *key) {
  for (const fe_key_t *k = fe_keys; k->key != NULL; k++) {
    if (strcmp(k->key, key) == 0)
      return k;
  }
  return NULL;
}

static int fe_check(const fe_key_t *k, const cJSON *v, char *err, size_t errlen) {
  switch (k->type) {
  case FE_BOOL:
    if (!cJSON_IsBool(v)) {
      snprintf(err, errlen, "\"frameEval.%s\" must be true or false", k->key);
      return DAPPER_EINVAL;
    }
    return 0;
  case FE_STRING:
    if (cJSON_IsString(v)) {
      for (const char *const *s = k->values; s != NULL && *s != NULL; s++) {
        if (strcmp(*s, v->valuestring) == 0)
          return 0;
      }
      snprintf(err, errlen, "\"frameEval.%s\": \"%s\" is not %s", k->key, v->valuestring,
               k->range);
    } else {
      snprintf(err, errlen, "\"frameEval.%s\" must be a string, %s", k->key, k->range);
    }
    return DAPPER_EINVAL;
  case FE_INT:
  case FE_NUMBER: {
    double d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    bool ok = cJSON_IsNumber(v) && isfinite(d) && (k->min_open ? d > k->min : d >= k->min) &&
              d <= k->max && (k->type != FE_INT || d == floor(d));
    if (!ok) {
      snprintf(err, errlen, "\"frameEval.%s\" must be %s", k->key, k->range);
      return DAPPER_EINVAL;
    }
    return 0;
  }
  }
  return 0;
}

int dap_frame_eval_resolve(const cJSON *fe, cJSON **out, char *unknown, size_t unknownlen,
                           char *err, size_t errlen) {
  const fe_profile_t *p = &fe_default;
  const cJSON *item;
  size_t used = 0;
  int nunknown = 0;
  if (out != NULL)
    *out = NULL;
  if (unknownlen > 0)
    unknown[0] = '\0';
  if (fe != NULL && !cJSON_IsNull(fe) && !cJSON_IsObject(fe)) {
    snprintf(err, errlen, "\"frameEval\" must be an object (docs/configuration.md)");
    return DAPPER_EINVAL;
  }
  if (fe == NULL || cJSON_IsNull(fe))
    fe = NULL;
  cJSON_ArrayForEach(item, fe) {
    const fe_key_t *k = item->string != NULL ? fe_find(item->string) : NULL;
    if (k == NULL) {
      nunknown++;
      if (used < unknownlen) {
        int w = snprintf(unknown + used, unknownlen - used, "%s\"%s\"", nunknown > 1 ? ", " : "",
                         item->string != NULL ? item->string : "");
        used = w < 0 ? unknownlen : used + (size_t)w;
      }
      continue;
    }
    if (cJSON_IsNull(item))
      continue; /* null: as if absent */
    int rc = fe_check(k, item, err, errlen);
    if (rc != 0)
      return rc;
  }
  if (used >= unknownlen && unknownlen > 4)
    memcpy(unknown + unknownlen - 4, "...", 4);
  const cJSON *prof = cJSON_GetObjectItemCaseSensitive(fe, "profile");
  if (cJSON_IsString(prof)) {
    for (int i = 0; fe_profile_table[i].name != NULL; i++) {
      if (strcmp(fe_profile_table[i].name, prof->valuestring) == 0)
        p = &fe_profile_table[i].p;
    }
  }
  if (out == NULL)
    return nunknown;
  cJSON *r = cJSON_CreateObject();
  if (r == NULL) {
    snprintf(err, errlen, "out of memory");
    return DAPPER_ENOMEM;
  }
  cJSON_AddBoolToObject(r, "selective_tracing", p->selective_tracing);
  cJSON_AddBoolToObject(r, "bytecode_optimization", p->bytecode_optimization);
  cJSON_AddBoolToObject(r, "cache_enabled", p->cache_enabled);
  cJSON_AddNumberToObject(r, "max_cache_size", p->max_cache_size);
  cJSON_AddNumberToObject(r, "cache_ttl", p->cache_ttl);
  cJSON_AddBoolToObject(r, "performance_monitoring", p->performance_monitoring);
  cJSON_AddNumberToObject(r, "trace_overhead_threshold", p->trace_overhead_threshold);
  cJSON_AddBoolToObject(r, "disk_cache", p->disk_cache);
  /* Then every known key the user gave, overriding the profile's. */
  cJSON_ArrayForEach(item, fe) {
    if (item->string == NULL || fe_find(item->string) == NULL || cJSON_IsNull(item))
      continue;
    cJSON_DeleteItemFromObjectCaseSensitive(r, item->string);
    cJSON *copy = cJSON_Duplicate(item, 1);
    if (copy == NULL || !cJSON_AddItemToObject(r, item->string, copy)) {
      cJSON_Delete(copy);
      cJSON_Delete(r);
      snprintf(err, errlen, "out of memory");
      return DAPPER_ENOMEM;
    }
  }
  *out = r;
  return nunknown;
}
