/* The C ABI from plain C99: every function, its error paths, streams and the
 * audit callback. Built with -std=c99 -Wall -Wextra -pedantic -Werror against
 * the shared library, and run under ASan/UBSan by tools/test.sh.
 *
 * Usage: capi_test SOURCE_DIR TMP_DIR [STARTER.mspack] */
#define _POSIX_C_SOURCE 200809L /* mkdir, for a fixture folder */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "menshen.h"

static int failures = 0;
static const char *source_dir;
static const char *tmp_dir;

#define CHECK(cond)                                                   \
  do {                                                                \
    if (!(cond)) {                                                    \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                     \
    }                                                                 \
  } while (0)

#define CHECK_STATUS(call, want)                                                   \
  do {                                                                             \
    menshen_status got_ = (call);                                                  \
    if (got_ != (want)) {                                                          \
      fprintf(stderr, "%s:%d: %s returned %d (%s), want %d; last error: %s\n",     \
              __FILE__, __LINE__, #call, (int)got_, menshen_strerror(got_), (int)(want), \
              menshen_last_error());                                               \
      ++failures;                                                                  \
    }                                                                              \
  } while (0)

static int contains(const char *haystack, const char *needle) {
  return haystack != NULL && strstr(haystack, needle) != NULL;
}

static int span_equals(const char *s, size_t len, const char *want) {
  return s != NULL && len == strlen(want) && memcmp(s, want, len) == 0;
}

static void path_in(char *out, size_t size, const char *dir, const char *name) {
  snprintf(out, size, "%s/%s", dir, name);
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  if (f == NULL) {
    fprintf(stderr, "cannot write %s\n", path);
    exit(2);
  }
  fputs(text, f);
  fclose(f);
}

/* ---- Versions, codes, names -------------------------------------------- */

static void test_versions_and_codes(void) {
  int code;
  CHECK(menshen_version_number() == MENSHEN_VERSION_NUMBER);
  CHECK(strcmp(menshen_version_string(), "0.1.0") == 0);
  for (code = 0; code >= -20; --code) {
    const char *text = menshen_strerror((menshen_status)code);
    CHECK(text != NULL && text[0] != '\0');
  }
  CHECK(strcmp(menshen_strerror((menshen_status)-1000), "unknown status code") == 0);
  CHECK(strcmp(menshen_strerror(MENSHEN_EUSER), "a callback asked to stop") == 0);
  CHECK(strcmp(menshen_action_name(MENSHEN_ALLOW), "ALLOW") == 0);
  CHECK(strcmp(menshen_action_name(MENSHEN_BLOCK), "BLOCK") == 0);
  CHECK(strcmp(menshen_action_name((menshen_action)42), "UNKNOWN") == 0);
  CHECK(menshen_last_error() != NULL);
}

/* ---- Opening engines, and every way it can fail ------------------------ */

static menshen_status open_with(const char *pack, const char *policy, const char *profile,
                                menshen_engine **engine) {
  menshen_engine_options options = MENSHEN_ENGINE_OPTIONS_INIT;
  const char *packs[1];
  packs[0] = pack;
  options.packs = packs;
  options.pack_count = pack != NULL ? 1 : 0;
  options.policy_path = policy;
  options.profile = profile;
  return menshen_engine_open(&options, engine);
}

static void test_open_errors(void) {
  char path[2048], folder[1024];
  menshen_engine *engine = (menshen_engine *)&failures; /* must be reset to NULL */
  menshen_engine_options options = MENSHEN_ENGINE_OPTIONS_INIT;
  const char *null_pack[1] = {NULL};

  CHECK_STATUS(menshen_engine_open(NULL, &engine), MENSHEN_EINVAL);
  CHECK(engine == NULL);
  CHECK(contains(menshen_last_error(), "options is NULL"));
  CHECK_STATUS(menshen_engine_open(&options, NULL), MENSHEN_EINVAL);

  options.struct_size = sizeof(options) - 1;
  CHECK_STATUS(menshen_engine_open(&options, &engine), MENSHEN_EVERSION);
  CHECK(contains(menshen_last_error(), "struct_size"));
  options.struct_size = sizeof(options) + 8;
  CHECK_STATUS(menshen_engine_open(&options, &engine), MENSHEN_EVERSION);
  options.struct_size = sizeof(options);

  options.pack_count = 1;
  CHECK_STATUS(menshen_engine_open(&options, &engine), MENSHEN_EINVAL);
  options.packs = null_pack;
  CHECK_STATUS(menshen_engine_open(&options, &engine), MENSHEN_EINVAL);
  CHECK(contains(menshen_last_error(), "packs[0] is NULL"));

  path_in(path, sizeof path, tmp_dir, "no-such.mspack");
  CHECK_STATUS(open_with(path, NULL, NULL, &engine), MENSHEN_EIO);
  CHECK(contains(menshen_last_error(), "no-such.mspack"));

  path_in(path, sizeof path, tmp_dir, "corrupt.mspack");
  write_file(path, "MSPACK this is not a pack at all");
  CHECK_STATUS(open_with(path, NULL, NULL, &engine), MENSHEN_EPACK);
  CHECK(contains(menshen_last_error(), "corrupt.mspack"));
  CHECK(engine == NULL);

  /* A source folder whose manifest does not parse. */
  path_in(folder, sizeof folder, tmp_dir, "badpack");
  mkdir(folder, 0755);
  path_in(path, sizeof path, folder, "pack.textproto");
  write_file(path, "name: \"unterminated\n");
  CHECK_STATUS(open_with(folder, NULL, NULL, &engine), MENSHEN_EPACK);
  CHECK(contains(menshen_last_error(), "pack.textproto"));

  path_in(folder, sizeof folder, source_dir, "keyword_packs/starter");
  path_in(path, sizeof path, tmp_dir, "no-such-policy.textproto");
  CHECK_STATUS(open_with(folder, path, NULL, &engine), MENSHEN_EIO);
  path_in(path, sizeof path, tmp_dir, "bad-policy.textproto");
  write_file(path, "profile { name: \"p\" rule { action: NOPE } }\n");
  CHECK_STATUS(open_with(folder, path, NULL, &engine), MENSHEN_EPOLICY);
  CHECK(contains(menshen_last_error(), "bad-policy.textproto"));
  CHECK_STATUS(open_with(folder, NULL, "", &engine), MENSHEN_OK); /* "" = the default */
  menshen_engine_close(engine);
  CHECK_STATUS(open_with(folder, NULL, "no-such-profile", &engine), MENSHEN_EPROFILE);
  CHECK(contains(menshen_last_error(), "no-such-profile"));
  CHECK(engine == NULL);

  /* Close and free accept NULL. */
  menshen_engine_close(NULL);
  menshen_result_free(NULL);
  menshen_stream_close(NULL);
  CHECK(menshen_engine_error(NULL)[0] != '\0');
  CHECK(menshen_result_error(NULL)[0] != '\0');
  CHECK(menshen_stream_error(NULL)[0] != '\0');
}

/* ---- Checks ------------------------------------------------------------ */

static const char kRefused[] = "\xe5\x87\xba\xe5\x94\xae\xe5\x86\xb0\xe6\xaf\x92" /* 出售冰毒 */
                               "\xef\xbc\x8c\xe9\x87\x8f\xe5\xa4\xa7\xe4\xbb\x8e\xe4\xbc\x98";
static const char kInsult[] = "you are a fuck, friend";

static void test_check(menshen_engine *engine) {
  menshen_result *result = NULL;
  menshen_decision d = MENSHEN_DECISION_INIT;
  menshen_hit hit = MENSHEN_HIT_INIT;
  menshen_pack_version pack = MENSHEN_PACK_VERSION_INIT;
  menshen_check_options options = MENSHEN_CHECK_OPTIONS_INIT;
  const char invalid[] = "ok \xff\xfe then fuck";

  CHECK_STATUS(menshen_result_create(NULL), MENSHEN_EINVAL);
  CHECK_STATUS(menshen_result_create(&result), MENSHEN_OK);
  CHECK(strcmp(menshen_result_error(result), "") == 0);
  /* A fresh result holds nothing to read. */
  CHECK_STATUS(menshen_result_get(result, &d), MENSHEN_ESTATE);
  CHECK_STATUS(menshen_result_hit(result, 0, &hit), MENSHEN_ESTATE);
  CHECK_STATUS(menshen_result_pack(result, 0, &pack), MENSHEN_ESTATE);

  CHECK_STATUS(menshen_check(engine, kRefused, strlen(kRefused), NULL, result), MENSHEN_OK);
  CHECK_STATUS(menshen_result_get(result, &d), MENSHEN_OK);
  CHECK(d.action == MENSHEN_REFUSE);
  CHECK(span_equals(d.rule, d.rule_len, "default/refuse-core-values"));
  CHECK(d.rule[d.rule_len] == '\0');
  CHECK(span_equals(d.profile, d.profile_len, "default"));
  CHECK(d.refusal_len > 0);
  CHECK(d.hit_count == 2);
  CHECK(d.pack_count == 17); /* the embedded default packs */
  CHECK(d.label_position == MENSHEN_LABEL_NONE && d.label_len == 0);
  CHECK(d.policy_version_len > 0 && d.fold_version_len > 0);
  CHECK(d.invalid_utf8 == 0);
  CHECK(d.snapshot_id > 0);
  CHECK(span_equals(d.masked, d.masked_len, "****\xef\xbc\x8c\xe9\x87\x8f\xe5\xa4\xa7\xe4\xbb\x8e\xe4\xbc\x98"));
  CHECK_STATUS(menshen_result_hit(result, 0, &hit), MENSHEN_OK);
  CHECK(hit.start == 0 && hit.end == 12 && hit.severity == 4 && !hit.regex);
  CHECK(span_equals(hit.category, hit.category_len, "A1.8"));
  CHECK(span_equals(hit.pack, hit.pack_len, "risk-a1"));
  CHECK(span_equals(hit.term, hit.term_len, "\xe5\x87\xba\xe5\x94\xae\xe5\x86\xb0\xe6\xaf\x92"));
  CHECK(hit.entry_id_len > 8 && memcmp(hit.entry_id, "risk-a1:", 8) == 0);
  CHECK_STATUS(menshen_result_hit(result, 2, &hit), MENSHEN_EINVAL);
  CHECK(contains(menshen_last_error(), "out of range"));
  CHECK_STATUS(menshen_result_pack(result, 0, &pack), MENSHEN_OK);
  CHECK(span_equals(pack.name, pack.name_len, "risk-a1"));
  CHECK(pack.version_len > 0 && pack.sha256_len == 64);
  CHECK_STATUS(menshen_result_pack(result, d.pack_count, &pack), MENSHEN_EINVAL);

  /* Argument errors. */
  CHECK_STATUS(menshen_result_get(NULL, &d), MENSHEN_EINVAL);
  CHECK_STATUS(menshen_result_get(result, NULL), MENSHEN_EINVAL);
  CHECK_STATUS(menshen_result_hit(NULL, 0, &hit), MENSHEN_EINVAL);
  CHECK_STATUS(menshen_result_hit(result, 0, NULL), MENSHEN_EINVAL);
  CHECK_STATUS(menshen_result_pack(NULL, 0, &pack), MENSHEN_EINVAL);
  CHECK_STATUS(menshen_result_pack(result, 0, NULL), MENSHEN_EINVAL);
  d.struct_size = 8;
  CHECK_STATUS(menshen_result_get(result, &d), MENSHEN_EVERSION);
  d.struct_size = sizeof d;
  hit.struct_size = 0;
  CHECK_STATUS(menshen_result_hit(result, 0, &hit), MENSHEN_EVERSION);
  hit.struct_size = sizeof hit;
  pack.struct_size = sizeof pack + 1;
  CHECK_STATUS(menshen_result_pack(result, 0, &pack), MENSHEN_EVERSION);
  pack.struct_size = sizeof pack;

  CHECK_STATUS(menshen_check(NULL, "x", 1, NULL, result), MENSHEN_EINVAL);
  CHECK(contains(menshen_result_error(result), "engine is NULL"));
  /* A failed check empties the result: nothing stale can be read. */
  CHECK_STATUS(menshen_result_get(result, &d), MENSHEN_ESTATE);
  CHECK_STATUS(menshen_check(engine, "x", 1, NULL, NULL), MENSHEN_EINVAL);
  CHECK_STATUS(menshen_check(engine, NULL, 3, NULL, result), MENSHEN_EINVAL);
  CHECK_STATUS(menshen_check(engine, NULL, 0, NULL, result), MENSHEN_OK);
  CHECK(strcmp(menshen_result_error(result), "") == 0);
  options.struct_size = 4;
  CHECK_STATUS(menshen_check(engine, "x", 1, &options, result), MENSHEN_EVERSION);
  options.struct_size = sizeof options;
  options.direction = (menshen_direction)7;
  CHECK_STATUS(menshen_check(engine, "x", 1, &options, result), MENSHEN_EINVAL);
  CHECK(contains(menshen_result_error(result), "direction"));
  options.direction = MENSHEN_OUTPUT;
  options.profile_len = 3;
  CHECK_STATUS(menshen_check(engine, "x", 1, &options, result), MENSHEN_EINVAL);
  options.profile = "nope!";
  options.profile_len = 4; /* the length counts, not the NUL */
  CHECK_STATUS(menshen_check(engine, "x", 1, &options, result), MENSHEN_EPROFILE);
  CHECK(contains(menshen_result_error(result), "'nope'"));

  /* Output with a named profile, a locale and a request id. */
  options.profile = "minorsXYZ";
  options.profile_len = 6;
  options.locale = "en";
  options.locale_len = 2;
  options.request_id = "req-1";
  options.request_id_len = 5;
  CHECK_STATUS(menshen_check(engine, kInsult, strlen(kInsult), &options, result), MENSHEN_OK);
  CHECK_STATUS(menshen_result_get(result, &d), MENSHEN_OK);
  CHECK(d.action == MENSHEN_REFUSE);
  CHECK(span_equals(d.profile, d.profile_len, "minors"));
  CHECK(contains(d.refusal, "Sorry"));
  CHECK(d.label_position == MENSHEN_LABEL_END && d.label_len > 0);
  CHECK(span_equals(d.masked, d.masked_len, "you are a ****, friend"));

  /* Invalid UTF-8 is counted, never an error. */
  CHECK_STATUS(menshen_check(engine, invalid, sizeof invalid - 1, NULL, result), MENSHEN_OK);
  CHECK_STATUS(menshen_result_get(result, &d), MENSHEN_OK);
  CHECK(d.invalid_utf8 == 2);
  CHECK(d.action == MENSHEN_FLAG);
  CHECK_STATUS(menshen_result_hit(result, 0, &hit), MENSHEN_OK);
  CHECK(hit.start == 11 && hit.end == 15);

  menshen_result_free(result);
}

static void test_too_big(const char *starter) {
  menshen_engine *engine = NULL;
  menshen_result *result = NULL;
  menshen_engine_options options = MENSHEN_ENGINE_OPTIONS_INIT;
  const char *packs[1];
  packs[0] = starter;
  options.packs = packs;
  options.pack_count = 1;
  options.max_input_bytes = 16;
  CHECK_STATUS(menshen_engine_open(&options, &engine), MENSHEN_OK);
  CHECK_STATUS(menshen_result_create(&result), MENSHEN_OK);
  CHECK_STATUS(menshen_check(engine, "0123456789abcdef", 16, NULL, result), MENSHEN_OK);
  CHECK_STATUS(menshen_check(engine, "0123456789abcdefg", 17, NULL, result), MENSHEN_ETOOBIG);
  CHECK(contains(menshen_result_error(result), "max_input_bytes"));
  menshen_result_free(result);
  menshen_engine_close(engine);
}

/* ---- The audit callback ------------------------------------------------ */

struct audit_log {
  int calls;
  int stop; /* what the callback returns */
  int ok;   /* every read inside the callback worked */
  menshen_action action;
  size_t hits;
  char request_id[32];
  char json_head[16];
  size_t protobuf_len;
  int has_text;
};

static int on_audit(const menshen_audit_record *record, void *user) {
  struct audit_log *log = (struct audit_log *)user;
  menshen_audit_info info = MENSHEN_AUDIT_INFO_INIT;
  menshen_hit hit = MENSHEN_HIT_INIT;
  menshen_pack_version pack = MENSHEN_PACK_VERSION_INIT;
  const char *data = NULL;
  size_t len = 0;
  int ok = 1;
  ++log->calls;
  ok &= menshen_audit_record_get(record, &info) == MENSHEN_OK;
  log->action = info.action;
  log->hits = info.hit_count;
  log->has_text = info.has_text;
  ok &= info.time_unix_ns > 0 && info.input_sha256_len == 64 && info.pack_count == 17;
  ok &= info.policy_version_len > 0 && info.fold_version_len > 0 && info.rule_len > 0;
  ok &= info.profile_len > 0;
  if (info.request_id_len < sizeof log->request_id) {
    memcpy(log->request_id, info.request_id, info.request_id_len);
    log->request_id[info.request_id_len] = '\0';
  }
  if (info.hit_count > 0) {
    ok &= menshen_audit_record_hit(record, 0, &hit) == MENSHEN_OK;
    ok &= hit.category_len > 0 && hit.entry_id_len > 0 && hit.pack_len == 0 && hit.term_len == 0;
    ok &= hit.end > hit.start;
  }
  ok &= menshen_audit_record_hit(record, info.hit_count, &hit) == MENSHEN_EINVAL;
  ok &= menshen_audit_record_pack(record, 0, &pack) == MENSHEN_OK;
  ok &= span_equals(pack.name, pack.name_len, "risk-a1") && pack.sha256_len == 64;
  ok &= menshen_audit_record_pack(record, info.pack_count, &pack) == MENSHEN_EINVAL;
  ok &= menshen_audit_record_serialize(record, MENSHEN_FORMAT_JSON, &data, &len) == MENSHEN_OK;
  ok &= len > 10 && data[0] == '{' && data[len - 1] == '}' && data[len] == '\0';
  if (len >= sizeof log->json_head) {
    memcpy(log->json_head, data, sizeof log->json_head - 1);
    log->json_head[sizeof log->json_head - 1] = '\0';
  }
  ok &= menshen_audit_record_serialize(record, MENSHEN_FORMAT_PROTOBUF, &data, &len) == MENSHEN_OK;
  log->protobuf_len = len;
  ok &= menshen_audit_record_serialize(record, (menshen_format)9, &data, &len) == MENSHEN_EINVAL;
  ok &= menshen_audit_record_serialize(record, MENSHEN_FORMAT_JSON, NULL, &len) == MENSHEN_EINVAL;
  ok &= menshen_audit_record_serialize(NULL, MENSHEN_FORMAT_JSON, &data, &len) == MENSHEN_EINVAL;
  ok &= menshen_audit_record_get(NULL, &info) == MENSHEN_EINVAL;
  ok &= menshen_audit_record_get(record, NULL) == MENSHEN_EINVAL;
  info.struct_size = 1;
  ok &= menshen_audit_record_get(record, &info) == MENSHEN_EVERSION;
  ok &= menshen_audit_record_hit(NULL, 0, &hit) == MENSHEN_EINVAL;
  ok &= menshen_audit_record_hit(record, 0, NULL) == MENSHEN_EINVAL;
  ok &= menshen_audit_record_pack(NULL, 0, &pack) == MENSHEN_EINVAL;
  ok &= menshen_audit_record_pack(record, 0, NULL) == MENSHEN_EINVAL;
  hit.struct_size = 3;
  ok &= menshen_audit_record_hit(record, 0, &hit) == MENSHEN_EVERSION;
  pack.struct_size = 3;
  ok &= menshen_audit_record_pack(record, 0, &pack) == MENSHEN_EVERSION;
  log->ok &= ok;
  return log->stop;
}

static void test_audit(const char *starter) {
  struct audit_log log;
  menshen_engine *engine = NULL;
  menshen_result *result = NULL;
  menshen_decision d = MENSHEN_DECISION_INIT;
  menshen_engine_options options = MENSHEN_ENGINE_OPTIONS_INIT;
  menshen_check_options check = MENSHEN_CHECK_OPTIONS_INIT;
  const char *packs[1] = {NULL};
  memset(&log, 0, sizeof log);
  log.ok = 1;
  (void)starter;
  options.packs = packs; /* pack_count 0: the embedded default packs */
  options.audit_fn = on_audit;
  options.audit_user = &log;
  options.audit_include_text = 1;
  CHECK_STATUS(menshen_engine_open(&options, &engine), MENSHEN_OK);
  CHECK_STATUS(menshen_result_create(&result), MENSHEN_OK);
  check.request_id = "abc-7";
  check.request_id_len = 5;
  CHECK_STATUS(menshen_check(engine, kRefused, strlen(kRefused), &check, result), MENSHEN_OK);
  CHECK(log.calls == 1 && log.ok);
  CHECK(log.action == MENSHEN_REFUSE && log.hits == 2 && log.has_text);
  CHECK(strcmp(log.request_id, "abc-7") == 0);
  CHECK(strcmp(log.json_head, "{\"time\":\"") == 0 || contains(log.json_head, "{\""));
  CHECK(log.protobuf_len > 20);

  /* Asking to stop: the call says so, and the decision is still there. */
  log.stop = 1;
  CHECK_STATUS(menshen_check(engine, kInsult, strlen(kInsult), NULL, result), MENSHEN_EUSER);
  CHECK(contains(menshen_result_error(result), "audit callback"));
  CHECK_STATUS(menshen_result_get(result, &d), MENSHEN_OK);
  CHECK(d.action == MENSHEN_FLAG && d.hit_count == 1);
  CHECK(log.calls == 2 && log.ok);
  log.stop = 0;
  CHECK_STATUS(menshen_check(engine, "hello", 5, NULL, result), MENSHEN_OK);
  CHECK(log.calls == 3 && log.action == MENSHEN_ALLOW && log.hits == 0 && log.ok);

  menshen_result_free(result);
  menshen_engine_close(engine);
}

/* ---- Reload ------------------------------------------------------------ */

static void test_reload(const char *starter) {
  menshen_engine *engine = NULL;
  menshen_result *before = NULL, *after = NULL;
  menshen_decision d = MENSHEN_DECISION_INIT;
  menshen_hit hit = MENSHEN_HIT_INIT;
  menshen_engine_options options = MENSHEN_ENGINE_OPTIONS_INIT;
  const char *packs[1];
  char missing[1024];
  options.packs = packs; /* pack_count 0: the embedded default packs */
  CHECK_STATUS(menshen_engine_open(&options, &engine), MENSHEN_OK);
  CHECK_STATUS(menshen_result_create(&before), MENSHEN_OK);
  CHECK_STATUS(menshen_result_create(&after), MENSHEN_OK);
  CHECK_STATUS(menshen_check(engine, kInsult, strlen(kInsult), NULL, before), MENSHEN_OK);
  CHECK_STATUS(menshen_check(engine, "hi", 2, NULL, after), MENSHEN_OK);
  {
    menshen_decision a = MENSHEN_DECISION_INIT, b = MENSHEN_DECISION_INIT;
    CHECK_STATUS(menshen_result_get(before, &a), MENSHEN_OK);
    CHECK_STATUS(menshen_result_get(after, &b), MENSHEN_OK);
    CHECK(a.snapshot_id == 1 && b.snapshot_id == 1);
  }

  /* A reload that fails keeps the current snapshot and says why. */
  CHECK(strcmp(menshen_engine_error(engine), "") == 0);
  path_in(missing, sizeof missing, tmp_dir, "gone.mspack");
  packs[0] = missing;
  options.pack_count = 1;
  CHECK_STATUS(menshen_engine_reload(engine, &options), MENSHEN_EIO);
  CHECK(contains(menshen_engine_error(engine), "gone.mspack"));
  CHECK_STATUS(menshen_engine_reload(NULL, &options), MENSHEN_EINVAL);
  CHECK_STATUS(menshen_engine_reload(engine, NULL), MENSHEN_EINVAL);

  /* The starter pack from its folder, and another default profile. */
  packs[0] = starter;
  options.profile = "minors";
  CHECK_STATUS(menshen_engine_reload(engine, &options), MENSHEN_OK);
  CHECK(strcmp(menshen_engine_error(engine), "") == 0);
  CHECK_STATUS(menshen_check(engine, kRefused, strlen(kRefused), NULL, after), MENSHEN_OK);
  CHECK_STATUS(menshen_result_get(after, &d), MENSHEN_OK);
  CHECK(span_equals(d.profile, d.profile_len, "minors") && d.pack_count == 1);
  {
    menshen_decision a = MENSHEN_DECISION_INIT;
    CHECK_STATUS(menshen_result_get(before, &a), MENSHEN_OK);
    CHECK(a.snapshot_id == 1 && d.snapshot_id == 2); /* the failed reload did not count */
  }

  /* The old result still reads, also after the engine is gone. */
  menshen_engine_close(engine);
  CHECK_STATUS(menshen_result_get(before, &d), MENSHEN_OK);
  CHECK(span_equals(d.profile, d.profile_len, "default") && d.action == MENSHEN_FLAG);
  CHECK_STATUS(menshen_result_hit(before, 0, &hit), MENSHEN_OK);
  CHECK(span_equals(hit.term, hit.term_len, "fuck"));
  CHECK_STATUS(menshen_result_hit(after, 0, &hit), MENSHEN_OK);
  CHECK(span_equals(hit.pack, hit.pack_len, "starter"));
  menshen_result_free(before);
  menshen_result_free(after);
}

/* ---- Streams ----------------------------------------------------------- */

/* Feeds `text` in chunks of `chunk` bytes; returns what was released. */
static size_t stream_through(menshen_stream *stream, const char *text, size_t len, size_t chunk,
                             char *out, size_t out_size) {
  size_t used = 0, at = 0;
  const char *released = NULL;
  size_t released_len = 0;
  while (at < len) {
    size_t n = len - at < chunk ? len - at : chunk;
    CHECK_STATUS(menshen_stream_feed(stream, text + at, n, &released, &released_len), MENSHEN_OK);
    CHECK(released != NULL);
    if (used + released_len < out_size) {
      memcpy(out + used, released, released_len);
      used += released_len;
    }
    at += n;
  }
  CHECK_STATUS(menshen_stream_finish(stream, &released, &released_len), MENSHEN_OK);
  if (used + released_len < out_size) {
    memcpy(out + used, released, released_len);
    used += released_len;
  }
  out[used] = '\0';
  return used;
}

static void test_streams(menshen_engine *engine) {
  menshen_stream *stream = NULL;
  menshen_result *block = NULL, *streamed = NULL;
  menshen_decision want = MENSHEN_DECISION_INIT, got = MENSHEN_DECISION_INIT;
  menshen_stream_state state = MENSHEN_STREAM_STATE_INIT;
  menshen_check_options options = MENSHEN_CHECK_OPTIONS_INIT;
  const char *released = NULL;
  size_t released_len = 0, chunk, n;
  char out[512];
  const char text[] = "first a fuck, then \xe6\x88\x91\xe7\x9a\x84\xe6\x89\x8b\xe6\x9c\xba 13812345678 ok";

  CHECK_STATUS(menshen_engine_holdback_bytes(engine, &n), MENSHEN_OK);
  CHECK(n > 0 && n < 65536);
  CHECK_STATUS(menshen_engine_holdback_bytes(NULL, &n), MENSHEN_EINVAL);
  CHECK_STATUS(menshen_engine_holdback_bytes(engine, NULL), MENSHEN_EINVAL);
  CHECK_STATUS(menshen_result_create(&block), MENSHEN_OK);
  CHECK_STATUS(menshen_result_create(&streamed), MENSHEN_OK);
  options.direction = MENSHEN_OUTPUT;
  CHECK_STATUS(menshen_check(engine, text, sizeof text - 1, &options, block), MENSHEN_OK);
  CHECK_STATUS(menshen_result_get(block, &want), MENSHEN_OK);
  CHECK(want.action == MENSHEN_MASK);

  /* Any chunking releases the block check's masked text. */
  for (chunk = 1; chunk <= 16; chunk += 5) {
    CHECK_STATUS(menshen_stream_open(engine, &options, &stream), MENSHEN_OK);
    n = stream_through(stream, text, sizeof text - 1, chunk, out, sizeof out);
    CHECK(n == want.masked_len && memcmp(out, want.masked, n) == 0);
    CHECK_STATUS(menshen_stream_result(stream, streamed), MENSHEN_OK);
    CHECK_STATUS(menshen_result_get(streamed, &got), MENSHEN_OK);
    CHECK(got.action == want.action && got.hit_count == want.hit_count);
    CHECK(got.masked_len == 0); /* the stream's masked text is what it released */
    CHECK_STATUS(menshen_stream_get_state(stream, &state), MENSHEN_OK);
    CHECK(state.finished && !state.cut && state.bytes_fed == sizeof text - 1);
    CHECK(state.bytes_released == sizeof text - 1 && state.max_held_bytes > 0);
    /* Finished: more input is a state error, and says so on the stream. */
    CHECK_STATUS(menshen_stream_feed(stream, "x", 1, &released, &released_len), MENSHEN_ESTATE);
    CHECK(released_len == 0 && strcmp(menshen_stream_error(stream), "") != 0);
    CHECK_STATUS(menshen_stream_finish(stream, NULL, NULL), MENSHEN_ESTATE);
    menshen_stream_close(stream);
  }

  /* A fork fed the same rest releases the same text as its parent; fed
   * another, it goes its own way. */
  {
    menshen_stream *fork = NULL, *other = NULL;
    const size_t half = 12; /* inside "fuck," */
    char parent_out[512], fork_out[512];
    size_t parent_n, fork_n;
    CHECK_STATUS(menshen_stream_fork(NULL, &fork), MENSHEN_EINVAL);
    CHECK_STATUS(menshen_stream_open(engine, &options, &stream), MENSHEN_OK);
    CHECK_STATUS(menshen_stream_fork(stream, NULL), MENSHEN_EINVAL);
    CHECK_STATUS(menshen_stream_feed(stream, text, half, &released, &released_len), MENSHEN_OK);
    memcpy(parent_out, released, released_len);
    parent_n = released_len;
    CHECK_STATUS(menshen_stream_fork(stream, &fork), MENSHEN_OK);
    CHECK_STATUS(menshen_stream_fork(stream, &other), MENSHEN_OK);
    memcpy(fork_out, parent_out, parent_n);
    fork_n = parent_n;
    parent_n += stream_through(stream, text + half, sizeof text - 1 - half, 7,
                               parent_out + parent_n, sizeof parent_out - parent_n);
    fork_n += stream_through(fork, text + half, sizeof text - 1 - half, 3, fork_out + fork_n,
                             sizeof fork_out - fork_n);
    CHECK(parent_n == want.masked_len && memcmp(parent_out, want.masked, parent_n) == 0);
    CHECK(fork_n == parent_n && memcmp(fork_out, parent_out, parent_n) == 0);
    menshen_stream_close(stream);
    menshen_stream_close(fork);
    /* The other fork continues with clean text: no hit after the fork point. */
    CHECK_STATUS(menshen_stream_feed(other, "ny day", 6, &released, &released_len), MENSHEN_OK);
    CHECK_STATUS(menshen_stream_finish(other, &released, &released_len), MENSHEN_OK);
    CHECK_STATUS(menshen_stream_result(other, streamed), MENSHEN_OK);
    CHECK_STATUS(menshen_result_get(streamed, &got), MENSHEN_OK);
    CHECK(got.action == MENSHEN_ALLOW && got.hit_count == 0);
    menshen_stream_close(other);
  }

  /* BLOCK in output cuts the stream: once the hit is confirmed (after at most
   * the hold-back), nothing from the hit on is ever released. */
  CHECK_STATUS(menshen_stream_open(engine, &options, &stream), MENSHEN_OK);
  CHECK_STATUS(menshen_stream_feed(stream, "safe text, ", 11, &released, &released_len),
               MENSHEN_OK);
  n = released_len;
  CHECK_STATUS(menshen_stream_feed(stream, kRefused, strlen(kRefused), &released, &released_len),
               MENSHEN_OK);
  n += released_len;
  for (chunk = 0; chunk < 2000; ++chunk) {
    CHECK_STATUS(menshen_stream_feed(stream, "more ", 5, &released, &released_len), MENSHEN_OK);
    n += released_len;
  }
  CHECK_STATUS(menshen_stream_get_state(stream, &state), MENSHEN_OK);
  CHECK(state.cut && state.cut_offset == 11 && n == 11);
  CHECK_STATUS(menshen_stream_feed(stream, "more", 4, &released, &released_len), MENSHEN_OK);
  CHECK(released_len == 0);
  CHECK_STATUS(menshen_stream_finish(stream, &released, &released_len), MENSHEN_OK);
  CHECK(released_len == 0);
  CHECK_STATUS(menshen_stream_result(stream, streamed), MENSHEN_OK);
  CHECK_STATUS(menshen_result_get(streamed, &got), MENSHEN_OK);
  CHECK(got.action == MENSHEN_BLOCK && got.refusal_len > 0);
  menshen_stream_close(stream);

  /* Argument errors. */
  CHECK_STATUS(menshen_stream_open(NULL, NULL, &stream), MENSHEN_EINVAL);
  CHECK(stream == NULL);
  CHECK_STATUS(menshen_stream_open(engine, NULL, NULL), MENSHEN_EINVAL);
  options.profile = "nope";
  options.profile_len = 4;
  CHECK_STATUS(menshen_stream_open(engine, &options, &stream), MENSHEN_EPROFILE);
  CHECK(contains(menshen_last_error(), "nope"));
  CHECK_STATUS(menshen_stream_open(engine, NULL, &stream), MENSHEN_OK);
  CHECK_STATUS(menshen_stream_feed(NULL, "x", 1, NULL, NULL), MENSHEN_EINVAL);
  CHECK_STATUS(menshen_stream_feed(stream, NULL, 1, NULL, NULL), MENSHEN_EINVAL);
  CHECK_STATUS(menshen_stream_feed(stream, "x", 1, &released, NULL), MENSHEN_EINVAL);
  CHECK(contains(menshen_stream_error(stream), "both"));
  CHECK_STATUS(menshen_stream_feed(stream, NULL, 0, NULL, NULL), MENSHEN_OK);
  CHECK_STATUS(menshen_stream_finish(NULL, NULL, NULL), MENSHEN_EINVAL);
  CHECK_STATUS(menshen_stream_finish(stream, NULL, &released_len), MENSHEN_EINVAL);
  CHECK_STATUS(menshen_stream_result(NULL, streamed), MENSHEN_EINVAL);
  CHECK_STATUS(menshen_stream_result(stream, NULL), MENSHEN_EINVAL);
  CHECK_STATUS(menshen_stream_get_state(NULL, &state), MENSHEN_EINVAL);
  CHECK_STATUS(menshen_stream_get_state(stream, NULL), MENSHEN_EINVAL);
  state.struct_size = 2;
  CHECK_STATUS(menshen_stream_get_state(stream, &state), MENSHEN_EVERSION);
  /* Closed unfinished: no audit record, no leak. */
  menshen_stream_close(stream);

  menshen_result_free(block);
  menshen_result_free(streamed);
}

static void test_stream_too_big(const char *starter) {
  menshen_engine *engine = NULL;
  menshen_stream *stream = NULL;
  menshen_stream_state state = MENSHEN_STREAM_STATE_INIT;
  menshen_engine_options options = MENSHEN_ENGINE_OPTIONS_INIT;
  const char *packs[1];
  packs[0] = starter;
  options.packs = packs;
  options.pack_count = 1;
  options.max_input_bytes = 8;
  CHECK_STATUS(menshen_engine_open(&options, &engine), MENSHEN_OK);
  CHECK_STATUS(menshen_stream_open(engine, NULL, &stream), MENSHEN_OK);
  CHECK_STATUS(menshen_stream_feed(stream, "12345", 5, NULL, NULL), MENSHEN_OK);
  CHECK_STATUS(menshen_stream_feed(stream, "67890", 5, NULL, NULL), MENSHEN_ETOOBIG);
  CHECK_STATUS(menshen_stream_get_state(stream, &state), MENSHEN_OK);
  CHECK(state.cut);
  {
    /* A cut for a limit fails closed, and says why (issue 18). */
    menshen_result *result = NULL;
    menshen_decision d = MENSHEN_DECISION_INIT;
    CHECK_STATUS(menshen_result_create(&result), MENSHEN_OK);
    CHECK_STATUS(menshen_stream_result(stream, result), MENSHEN_OK);
    CHECK_STATUS(menshen_result_get(result, &d), MENSHEN_OK);
    CHECK(d.action == MENSHEN_BLOCK);
    CHECK(span_equals(d.rule, d.rule_len, "default/stream-limit"));
    CHECK(span_equals(d.cut_reason, d.cut_reason_len, "max_input_bytes"));
    CHECK(d.refusal_len > 0);
    menshen_result_free(result);
  }
  menshen_stream_close(stream);
  menshen_engine_close(engine);
}

/* Structs of the first 0.1 layout (before issue 18 appended fields) are
 * still accepted; the fields they lack are neither read nor written. */
static void test_older_struct_sizes(void) {
  menshen_engine *engine = NULL;
  menshen_result *result = NULL;
  menshen_engine_options options = MENSHEN_ENGINE_OPTIONS_INIT;
  menshen_decision d = MENSHEN_DECISION_INIT;
  options.struct_size = offsetof(menshen_engine_options, max_stream_hits);
  options.audit_fail_closed = 1; /* beyond the old struct: must be ignored */
  CHECK_STATUS(menshen_engine_open(&options, &engine), MENSHEN_OK);
  CHECK_STATUS(menshen_result_create(&result), MENSHEN_OK);
  CHECK_STATUS(menshen_check(engine, kRefused, strlen(kRefused), NULL, result), MENSHEN_OK);
  d.struct_size = offsetof(menshen_decision, cut_reason);
  d.cut_reason = "untouched";
  CHECK_STATUS(menshen_result_get(result, &d), MENSHEN_OK);
  CHECK(d.action == MENSHEN_REFUSE);
  CHECK(strcmp(d.cut_reason, "untouched") == 0);
  d.struct_size = offsetof(menshen_decision, cut_reason) + 8; /* neither layout */
  CHECK_STATUS(menshen_result_get(result, &d), MENSHEN_EVERSION);
  menshen_result_free(result);
  menshen_engine_close(engine);
}

/* audit_fail_closed: a callback that cannot record turns the decision into
 * MENSHEN_EAUDIT, with no decision to act on. */
static int refuse_to_record(const menshen_audit_record *record, void *user) {
  (void)record;
  return *(int *)user;
}

static void test_audit_fail_closed(void) {
  menshen_engine *engine = NULL;
  menshen_result *result = NULL;
  menshen_stream *stream = NULL;
  menshen_engine_options options = MENSHEN_ENGINE_OPTIONS_INIT;
  menshen_decision d = MENSHEN_DECISION_INIT;
  menshen_check_options output = MENSHEN_CHECK_OPTIONS_INIT;
  const char *released = NULL;
  size_t released_len = 0;
  int failing = 0;
  options.audit_fn = refuse_to_record;
  options.audit_user = &failing;
  options.audit_fail_closed = 1;
  CHECK_STATUS(menshen_engine_open(&options, &engine), MENSHEN_OK);
  CHECK_STATUS(menshen_result_create(&result), MENSHEN_OK);
  CHECK_STATUS(menshen_check(engine, kRefused, strlen(kRefused), NULL, result), MENSHEN_OK);
  failing = 1;
  CHECK_STATUS(menshen_check(engine, kRefused, strlen(kRefused), NULL, result), MENSHEN_EAUDIT);
  CHECK(contains(menshen_result_error(result), "fail closed"));
  CHECK_STATUS(menshen_result_get(result, &d), MENSHEN_ESTATE);
  CHECK(strcmp(menshen_strerror(MENSHEN_EAUDIT),
               "the decision's audit record was not taken (fail closed)") == 0);
  output.direction = MENSHEN_OUTPUT;
  CHECK_STATUS(menshen_stream_open(engine, &output, &stream), MENSHEN_OK);
  CHECK_STATUS(menshen_stream_feed(stream, "hello there", 11, &released, &released_len),
               MENSHEN_OK);
  CHECK_STATUS(menshen_stream_finish(stream, &released, &released_len), MENSHEN_EAUDIT);
  CHECK(released_len == 0); /* the rest is not released unaudited */
  menshen_stream_close(stream);
  menshen_result_free(result);
  menshen_engine_close(engine);
}

int main(int argc, char **argv) {
  char starter[1024];
  menshen_engine *engine = NULL;
  if (argc != 3 && argc != 4) {
    fprintf(stderr, "usage: capi_test SOURCE_DIR TMP_DIR [STARTER.mspack]\n");
    return 2;
  }
  source_dir = argv[1];
  tmp_dir = argv[2];
  path_in(starter, sizeof starter, source_dir, "keyword_packs/starter");

  test_versions_and_codes();
  test_open_errors();
  CHECK_STATUS(open_with(NULL, NULL, NULL, &engine), MENSHEN_OK); /* the default packs */
  CHECK(engine != NULL);
  if (engine != NULL) {
    test_check(engine);
    test_streams(engine);
  }
  menshen_engine_close(engine);
  test_too_big(starter);
  test_stream_too_big(starter);
  test_older_struct_sizes();
  test_audit_fail_closed();
  test_audit(starter);
  test_reload(starter);
  if (argc == 4) {
    /* A compiled .mspack decides as its source folder does. */
    menshen_result *result = NULL;
    menshen_decision d = MENSHEN_DECISION_INIT;
    CHECK_STATUS(open_with(argv[3], NULL, NULL, &engine), MENSHEN_OK);
    CHECK_STATUS(menshen_result_create(&result), MENSHEN_OK);
    CHECK_STATUS(menshen_check(engine, kRefused, strlen(kRefused), NULL, result), MENSHEN_OK);
    CHECK_STATUS(menshen_result_get(result, &d), MENSHEN_OK);
    CHECK(d.action == MENSHEN_REFUSE && d.hit_count == 2);
    menshen_result_free(result);
    menshen_engine_close(engine);
  }

  if (failures != 0) {
    fprintf(stderr, "%d checks failed\n", failures);
    return 1;
  }
  printf("all C ABI checks passed\n");
  return 0;
}
