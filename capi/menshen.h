/*
 * menshen.h — the C ABI of menshen, a content-safety filter for LLM serving.
 *
 * This is the only installed C header and the product's stable contract with
 * servers written in C, C++, Rust, Go and Python. It is pure C99.
 *
 * Conventions (docs/capi.md has the long form):
 *
 * - Handles are opaque and distinct: menshen_engine (shared by all threads),
 *   menshen_result and menshen_stream (owned by one thread at a time; they may
 *   move between threads between calls). Every handle the library creates,
 *   the library frees: *_close / *_free, which accept NULL.
 * - Functions that can fail return a menshen_status: 0 is MENSHEN_OK, errors
 *   are negative. Codes are never renumbered and new ones are appended, so be
 *   ready for codes this header does not name. menshen_strerror() gives a
 *   static text per code. The detail of a failure (which pack, file, line,
 *   profile) is kept on the object the call worked on (menshen_result_error,
 *   menshen_stream_error, menshen_engine_error) and also on the calling thread
 *   (menshen_last_error), which is the only place for calls without an object
 *   (menshen_engine_open, a NULL handle).
 * - Text crosses as (const char *utf8, size_t len); it need not be
 *   NUL-terminated and may hold invalid UTF-8 (scanned as U+FFFD and counted,
 *   never an error). Paths are NUL-terminated C strings.
 * - Strings the library returns come with their length and are also
 *   NUL-terminated unless said otherwise. Every returned pointer is borrowed:
 *   its lifetime is documented as "valid until ...". Never free them.
 * - Structs passed in or out start with `struct_size`, which the caller sets
 *   to sizeof the struct it was compiled with (the *_INIT macros do). Fields
 *   are only ever appended; a size the library does not know is rejected with
 *   MENSHEN_EVERSION.
 * - No C++ exception ever leaves the library; out of memory is
 *   MENSHEN_ENOMEM, with a message that needs no allocation.
 * - Callbacks return int: 0 to go on, non-zero to ask the library to stop,
 *   which the call reports as MENSHEN_EUSER (a code the library itself never
 *   produces).
 */
#ifndef MENSHEN_H_
#define MENSHEN_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define MENSHEN_API __attribute__((visibility("default")))
#else
#define MENSHEN_API
#endif

/* ---- Versions ----------------------------------------------------------- */

#define MENSHEN_VERSION_MAJOR 0
#define MENSHEN_VERSION_MINOR 1
#define MENSHEN_VERSION_PATCH 0
#define MENSHEN_VERSION_NUMBER \
  (MENSHEN_VERSION_MAJOR * 10000 + MENSHEN_VERSION_MINOR * 100 + MENSHEN_VERSION_PATCH)

/* The version of the library actually loaded, as MENSHEN_VERSION_NUMBER
 * computes it (0.1.0 is 100). Compare with the header's to detect a mismatch. */
MENSHEN_API unsigned menshen_version_number(void);
/* "MAJOR.MINOR.PATCH"; static, never NULL. */
MENSHEN_API const char *menshen_version_string(void);

/* ---- Status codes ------------------------------------------------------- */

typedef enum menshen_status {
  MENSHEN_OK = 0,
  MENSHEN_EINVAL = -1,     /* an argument is invalid: NULL pointer, bad enum value */
  MENSHEN_ENOMEM = -2,     /* out of memory */
  MENSHEN_EVERSION = -3,   /* a struct_size this library does not know */
  MENSHEN_EIO = -4,        /* a file or folder is missing or unreadable */
  MENSHEN_EPACK = -5,      /* a pack is corrupt or its sources are invalid */
  MENSHEN_EPOLICY = -6,    /* a policy file is invalid */
  MENSHEN_EPROFILE = -7,   /* the policy has no such profile */
  MENSHEN_ETOOBIG = -8,    /* the input exceeds max_input_bytes */
  MENSHEN_ESTATE = -9,     /* not valid now: feeding a finished stream, reading an empty result */
  MENSHEN_EINTERNAL = -10, /* a bug or a Hyperscan failure; the message says which */
  MENSHEN_EUSER = -11,     /* a callback returned non-zero; never produced by the library */
  MENSHEN_EAUDIT = -12     /* fail closed: the decision's audit record was not taken (the
                              audit callback of an engine opened with audit_fail_closed
                              returned non-zero); the call holds no decision */
} menshen_status;

/* A static description of `status`; never NULL, also for unknown codes. */
MENSHEN_API const char *menshen_strerror(menshen_status status);

/* The detail of the most recent failed call on the calling thread; "" when
 * none has failed. Valid until the next menshen_* call on this thread. The
 * only source of detail for menshen_engine_open and for calls given a NULL
 * handle; otherwise prefer the object's own *_error, which survives a move to
 * another thread. Never NULL. */
MENSHEN_API const char *menshen_last_error(void);

/* ---- Enumerations ------------------------------------------------------- */

typedef enum menshen_direction {
  MENSHEN_INPUT = 0, /* a prompt going into the model */
  MENSHEN_OUTPUT = 1 /* a completion coming out */
} menshen_direction;

/* Actions, weakest to strongest. */
typedef enum menshen_action {
  MENSHEN_ALLOW = 0,
  MENSHEN_FLAG = 1,
  MENSHEN_MASK = 2,
  MENSHEN_REFUSE = 3,
  MENSHEN_BLOCK = 4
} menshen_action;

/* "ALLOW", "FLAG", "MASK", "REFUSE", "BLOCK"; "UNKNOWN" otherwise. Static. */
MENSHEN_API const char *menshen_action_name(menshen_action action);

/* Where the AI-generated label goes, for output. */
typedef enum menshen_label_position {
  MENSHEN_LABEL_NONE = 0,
  MENSHEN_LABEL_START = 1,
  MENSHEN_LABEL_END = 2
} menshen_label_position;

/* Serialisations of an audit record. */
typedef enum menshen_format {
  MENSHEN_FORMAT_JSON = 0,    /* compact protobuf JSON, proto field names */
  MENSHEN_FORMAT_PROTOBUF = 1 /* binary menshen.audit.AuditRecord */
} menshen_format;

/* ---- Handles ------------------------------------------------------------ */

/* Packs + policy compiled into an immutable snapshot. Thread-safe: check and
 * stream_open may run on any number of threads at once, also while another
 * thread reloads. Close it only when no call on it is running. */
typedef struct menshen_engine menshen_engine;
/* The decision of one check, reused across calls to keep its buffers. Owned
 * by one thread at a time. It keeps the engine snapshot that decided alive,
 * so it stays readable after a reload or after the engine is closed. */
typedef struct menshen_result menshen_result;
/* A text checked chunk by chunk. Owned by one thread at a time; streams are
 * independent of each other. It keeps its engine snapshot alive. */
typedef struct menshen_stream menshen_stream;
/* An audit record, lent to the audit callback for the duration of the call. */
typedef struct menshen_audit_record menshen_audit_record;

/* Called after every decision, on the thread that made it, before the call
 * that made it returns: menshen_check, menshen_stream_finish (or the
 * menshen_stream_feed that cut the stream). `record` is valid until the
 * callback returns. Returning non-zero makes that call return MENSHEN_EUSER
 * (the decision is made and readable all the same), or, for an engine opened
 * with audit_fail_closed, MENSHEN_EAUDIT with no decision (the callback
 * could not record it: the caller must not act on an unaudited decision).
 * The callback must not call into the stream or result being checked; it may
 * use other objects, including checks on the same engine from other threads. */
typedef int (*menshen_audit_fn)(const menshen_audit_record *record, void *user);

/* ---- Engine ------------------------------------------------------------- */

typedef struct menshen_engine_options {
  size_t struct_size; /* sizeof(menshen_engine_options) */
  /* Compiled .mspack files or pack source folders (compiled on open), as
   * NUL-terminated paths; borrowed for the call. pack_count 0 means the
   * default packs embedded in the library (risk-a1..risk-a5, pii-zh,
   * secrets, prompt-injection, abuse-zh, abuse-en, intent-zh, intent-en),
   * compiled on open and reload. */
  const char *const *packs;
  size_t pack_count;
  /* A policy file (policy.textproto); NULL means the embedded default. */
  const char *policy_path;
  /* The profile used when a check names none; NULL or "" means the policy's
   * default. Must exist in the policy (MENSHEN_EPROFILE). */
  const char *profile;
  /* Checks of longer texts (and streams fed more) fail with MENSHEN_ETOOBIG;
   * 0 means the default, 16 MiB. A stream cut so fails closed: its decision
   * is the policy's stream_limit_action (BLOCK unless it says REFUSE), rule
   * "<profile>/stream-limit", cut_reason "max_input_bytes". */
  size_t max_input_bytes;
  /* A stream that would have to hold back more than this many bytes (a match
   * still growing, a long run of ignorable characters) is cut with
   * MENSHEN_ETOOBIG instead of buffering without limit, failing closed as
   * above (cut_reason "max_stream_holdback_bytes"); 0 means the default,
   * 64 KiB. */
  size_t max_stream_holdback_bytes;
  /* Optional audit callback and its user pointer. `audit_user` must stay
   * valid until the engine is closed (or reloaded with another) and every
   * stream opened from it is closed. */
  menshen_audit_fn audit_fn;
  void *audit_user;
  /* Non-zero: audit records carry the checked text itself. */
  int audit_include_text;
  /* Added in 0.1 with issue 18 (a caller with the older, shorter struct gets
   * the defaults). A stream's decision lists at most this many hits (the
   * most severe), counting the rest in hits_not_kept; 0 means 256. */
  size_t max_stream_hits;
  /* Non-zero: fail closed on audit. An audit callback returning non-zero
   * makes the call fail with MENSHEN_EAUDIT instead of handing out a
   * decision nobody recorded: a check holds no decision, a stream's finish
   * releases nothing more. */
  int audit_fail_closed;
} menshen_engine_options;

#define MENSHEN_ENGINE_OPTIONS_INIT \
  { sizeof(menshen_engine_options), NULL, 0, NULL, NULL, 0, 0, NULL, NULL, 0, 0, 0 }

/* Loads the packs and the policy and builds an engine into *engine (set to
 * NULL on failure; the detail is in menshen_last_error()). Errors:
 * MENSHEN_EINVAL, MENSHEN_EVERSION, MENSHEN_EIO, MENSHEN_EPACK,
 * MENSHEN_EPOLICY, MENSHEN_EPROFILE, MENSHEN_ENOMEM. */
MENSHEN_API menshen_status menshen_engine_open(const menshen_engine_options *options,
                                               menshen_engine **engine);

/* Builds a new snapshot from `options` and swaps it in atomically; checks
 * running on other threads finish on the snapshot they started with. On
 * error the current snapshot stays and menshen_engine_error() says why.
 * Reloads are serialised; checks never wait for one. */
MENSHEN_API menshen_status menshen_engine_reload(menshen_engine *engine,
                                                 const menshen_engine_options *options);

/* The detail of the last failed reload, "" if none. Valid until the next
 * reload or close of this engine. Never NULL (also for a NULL engine). */
MENSHEN_API const char *menshen_engine_error(const menshen_engine *engine);

/* Sets *bytes to the most input bytes a stream of the current snapshot holds
 * back before it can release them (an upper bound; ignorable characters and
 * chained regex matches add to it while they last, up to
 * max_stream_holdback_bytes). Errors: MENSHEN_EINVAL, MENSHEN_EPACK (a pack
 * regex of unbounded width cannot stream; the message names it). */
MENSHEN_API menshen_status menshen_engine_holdback_bytes(const menshen_engine *engine,
                                                         size_t *bytes);

/* Frees the engine; snapshots still used by results and streams live on
 * until those are freed. NULL is a no-op. */
MENSHEN_API void menshen_engine_close(menshen_engine *engine);

/* ---- Checking a text ---------------------------------------------------- */

/* What one check (or stream) is about. All text is borrowed for the call. */
typedef struct menshen_check_options {
  size_t struct_size; /* sizeof(menshen_check_options) */
  menshen_direction direction;
  /* A profile of the policy; NULL or empty: the engine's profile. */
  const char *profile;
  size_t profile_len;
  /* "zh-CN" or "en" for refusal texts; NULL or empty: the text's script. */
  const char *locale;
  size_t locale_len;
  /* Copied into the audit record. */
  const char *request_id;
  size_t request_id_len;
} menshen_check_options;

#define MENSHEN_CHECK_OPTIONS_INIT \
  { sizeof(menshen_check_options), MENSHEN_INPUT, NULL, 0, NULL, 0, NULL, 0 }

/* Creates an empty result into *result. Errors: MENSHEN_EINVAL, MENSHEN_ENOMEM. */
MENSHEN_API menshen_status menshen_result_create(menshen_result **result);
/* Frees a result. NULL is a no-op. */
MENSHEN_API void menshen_result_free(menshen_result *result);
/* The detail of the last failed call that filled this result, "" if it
 * succeeded. Valid until the next call on this result. Never NULL. */
MENSHEN_API const char *menshen_result_error(const menshen_result *result);

/* Checks `len` bytes at `utf8` (NULL allowed when len is 0) and puts the
 * decision into `result`. `options` may be NULL: input, engine profile.
 * Errors: MENSHEN_EINVAL, MENSHEN_EVERSION, MENSHEN_ETOOBIG, MENSHEN_EPROFILE,
 * MENSHEN_ENOMEM, MENSHEN_EINTERNAL (the result is then empty), and
 * MENSHEN_EUSER when the audit callback asked to stop (the result holds the
 * decision). */
MENSHEN_API menshen_status menshen_check(const menshen_engine *engine, const char *utf8,
                                         size_t len, const menshen_check_options *options,
                                         menshen_result *result);

/* A decision, read out of a result. Pointers are valid until the result is
 * filled again or freed. */
typedef struct menshen_decision {
  size_t struct_size; /* sizeof(menshen_decision) */
  menshen_action action;
  /* "<profile>/<rule>", "<profile>/default" or "<profile>/no-hits". */
  const char *rule;
  size_t rule_len;
  const char *profile;
  size_t profile_len;
  /* The text with every hit masked. Empty for a stream's decision: there the
   * masked text is what the stream released, which the caller has (a stream
   * does not keep it, so its memory stays bounded). */
  const char *masked;
  size_t masked_len;
  /* What to send instead, for REFUSE and BLOCK; "" otherwise. */
  const char *refusal;
  size_t refusal_len;
  /* The AI-generated label to add to output, and where; "" / NONE if none. */
  const char *label;
  size_t label_len;
  menshen_label_position label_position;
  const char *policy_version;
  size_t policy_version_len;
  const char *fold_version;
  size_t fold_version_len;
  size_t hit_count;    /* read with menshen_result_hit */
  size_t pack_count;   /* packs of the snapshot, read with menshen_result_pack */
  size_t invalid_utf8; /* invalid UTF-8 sequences in the text */
  /* The engine snapshot that decided, numbered per engine handle: 1 after
   * open, one more after each successful reload. Decisions of one engine with
   * the same id share policy_version, fold_version and packs, so a caller may
   * read those once per id. */
  uint64_t snapshot_id;
  /* Added with issue 18 (filled only for a caller whose struct has them):
   * why a stream was cut without a rule deciding, "max_input_bytes" or
   * "max_stream_holdback_bytes" (the action is then REFUSE or BLOCK), ""
   * otherwise; and the hits a stream counted but did not list. */
  const char *cut_reason;
  size_t cut_reason_len;
  size_t hits_not_kept;
} menshen_decision;

#define MENSHEN_DECISION_INIT                                                        \
  { sizeof(menshen_decision), MENSHEN_ALLOW, NULL, 0, NULL, 0, NULL, 0, NULL, 0, NULL, 0, \
    MENSHEN_LABEL_NONE, NULL, 0, NULL, 0, 0, 0, 0, 0, NULL, 0, 0 }

/* One hit: an entry of a pack matched the span [start, end) of the caller's
 * original bytes. In audit records `pack` and `term` are empty. */
typedef struct menshen_hit {
  size_t struct_size; /* sizeof(menshen_hit) */
  const char *entry_id; /* stable, "<pack>:<12 hex digits>" */
  size_t entry_id_len;
  const char *pack;
  size_t pack_len;
  const char *category; /* taxonomy code, e.g. "A1.8" */
  size_t category_len;
  const char *term; /* the term as written (the pattern, for a regex) */
  size_t term_len;
  int severity; /* 1 (low) .. 4 (critical) */
  int regex;    /* non-zero for a regex entry */
  size_t start;
  size_t end;
} menshen_hit;

#define MENSHEN_HIT_INIT \
  { sizeof(menshen_hit), NULL, 0, NULL, 0, NULL, 0, NULL, 0, 0, 0, 0, 0 }

/* A pack of the snapshot that decided. */
typedef struct menshen_pack_version {
  size_t struct_size; /* sizeof(menshen_pack_version) */
  const char *name;
  size_t name_len;
  const char *version;
  size_t version_len;
  const char *sha256; /* hex digest of the .mspack payload */
  size_t sha256_len;
} menshen_pack_version;

#define MENSHEN_PACK_VERSION_INIT { sizeof(menshen_pack_version), NULL, 0, NULL, 0, NULL, 0 }

/* Reads the decision. Errors: MENSHEN_EINVAL, MENSHEN_EVERSION, MENSHEN_ESTATE
 * (the result holds no decision: never filled, or its last check failed). */
MENSHEN_API menshen_status menshen_result_get(const menshen_result *result,
                                              menshen_decision *decision);
/* Reads hit `index` (< hit_count); strings valid until the result is filled
 * again or freed. Errors as menshen_result_get, and MENSHEN_EINVAL for an
 * index out of range. */
MENSHEN_API menshen_status menshen_result_hit(const menshen_result *result, size_t index,
                                              menshen_hit *hit);
/* Reads pack `index` (< pack_count) of the snapshot that decided. */
MENSHEN_API menshen_status menshen_result_pack(const menshen_result *result, size_t index,
                                               menshen_pack_version *pack);

/* ---- Streams ------------------------------------------------------------ */

/* Opens a stream on the engine's current snapshot: text arriving in chunks
 * (a completion as it is generated) is released only when no pattern that
 * could still complete overlaps it, with masks applied. The concatenation of
 * everything released equals the block check's masked text; a stream cut by
 * REFUSE or BLOCK releases nothing after the cut. `options` may be NULL.
 * Errors: MENSHEN_EINVAL, MENSHEN_EVERSION, MENSHEN_EPROFILE, MENSHEN_EPACK (a
 * pack regex of unbounded width cannot stream), MENSHEN_ENOMEM. */
MENSHEN_API menshen_status menshen_stream_open(const menshen_engine *engine,
                                               const menshen_check_options *options,
                                               menshen_stream **stream);

/* Consumes a chunk (it may end anywhere, even inside a UTF-8 character) and
 * sets *released / *released_len to the text now safe to show (possibly
 * empty; never NULL). The text is owned by the stream and valid until the
 * next feed, finish or close of this stream. `released` and `released_len`
 * are both NULL (discard) or both non-NULL. After a cut, chunks are ignored
 * (MENSHEN_OK, nothing released). Errors: MENSHEN_EINVAL, MENSHEN_ESTATE
 * (after finish), MENSHEN_ETOOBIG (over max_input_bytes in all, or over
 * max_stream_holdback_bytes held back; the stream is then cut), MENSHEN_EUSER (the
 * audit callback of a cutting chunk asked to stop), MENSHEN_EINTERNAL. */
MENSHEN_API menshen_status menshen_stream_feed(menshen_stream *stream, const char *utf8,
                                               size_t len, const char **released,
                                               size_t *released_len);

/* Ends the input: releases the rest of the text (masked), completes the
 * decision and reports it to the audit callback. `released` as for feed.
 * Errors: MENSHEN_EINVAL, MENSHEN_ESTATE (finished already), MENSHEN_EUSER,
 * MENSHEN_EINTERNAL. */
MENSHEN_API menshen_status menshen_stream_finish(menshen_stream *stream, const char **released,
                                                 size_t *released_len);

/* Copies the decision so far into `result`: the verdict on the hits confirmed
 * so far, final after finish or a cut. Its `masked` is empty (see
 * menshen_decision). Errors: MENSHEN_EINVAL, MENSHEN_ENOMEM. */
MENSHEN_API menshen_status menshen_stream_result(const menshen_stream *stream,
                                                 menshen_result *result);

typedef struct menshen_stream_state {
  size_t struct_size; /* sizeof(menshen_stream_state) */
  int cut;            /* non-zero when REFUSE or BLOCK cut the stream */
  size_t cut_offset;  /* input byte offset where release stopped, if cut */
  int finished;
  size_t bytes_fed;
  size_t bytes_released; /* of the input */
  size_t memory_bytes;   /* heap held by the stream now */
  size_t max_held_bytes; /* the most input bytes held back unreleased at once */
} menshen_stream_state;

#define MENSHEN_STREAM_STATE_INIT { sizeof(menshen_stream_state), 0, 0, 0, 0, 0, 0, 0 }

/* Reads where the stream stands. Errors: MENSHEN_EINVAL, MENSHEN_EVERSION. */
MENSHEN_API menshen_status menshen_stream_get_state(const menshen_stream *stream,
                                                    menshen_stream_state *state);

/* Copies a stream as it stands (its Hyperscan stream state, held-back text and
 * decision so far) into a new stream `*copy` on the same snapshot: fed the same
 * continuation the copy reaches the same decision; fed another, it is
 * independent. For servers that branch generation (beam search, speculative
 * decoding, "regenerate from here"): one stream per branch, closing those
 * abandoned. The copy is the caller's to close (menshen_stream_close). Errors:
 * MENSHEN_EINVAL, MENSHEN_ENOMEM, MENSHEN_EINTERNAL. */
MENSHEN_API menshen_status menshen_stream_fork(const menshen_stream *stream,
                                               menshen_stream **copy);

/* The detail of the last failed call on this stream, "" if it succeeded.
 * Valid until the next call on this stream. Never NULL. */
MENSHEN_API const char *menshen_stream_error(const menshen_stream *stream);

/* Frees the stream. A stream neither finished nor cut writes no audit record.
 * NULL is a no-op. */
MENSHEN_API void menshen_stream_close(menshen_stream *stream);

/* ---- Audit records ------------------------------------------------------ */

/* An audit record's fields. Pointers are valid until the callback returns. */
typedef struct menshen_audit_info {
  size_t struct_size;   /* sizeof(menshen_audit_info) */
  int64_t time_unix_ns; /* when the decision was made */
  const char *request_id;
  size_t request_id_len;
  menshen_direction direction;
  const char *profile;
  size_t profile_len;
  menshen_action action;
  const char *rule;
  size_t rule_len;
  const char *policy_version;
  size_t policy_version_len;
  const char *fold_version;
  size_t fold_version_len;
  uint64_t input_length; /* bytes */
  const char *input_sha256; /* hex digest of the input */
  size_t input_sha256_len;
  uint64_t invalid_utf8;
  int has_text; /* the engine was opened with audit_include_text */
  const char *text; /* the input (invalid UTF-8 as U+FFFD); "" without has_text */
  size_t text_len;
  size_t hit_count;  /* read with menshen_audit_record_hit */
  size_t pack_count; /* read with menshen_audit_record_pack */
  /* Added with issue 18, as in menshen_decision. */
  const char *cut_reason;
  size_t cut_reason_len;
  uint64_t hits_not_kept;
} menshen_audit_info;

#define MENSHEN_AUDIT_INFO_INIT                                                          \
  { sizeof(menshen_audit_info), 0, NULL, 0, MENSHEN_INPUT, NULL, 0, MENSHEN_ALLOW, NULL, 0, \
    NULL, 0, NULL, 0, 0, NULL, 0, 0, 0, NULL, 0, 0, 0, NULL, 0, 0 }

/* Reads a record's fields. Errors: MENSHEN_EINVAL, MENSHEN_EVERSION. */
MENSHEN_API menshen_status menshen_audit_record_get(const menshen_audit_record *record,
                                                    menshen_audit_info *info);
/* Reads hit `index`; `pack` and `term` are empty (records name entries by id).
 * Valid until the callback returns. */
MENSHEN_API menshen_status menshen_audit_record_hit(const menshen_audit_record *record,
                                                    size_t index, menshen_hit *hit);
/* Reads pack `index`. Valid until the callback returns. */
MENSHEN_API menshen_status menshen_audit_record_pack(const menshen_audit_record *record,
                                                     size_t index, menshen_pack_version *pack);
/* Serialises the record: JSON (the `record` object of the built-in sink's
 * lines; NUL-terminated) or binary protobuf (not NUL-terminated; may hold NUL
 * bytes). *data is valid until the callback returns. Errors: MENSHEN_EINVAL,
 * MENSHEN_ENOMEM. */
MENSHEN_API menshen_status menshen_audit_record_serialize(const menshen_audit_record *record,
                                                          menshen_format format,
                                                          const char **data, size_t *len);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MENSHEN_H_ */
