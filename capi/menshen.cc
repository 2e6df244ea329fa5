// The C ABI: thin shims that check arguments, call the C++ library and map
// its absl::Status to a menshen_status. Every entry point catches
// std::bad_alloc and everything else, so no exception crosses the boundary.
#include "capi/menshen.h"

#include <cstddef>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "lib/audit/record_json.h"
#include "lib/normalize/normalizer.h"
#include "menshen/engine.h"

static_assert(MENSHEN_VERSION_MAJOR == MENSHEN_PROJECT_VERSION_MAJOR &&
                  MENSHEN_VERSION_MINOR == MENSHEN_PROJECT_VERSION_MINOR &&
                  MENSHEN_VERSION_PATCH == MENSHEN_PROJECT_VERSION_PATCH,
              "capi/menshen.h's MENSHEN_VERSION_* must match project() in CMakeLists.txt");

namespace menshen::capi {
namespace {

// Used when even recording a message fails: needs no allocation.
constexpr char kOutOfMemory[] = "out of memory";

// The detail of an object's last failed call.
class ErrorText {
 public:
  const char* get() const { return oom_ ? kOutOfMemory : text_.c_str(); }
  void Clear() noexcept {
    text_.clear();
    oom_ = false;
  }
  void Set(std::string_view message) noexcept {
    try {
      text_.assign(message.data(), message.size());
      oom_ = false;
    } catch (...) {
      oom_ = true;
    }
  }
  void SetOutOfMemory() noexcept { oom_ = true; }

 private:
  std::string text_;
  bool oom_ = false;
};

thread_local ErrorText tl_last_error;

// Records a failure on the thread (and on the object, when there is one).
menshen_status Fail(ErrorText* object, menshen_status status, std::string_view message) noexcept {
  if (status == MENSHEN_ENOMEM) {
    tl_last_error.SetOutOfMemory();
    if (object != nullptr) object->SetOutOfMemory();
    return status;
  }
  tl_last_error.Set(message);
  if (object != nullptr) object->Set(message);
  return status;
}

menshen_status FailCaught(ErrorText* object) noexcept {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    return Fail(object, MENSHEN_ENOMEM, kOutOfMemory);
  } catch (const std::exception& e) {
    return Fail(object, MENSHEN_EINTERNAL, e.what());
  } catch (...) {
    return Fail(object, MENSHEN_EINTERNAL, "unknown exception inside the library");
  }
}

std::string_view Message(const absl::Status& status) {
  return std::string_view(status.message().data(), status.message().size());
}

// Accepts the struct sizes this library knows: each version's sizeof.
bool KnownSize(size_t struct_size, size_t v1) { return struct_size == v1; }
bool KnownSize(size_t struct_size, size_t v1, size_t v2) {
  return struct_size == v1 || struct_size == v2;
}
// The first field issue 18 appended to each struct: a caller's struct holds
// it when its struct_size reaches past it.
constexpr size_t kEngineOptionsV1 = offsetof(menshen_engine_options, max_stream_hits);
constexpr size_t kDecisionV1 = offsetof(menshen_decision, cut_reason);
constexpr size_t kAuditInfoV1 = offsetof(menshen_audit_info, cut_reason);

menshen_status BadSize(ErrorText* object, const char* what, size_t got, size_t want) {
  return Fail(object, MENSHEN_EVERSION,
              std::string(what) + ".struct_size is " + std::to_string(got) +
                  "; this library knows " + std::to_string(want) +
                  " (set it with sizeof or the _INIT macro)");
}

// The value of a C enum as the caller stored it. A C caller may pass any int;
// in C++ loading an enum object outside its range is undefined, so the bytes
// are copied out as an int before any comparison.
template <typename E>
int RawEnum(const E& e) {
  static_assert(sizeof(E) == sizeof(int), "C enums are int-sized on this ABI");
  int value;
  std::memcpy(&value, &e, sizeof value);
  return value;
}

std::string_view View(const char* data, size_t len) {
  return data == nullptr ? std::string_view() : std::string_view(data, len);
}

void Put(std::string_view s, const char** data, size_t* len) {
  *data = s.data() != nullptr ? s.data() : "";
  *len = s.size();
}

// ---- Audit callback ------------------------------------------------------

}  // namespace

// What a C callback sees: the record and lazily serialised copies of it.
struct AuditRecordView {
  const audit::AuditRecord* record;
  std::string json;
  std::string protobuf;
  bool has_json = false;
  bool has_protobuf = false;
};

namespace {

// The engine calls the audit hook on the thread that checks, before Check(),
// Feed() or Finish() returns; the shim that made the call sets this so the
// hook can report that the callback asked to stop.
struct CallContext {
  bool stop = false;
};
thread_local CallContext* tl_call = nullptr;

class ScopedCall {
 public:
  explicit ScopedCall(CallContext* context) : saved_(tl_call) { tl_call = context; }
  ~ScopedCall() { tl_call = saved_; }
  ScopedCall(const ScopedCall&) = delete;
  ScopedCall& operator=(const ScopedCall&) = delete;

 private:
  CallContext* saved_;
};

AuditHook MakeHook(menshen_audit_fn fn, void* user) {
  return [fn, user](const audit::AuditRecord& record) {
    AuditRecordView view{&record, {}, {}, false, false};
    const int rc = fn(reinterpret_cast<const menshen_audit_record*>(&view), user);
    if (rc != 0 && tl_call != nullptr) tl_call->stop = true;
  };
}

// audit_fail_closed: the callback's non-zero fails the call (kUnavailable,
// mapped to MENSHEN_EAUDIT).
FailClosedAuditHook MakeFailClosedHook(menshen_audit_fn fn, void* user) {
  return [fn, user](const audit::AuditRecord& record) -> absl::Status {
    AuditRecordView view{&record, {}, {}, false, false};
    if (fn(reinterpret_cast<const menshen_audit_record*>(&view), user) == 0) {
      return absl::OkStatus();
    }
    return absl::UnavailableError("the audit callback returned non-zero (audit_fail_closed)");
  };
}

// ---- Engine --------------------------------------------------------------

menshen_status MapOpenError(const absl::Status& status, menshen_status otherwise) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kPermissionDenied:
      return MENSHEN_EIO;
    case absl::StatusCode::kResourceExhausted:
      // Hyperscan scratch or a pack too big to hold.
      return otherwise == MENSHEN_EPACK ? MENSHEN_EPACK : MENSHEN_ENOMEM;
    case absl::StatusCode::kInternal:
      return MENSHEN_EINTERNAL;
    default:
      return otherwise;
  }
}

}  // namespace

// One snapshot: the C++ engine and the profile checks use by default.
struct Snapshot {
  std::shared_ptr<const Engine> engine;
  std::string profile;
  uint64_t id = 0;  // menshen_decision::snapshot_id: 1 at open, +1 per reload
};

namespace {

struct Built {
  std::shared_ptr<Snapshot> snapshot;  // its id is set by the caller
  menshen_status status = MENSHEN_OK;
  std::string message;
};

Built Build(const menshen_engine_options* options) {
  Built out;
  auto fail = [&out](menshen_status status, std::string message) {
    out.status = status;
    out.message = std::move(message);
    return std::move(out);
  };
  if (options == nullptr) return fail(MENSHEN_EINVAL, "options is NULL");
  if (!KnownSize(options->struct_size, kEngineOptionsV1, sizeof(menshen_engine_options))) {
    return fail(MENSHEN_EVERSION,
                "menshen_engine_options.struct_size is " + std::to_string(options->struct_size) +
                    "; this library knows " + std::to_string(sizeof(menshen_engine_options)) +
                    " (use MENSHEN_ENGINE_OPTIONS_INIT)");
  }
  if (options->pack_count > 0 && options->packs == nullptr) {
    return fail(MENSHEN_EINVAL, "packs is NULL but pack_count is " +
                                    std::to_string(options->pack_count));
  }
  std::vector<std::shared_ptr<const Pack>> packs;
  for (size_t i = 0; i < options->pack_count; ++i) {
    if (options->packs[i] == nullptr) {
      return fail(MENSHEN_EINVAL, "packs[" + std::to_string(i) + "] is NULL");
    }
    absl::StatusOr<std::shared_ptr<const Pack>> pack = Pack::Load(options->packs[i]);
    if (!pack.ok()) {
      return fail(MapOpenError(pack.status(), MENSHEN_EPACK), std::string(Message(pack.status())));
    }
    packs.push_back(*std::move(pack));
  }
  if (packs.empty()) {
    // Compiled from the embedded sources (tens of milliseconds), once per
    // open or reload; the snapshot then shares them.
    absl::StatusOr<std::vector<std::shared_ptr<const Pack>>> defaults = Pack::Defaults();
    if (!defaults.ok()) return fail(MENSHEN_EINTERNAL, std::string(Message(defaults.status())));
    packs = *std::move(defaults);
  }
  EngineOptions engine_options;
  if (options->policy_path != nullptr) {
    absl::StatusOr<std::shared_ptr<const Policy>> policy = Policy::Load(options->policy_path);
    if (!policy.ok()) {
      return fail(MapOpenError(policy.status(), MENSHEN_EPOLICY),
                  std::string(Message(policy.status())));
    }
    engine_options.policy = *std::move(policy);
  }
  if (options->max_input_bytes != 0) engine_options.max_input_bytes = options->max_input_bytes;
  if (options->max_stream_holdback_bytes != 0) {
    engine_options.max_stream_holdback_bytes = options->max_stream_holdback_bytes;
  }
  const bool v2 = options->struct_size >= sizeof(menshen_engine_options);
  if (options->audit_fn != nullptr) {
    if (v2 && options->audit_fail_closed != 0) {
      engine_options.fail_closed_audit_hook =
          MakeFailClosedHook(options->audit_fn, options->audit_user);
    } else {
      engine_options.audit_hook = MakeHook(options->audit_fn, options->audit_user);
    }
  }
  if (v2 && options->max_stream_hits != 0) engine_options.max_stream_hits = options->max_stream_hits;
  engine_options.audit_include_text = options->audit_include_text != 0;
  absl::StatusOr<std::shared_ptr<const Engine>> engine =
      Engine::Create(std::move(packs), engine_options);
  if (!engine.ok()) {
    return fail(MapOpenError(engine.status(), MENSHEN_EPACK), std::string(Message(engine.status())));
  }
  auto snapshot = std::make_shared<Snapshot>();
  if (options->profile != nullptr && options->profile[0] != '\0') {
    snapshot->profile = options->profile;
    if (!(*engine)->policy().has_profile(snapshot->profile)) {
      return fail(MENSHEN_EPROFILE, "the policy has no profile '" + snapshot->profile + "'");
    }
  }
  snapshot->engine = *std::move(engine);
  out.snapshot = std::move(snapshot);
  return out;
}

}  // namespace
}  // namespace menshen::capi

using menshen::capi::ErrorText;
using menshen::capi::Fail;
using menshen::capi::FailCaught;

// The engine handle: the current snapshot, swapped whole by a reload. (Not an
// EngineSlot: the snapshot pairs the C++ engine with the handle's default
// profile, and both must change together.)
struct menshen_engine {
  std::shared_ptr<const menshen::capi::Snapshot> Get() const {
    std::lock_guard<std::mutex> lock(mu);
    return current;
  }
  mutable std::mutex mu;
  std::shared_ptr<const menshen::capi::Snapshot> current;  // guarded by mu
  std::mutex reload_mu;                                    // serialises reloads
  ErrorText error;                                         // guarded by reload_mu
  uint64_t last_snapshot_id = 0;                           // guarded by reload_mu
};

struct menshen_result {
  menshen::Decision decision;
  uint64_t snapshot_id = 0;
  bool filled = false;
  ErrorText error;
};

struct menshen_stream {
  std::shared_ptr<const menshen::capi::Snapshot> snapshot;
  std::optional<menshen::Stream> stream;  // set once opened
  std::string released;
  // The request's strings, kept for the stream's life.
  std::string profile, locale, request_id;
  ErrorText error;
};

namespace menshen::capi {
namespace {

// Fills a CheckRequest from C options; the views borrow from `options` or
// from `snapshot`.
menshen_status ReadCheckOptions(const menshen_check_options* options, const Snapshot& snapshot,
                                ErrorText* error, CheckRequest* request) {
  request->profile = snapshot.profile;
  if (options == nullptr) return MENSHEN_OK;
  if (!KnownSize(options->struct_size, sizeof(menshen_check_options))) {
    return BadSize(error, "menshen_check_options", options->struct_size,
                   sizeof(menshen_check_options));
  }
  const int direction = RawEnum(options->direction);
  if (direction != MENSHEN_INPUT && direction != MENSHEN_OUTPUT) {
    return Fail(error, MENSHEN_EINVAL,
                "direction " + std::to_string(direction) +
                    " is neither MENSHEN_INPUT nor MENSHEN_OUTPUT");
  }
  if ((options->profile == nullptr && options->profile_len != 0) ||
      (options->locale == nullptr && options->locale_len != 0) ||
      (options->request_id == nullptr && options->request_id_len != 0)) {
    return Fail(error, MENSHEN_EINVAL, "a NULL string in menshen_check_options has a length");
  }
  request->direction = direction == MENSHEN_OUTPUT ? Direction::kOutput : Direction::kInput;
  if (options->profile_len != 0) request->profile = View(options->profile, options->profile_len);
  request->locale = View(options->locale, options->locale_len);
  request->request_id = View(options->request_id, options->request_id_len);
  return MENSHEN_OK;
}

// Opening a stream fails for a bad profile, or for a pack that cannot stream
// (a regex of unbounded width: FailedPrecondition, naming the regex).
menshen_status MapStreamOpenError(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument: return MENSHEN_EPROFILE;
    case absl::StatusCode::kFailedPrecondition: return MENSHEN_EPACK;
    case absl::StatusCode::kResourceExhausted: return MENSHEN_ENOMEM;
    default: return MENSHEN_EINTERNAL;
  }
}

menshen_status MapCheckError(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument: return MENSHEN_EPROFILE;
    case absl::StatusCode::kResourceExhausted: return MENSHEN_ETOOBIG;
    case absl::StatusCode::kFailedPrecondition: return MENSHEN_ESTATE;
    case absl::StatusCode::kUnavailable: return MENSHEN_EAUDIT;  // the fail-closed hook
    default: return MENSHEN_EINTERNAL;
  }
}

void PutHit(const Hit& h, menshen_hit* out) {
  Put(h.entry_id, &out->entry_id, &out->entry_id_len);
  Put(h.pack, &out->pack, &out->pack_len);
  Put(h.category, &out->category, &out->category_len);
  Put(h.term, &out->term, &out->term_len);
  out->severity = h.severity;
  out->regex = h.regex ? 1 : 0;
  out->start = h.start;
  out->end = h.end;
}

menshen_action ToC(Action a) {
  switch (a) {
    case Action::kAllow: return MENSHEN_ALLOW;
    case Action::kFlag: return MENSHEN_FLAG;
    case Action::kMask: return MENSHEN_MASK;
    case Action::kRefuse: return MENSHEN_REFUSE;
    case Action::kBlock: return MENSHEN_BLOCK;
  }
  return MENSHEN_ALLOW;
}

menshen_action ActionFromName(std::string_view name) {
  if (name == "FLAG") return MENSHEN_FLAG;
  if (name == "MASK") return MENSHEN_MASK;
  if (name == "REFUSE") return MENSHEN_REFUSE;
  if (name == "BLOCK") return MENSHEN_BLOCK;
  return MENSHEN_ALLOW;
}

// A stream's released text, handed out as (pointer, length).
menshen_status PutReleased(menshen_stream* s, const char** released, size_t* len) {
  if (released != nullptr) {
    *released = s->released.c_str();
    *len = s->released.size();
  }
  return MENSHEN_OK;
}

bool ReleasedArgsOk(const char** released, size_t* len) {
  return (released == nullptr) == (len == nullptr);
}

// Feed and finish: `run` moves the stream on, appending to stream->released,
// which the caller sees through released/released_len even when the call then
// fails (text released before an audit callback asked to stop is not lost).
// A non-null `bad_argument` fails the call with MENSHEN_EINVAL and that text.
template <typename Run>
menshen_status StreamCall(menshen_stream* stream, const char** released, size_t* released_len,
                          const char* bad_argument, Run run) {
  if (stream == nullptr) return Fail(nullptr, MENSHEN_EINVAL, "stream is NULL");
  try {
    stream->released.clear();
    if (!ReleasedArgsOk(released, released_len)) {
      return Fail(&stream->error, MENSHEN_EINVAL,
                  "released and released_len must both be NULL or both be set");
    }
    PutReleased(stream, released, released_len);
    if (bad_argument != nullptr) return Fail(&stream->error, MENSHEN_EINVAL, bad_argument);
    CallContext call;
    absl::Status status;
    {
      ScopedCall scoped(&call);
      status = run(*stream->stream, &stream->released);
    }
    PutReleased(stream, released, released_len);
    if (!status.ok()) return Fail(&stream->error, MapCheckError(status), Message(status));
    if (call.stop) {
      return Fail(&stream->error, MENSHEN_EUSER, "the audit callback returned non-zero");
    }
    stream->error.Clear();
    return MENSHEN_OK;
  } catch (...) {
    stream->released.clear();
    PutReleased(stream, ReleasedArgsOk(released, released_len) ? released : nullptr,
                released_len);
    return FailCaught(&stream->error);
  }
}


}  // namespace
}  // namespace menshen::capi

using namespace menshen::capi;  // NOLINT: the shims below are all of this file

extern "C" {

unsigned menshen_version_number(void) { return MENSHEN_VERSION_NUMBER; }

const char* menshen_version_string(void) {
#define MENSHEN_STR2(x) #x
#define MENSHEN_STR(x) MENSHEN_STR2(x)
  return MENSHEN_STR(MENSHEN_VERSION_MAJOR) "." MENSHEN_STR(MENSHEN_VERSION_MINOR) "." MENSHEN_STR(
      MENSHEN_VERSION_PATCH);
#undef MENSHEN_STR
#undef MENSHEN_STR2
}

const char* menshen_strerror(menshen_status status) {
  switch (RawEnum(status)) {
    case MENSHEN_OK: return "success";
    case MENSHEN_EINVAL: return "invalid argument";
    case MENSHEN_ENOMEM: return "out of memory";
    case MENSHEN_EVERSION: return "struct size or version not known to this library";
    case MENSHEN_EIO: return "file missing or unreadable";
    case MENSHEN_EPACK: return "invalid or corrupt pack";
    case MENSHEN_EPOLICY: return "invalid policy";
    case MENSHEN_EPROFILE: return "no such profile in the policy";
    case MENSHEN_ETOOBIG: return "input exceeds max_input_bytes";
    case MENSHEN_ESTATE: return "call not valid in the object's current state";
    case MENSHEN_EINTERNAL: return "internal error";
    case MENSHEN_EUSER: return "a callback asked to stop";
    case MENSHEN_EAUDIT: return "the decision's audit record was not taken (fail closed)";
  }
  return "unknown status code";
}

const char* menshen_last_error(void) { return tl_last_error.get(); }

const char* menshen_action_name(menshen_action action) {
  switch (RawEnum(action)) {
    case MENSHEN_ALLOW: return "ALLOW";
    case MENSHEN_FLAG: return "FLAG";
    case MENSHEN_MASK: return "MASK";
    case MENSHEN_REFUSE: return "REFUSE";
    case MENSHEN_BLOCK: return "BLOCK";
  }
  return "UNKNOWN";
}

// ---- Engine ----------------------------------------------------------------

menshen_status menshen_engine_open(const menshen_engine_options* options,
                                   menshen_engine** engine) {
  try {
    if (engine == nullptr) return Fail(nullptr, MENSHEN_EINVAL, "engine (the out pointer) is NULL");
    *engine = nullptr;
    Built built = Build(options);
    if (built.status != MENSHEN_OK) return Fail(nullptr, built.status, built.message);
    auto handle = std::make_unique<menshen_engine>();
    built.snapshot->id = handle->last_snapshot_id = 1;
    handle->current = std::move(built.snapshot);
    *engine = handle.release();
    return MENSHEN_OK;
  } catch (...) {
    return FailCaught(nullptr);
  }
}

menshen_status menshen_engine_reload(menshen_engine* engine,
                                     const menshen_engine_options* options) {
  if (engine == nullptr) return Fail(nullptr, MENSHEN_EINVAL, "engine is NULL");
  try {
    std::lock_guard<std::mutex> reload_lock(engine->reload_mu);
    Built built = Build(options);
    if (built.status != MENSHEN_OK) return Fail(&engine->error, built.status, built.message);
    built.snapshot->id = ++engine->last_snapshot_id;
    std::shared_ptr<const Snapshot> old;
    {
      std::lock_guard<std::mutex> lock(engine->mu);
      old = std::exchange(engine->current, std::move(built.snapshot));
    }
    // `old`, perhaps the last reference, is released here, outside `mu`.
    engine->error.Clear();
    return MENSHEN_OK;
  } catch (...) {
    return FailCaught(&engine->error);
  }
}

const char* menshen_engine_error(const menshen_engine* engine) {
  return engine == nullptr ? "engine is NULL" : engine->error.get();
}

menshen_status menshen_engine_holdback_bytes(const menshen_engine* engine, size_t* bytes) {
  if (engine == nullptr) return Fail(nullptr, MENSHEN_EINVAL, "engine is NULL");
  if (bytes == nullptr) return Fail(nullptr, MENSHEN_EINVAL, "bytes is NULL");
  try {
    *bytes = 0;
    absl::StatusOr<size_t> holdback = engine->Get()->engine->stream_holdback_bytes();
    if (!holdback.ok()) return Fail(nullptr, MapStreamOpenError(holdback.status()),
                                    Message(holdback.status()));
    *bytes = *holdback;
    return MENSHEN_OK;
  } catch (...) {
    return FailCaught(nullptr);
  }
}

void menshen_engine_close(menshen_engine* engine) { delete engine; }

// ---- Results -----------------------------------------------------------------

menshen_status menshen_result_create(menshen_result** result) {
  try {
    if (result == nullptr) return Fail(nullptr, MENSHEN_EINVAL, "result (the out pointer) is NULL");
    *result = nullptr;
    *result = new menshen_result();
    return MENSHEN_OK;
  } catch (...) {
    return FailCaught(nullptr);
  }
}

void menshen_result_free(menshen_result* result) { delete result; }

const char* menshen_result_error(const menshen_result* result) {
  return result == nullptr ? "result is NULL" : result->error.get();
}

menshen_status menshen_check(const menshen_engine* engine, const char* utf8, size_t len,
                             const menshen_check_options* options, menshen_result* result) {
  if (result == nullptr) return Fail(nullptr, MENSHEN_EINVAL, "result is NULL");
  result->filled = false;
  try {
    if (engine == nullptr) return Fail(&result->error, MENSHEN_EINVAL, "engine is NULL");
    if (utf8 == nullptr && len != 0) {
      return Fail(&result->error, MENSHEN_EINVAL, "text is NULL but its length is not 0");
    }
    std::shared_ptr<const Snapshot> snapshot = engine->Get();
    menshen::CheckRequest request;
    if (menshen_status s = ReadCheckOptions(options, *snapshot, &result->error, &request)) {
      return s;
    }
    const size_t limit = snapshot->engine->options().max_input_bytes;
    if (len > limit) {
      return Fail(&result->error, MENSHEN_ETOOBIG,
                  "text of " + std::to_string(len) + " bytes exceeds max_input_bytes (" +
                      std::to_string(limit) + ")");
    }
    CallContext call;
    absl::Status status;
    {
      ScopedCall scoped(&call);
      status = snapshot->engine->Check(View(utf8, len), request, &result->decision);
    }
    if (!status.ok()) {
      // Over the size limit was ruled out above: here it is scratch memory.
      const menshen_status code = status.code() == absl::StatusCode::kResourceExhausted
                                      ? MENSHEN_ENOMEM
                                      : MapCheckError(status);
      return Fail(&result->error, code, Message(status));
    }
    result->filled = true;
    result->snapshot_id = snapshot->id;
    if (call.stop) {
      return Fail(&result->error, MENSHEN_EUSER, "the audit callback returned non-zero");
    }
    result->error.Clear();
    return MENSHEN_OK;
  } catch (...) {
    result->filled = false;
    return FailCaught(&result->error);
  }
}

menshen_status menshen_result_get(const menshen_result* result, menshen_decision* decision) {
  if (result == nullptr) return Fail(nullptr, MENSHEN_EINVAL, "result is NULL");
  if (decision == nullptr) return Fail(nullptr, MENSHEN_EINVAL, "decision is NULL");
  if (!KnownSize(decision->struct_size, kDecisionV1, sizeof(menshen_decision))) {
    return BadSize(nullptr, "menshen_decision", decision->struct_size, sizeof(menshen_decision));
  }
  if (!result->filled) {
    return Fail(nullptr, MENSHEN_ESTATE, "the result holds no decision (no check filled it)");
  }
  const menshen::Decision& d = result->decision;
  decision->action = ToC(d.action);
  Put(d.rule, &decision->rule, &decision->rule_len);
  Put(d.profile, &decision->profile, &decision->profile_len);
  Put(d.masked, &decision->masked, &decision->masked_len);
  Put(d.refusal, &decision->refusal, &decision->refusal_len);
  Put(d.label, &decision->label, &decision->label_len);
  decision->label_position = d.label_position == menshen::LabelPosition::kStart ? MENSHEN_LABEL_START
                             : d.label_position == menshen::LabelPosition::kEnd
                                 ? MENSHEN_LABEL_END
                                 : MENSHEN_LABEL_NONE;
  // policy_version views a std::string of the policy: NUL-terminated.
  Put(d.policy_version, &decision->policy_version, &decision->policy_version_len);
  Put(menshen::internal::FoldVersion(), &decision->fold_version, &decision->fold_version_len);
  decision->hit_count = d.hits.size();
  decision->pack_count = d.engine != nullptr ? d.engine->packs().size() : 0;
  decision->invalid_utf8 = d.invalid_utf8;
  decision->snapshot_id = result->snapshot_id;
  if (decision->struct_size >= sizeof(menshen_decision)) {
    Put(d.cut_reason, &decision->cut_reason, &decision->cut_reason_len);
    decision->hits_not_kept = d.hits_not_kept;
  }
  return MENSHEN_OK;
}

menshen_status menshen_result_hit(const menshen_result* result, size_t index, menshen_hit* hit) {
  if (result == nullptr) return Fail(nullptr, MENSHEN_EINVAL, "result is NULL");
  if (hit == nullptr) return Fail(nullptr, MENSHEN_EINVAL, "hit is NULL");
  if (!KnownSize(hit->struct_size, sizeof(menshen_hit))) {
    return BadSize(nullptr, "menshen_hit", hit->struct_size, sizeof(menshen_hit));
  }
  if (!result->filled) {
    return Fail(nullptr, MENSHEN_ESTATE, "the result holds no decision (no check filled it)");
  }
  if (index >= result->decision.hits.size()) {
    return Fail(nullptr, MENSHEN_EINVAL,
                "hit index " + std::to_string(index) + " is out of range (" +
                    std::to_string(result->decision.hits.size()) + " hits)");
  }
  PutHit(result->decision.hits[index], hit);
  return MENSHEN_OK;
}

menshen_status menshen_result_pack(const menshen_result* result, size_t index,
                                   menshen_pack_version* pack) {
  if (result == nullptr) return Fail(nullptr, MENSHEN_EINVAL, "result is NULL");
  if (pack == nullptr) return Fail(nullptr, MENSHEN_EINVAL, "pack is NULL");
  if (!KnownSize(pack->struct_size, sizeof(menshen_pack_version))) {
    return BadSize(nullptr, "menshen_pack_version", pack->struct_size,
                   sizeof(menshen_pack_version));
  }
  if (!result->filled || result->decision.engine == nullptr) {
    return Fail(nullptr, MENSHEN_ESTATE, "the result holds no decision (no check filled it)");
  }
  const auto& packs = result->decision.engine->packs();
  if (index >= packs.size()) {
    return Fail(nullptr, MENSHEN_EINVAL,
                "pack index " + std::to_string(index) + " is out of range (" +
                    std::to_string(packs.size()) + " packs)");
  }
  const menshen::PackInfo& info = packs[index]->info();
  Put(info.name, &pack->name, &pack->name_len);
  Put(info.version, &pack->version, &pack->version_len);
  Put(info.artefact_sha256, &pack->sha256, &pack->sha256_len);
  return MENSHEN_OK;
}

// ---- Streams -------------------------------------------------------------------

menshen_status menshen_stream_open(const menshen_engine* engine,
                                   const menshen_check_options* options,
                                   menshen_stream** stream) {
  try {
    if (stream == nullptr) return Fail(nullptr, MENSHEN_EINVAL, "stream (the out pointer) is NULL");
    *stream = nullptr;
    if (engine == nullptr) return Fail(nullptr, MENSHEN_EINVAL, "engine is NULL");
    auto handle = std::make_unique<menshen_stream>();
    handle->snapshot = engine->Get();
    menshen::CheckRequest request;
    if (menshen_status s = ReadCheckOptions(options, *handle->snapshot, nullptr, &request)) {
      return s;
    }
    // Copies that live as long as the stream.
    handle->profile.assign(request.profile);
    handle->locale.assign(request.locale);
    handle->request_id.assign(request.request_id);
    request.profile = handle->profile;
    request.locale = handle->locale;
    request.request_id = handle->request_id;
    absl::StatusOr<menshen::Stream> opened = handle->snapshot->engine->OpenStream(request);
    if (!opened.ok()) {
      return Fail(nullptr, MapStreamOpenError(opened.status()), Message(opened.status()));
    }
    handle->stream.emplace(*std::move(opened));
    *stream = handle.release();
    return MENSHEN_OK;
  } catch (...) {
    return FailCaught(nullptr);
  }
}

menshen_status menshen_stream_feed(menshen_stream* stream, const char* utf8, size_t len,
                                   const char** released, size_t* released_len) {
  return StreamCall(stream, released, released_len,
                    utf8 == nullptr && len != 0 ? "chunk is NULL but its length is not 0" : nullptr,
                    [&](menshen::Stream& s, std::string* out) {
                      return s.Feed(View(utf8, len), out);
                    });
}

menshen_status menshen_stream_finish(menshen_stream* stream, const char** released,
                                     size_t* released_len) {
  return StreamCall(stream, released, released_len, nullptr,
                    [](menshen::Stream& s, std::string* out) { return s.Finish(out); });
}

menshen_status menshen_stream_result(const menshen_stream* stream, menshen_result* result) {
  if (result == nullptr) return Fail(nullptr, MENSHEN_EINVAL, "result is NULL");
  result->filled = false;
  try {
    if (stream == nullptr) return Fail(&result->error, MENSHEN_EINVAL, "stream is NULL");
    result->decision = stream->stream->decision();
    // A decision made so far may not name its engine yet; the stream's does.
    if (result->decision.engine == nullptr) result->decision.engine = stream->snapshot->engine;
    result->snapshot_id = stream->snapshot->id;
    result->filled = true;
    result->error.Clear();
    return MENSHEN_OK;
  } catch (...) {
    return FailCaught(&result->error);
  }
}

menshen_status menshen_stream_fork(const menshen_stream* stream, menshen_stream** copy) {
  try {
    if (copy == nullptr) return Fail(nullptr, MENSHEN_EINVAL, "copy (the out pointer) is NULL");
    *copy = nullptr;
    if (stream == nullptr) return Fail(nullptr, MENSHEN_EINVAL, "stream is NULL");
    auto handle = std::make_unique<menshen_stream>();
    handle->snapshot = stream->snapshot;
    handle->profile = stream->profile;
    handle->locale = stream->locale;
    handle->request_id = stream->request_id;
    absl::StatusOr<menshen::Stream> forked = stream->stream->Fork();
    if (!forked.ok()) return Fail(nullptr, MapCheckError(forked.status()), Message(forked.status()));
    handle->stream.emplace(*std::move(forked));
    *copy = handle.release();
    return MENSHEN_OK;
  } catch (...) {
    return FailCaught(nullptr);
  }
}

menshen_status menshen_stream_get_state(const menshen_stream* stream,
                                        menshen_stream_state* state) {
  if (stream == nullptr) return Fail(nullptr, MENSHEN_EINVAL, "stream is NULL");
  if (state == nullptr) return Fail(nullptr, MENSHEN_EINVAL, "state is NULL");
  if (!KnownSize(state->struct_size, sizeof(menshen_stream_state))) {
    return BadSize(nullptr, "menshen_stream_state", state->struct_size,
                   sizeof(menshen_stream_state));
  }
  try {
    const menshen::Stream& s = *stream->stream;
    state->cut = s.cut() ? 1 : 0;
    state->cut_offset = s.cut() ? s.cut_offset() : 0;
    state->finished = s.finished() ? 1 : 0;
    state->bytes_fed = s.bytes_fed();
    state->bytes_released = s.bytes_released();
    state->memory_bytes = s.memory_bytes();
    state->max_held_bytes = s.max_held_bytes();
    return MENSHEN_OK;
  } catch (...) {
    return FailCaught(nullptr);
  }
}

const char* menshen_stream_error(const menshen_stream* stream) {
  return stream == nullptr ? "stream is NULL" : stream->error.get();
}

void menshen_stream_close(menshen_stream* stream) {
  try {
    delete stream;
  } catch (...) {
    // A destructor that throws would be a bug; the boundary still holds.
  }
}

// ---- Audit records ------------------------------------------------------------

menshen_status menshen_audit_record_get(const menshen_audit_record* record,
                                        menshen_audit_info* info) {
  if (record == nullptr) return Fail(nullptr, MENSHEN_EINVAL, "record is NULL");
  if (info == nullptr) return Fail(nullptr, MENSHEN_EINVAL, "info is NULL");
  if (!KnownSize(info->struct_size, kAuditInfoV1, sizeof(menshen_audit_info))) {
    return BadSize(nullptr, "menshen_audit_info", info->struct_size, sizeof(menshen_audit_info));
  }
  const auto& r = *reinterpret_cast<const AuditRecordView*>(record)->record;
  info->time_unix_ns = r.time().seconds() * 1000000000 + r.time().nanos();
  Put(r.request_id(), &info->request_id, &info->request_id_len);
  info->direction = r.direction() == "output" ? MENSHEN_OUTPUT : MENSHEN_INPUT;
  Put(r.profile(), &info->profile, &info->profile_len);
  info->action = ActionFromName(r.action());
  Put(r.rule(), &info->rule, &info->rule_len);
  Put(r.policy_version(), &info->policy_version, &info->policy_version_len);
  Put(r.fold_version(), &info->fold_version, &info->fold_version_len);
  info->input_length = r.input_length();
  Put(r.input_sha256(), &info->input_sha256, &info->input_sha256_len);
  info->invalid_utf8 = r.invalid_utf8();
  info->has_text = r.has_text() ? 1 : 0;
  Put(r.text(), &info->text, &info->text_len);
  info->hit_count = static_cast<size_t>(r.hits_size());
  info->pack_count = static_cast<size_t>(r.packs_size());
  if (info->struct_size >= sizeof(menshen_audit_info)) {
    Put(r.cut_reason(), &info->cut_reason, &info->cut_reason_len);
    info->hits_not_kept = r.hits_not_kept();
  }
  return MENSHEN_OK;
}

menshen_status menshen_audit_record_hit(const menshen_audit_record* record, size_t index,
                                        menshen_hit* hit) {
  if (record == nullptr) return Fail(nullptr, MENSHEN_EINVAL, "record is NULL");
  if (hit == nullptr) return Fail(nullptr, MENSHEN_EINVAL, "hit is NULL");
  if (!KnownSize(hit->struct_size, sizeof(menshen_hit))) {
    return BadSize(nullptr, "menshen_hit", hit->struct_size, sizeof(menshen_hit));
  }
  const auto& r = *reinterpret_cast<const AuditRecordView*>(record)->record;
  if (index >= static_cast<size_t>(r.hits_size())) {
    return Fail(nullptr, MENSHEN_EINVAL,
                "hit index " + std::to_string(index) + " is out of range (" +
                    std::to_string(r.hits_size()) + " hits)");
  }
  const auto& h = r.hits(static_cast<int>(index));
  Put(h.entry_id(), &hit->entry_id, &hit->entry_id_len);
  Put(std::string_view(), &hit->pack, &hit->pack_len);
  Put(h.category(), &hit->category, &hit->category_len);
  Put(std::string_view(), &hit->term, &hit->term_len);
  hit->severity = h.severity();
  hit->regex = 0;
  hit->start = static_cast<size_t>(h.start());
  hit->end = static_cast<size_t>(h.end());
  return MENSHEN_OK;
}

menshen_status menshen_audit_record_pack(const menshen_audit_record* record, size_t index,
                                         menshen_pack_version* pack) {
  if (record == nullptr) return Fail(nullptr, MENSHEN_EINVAL, "record is NULL");
  if (pack == nullptr) return Fail(nullptr, MENSHEN_EINVAL, "pack is NULL");
  if (!KnownSize(pack->struct_size, sizeof(menshen_pack_version))) {
    return BadSize(nullptr, "menshen_pack_version", pack->struct_size,
                   sizeof(menshen_pack_version));
  }
  const auto& r = *reinterpret_cast<const AuditRecordView*>(record)->record;
  if (index >= static_cast<size_t>(r.packs_size())) {
    return Fail(nullptr, MENSHEN_EINVAL,
                "pack index " + std::to_string(index) + " is out of range (" +
                    std::to_string(r.packs_size()) + " packs)");
  }
  const auto& p = r.packs(static_cast<int>(index));
  Put(p.name(), &pack->name, &pack->name_len);
  Put(p.version(), &pack->version, &pack->version_len);
  Put(p.sha256(), &pack->sha256, &pack->sha256_len);
  return MENSHEN_OK;
}

menshen_status menshen_audit_record_serialize(const menshen_audit_record* record,
                                              menshen_format format, const char** data,
                                              size_t* len) {
  if (record == nullptr) return Fail(nullptr, MENSHEN_EINVAL, "record is NULL");
  if (data == nullptr || len == nullptr) {
    return Fail(nullptr, MENSHEN_EINVAL, "data and len must not be NULL");
  }
  try {
    // The view is the library's own object, lent to the callback as const.
    auto& view = *const_cast<AuditRecordView*>(reinterpret_cast<const AuditRecordView*>(record));
    const int raw_format = RawEnum(format);
    if (raw_format == MENSHEN_FORMAT_JSON) {
      if (!view.has_json) {
        view.json.clear();
        if (!menshen::internal::AppendAuditRecordJson(*view.record, &view.json)) {
          return Fail(nullptr, MENSHEN_EINTERNAL, "the record's time cannot be printed as JSON");
        }
        view.has_json = true;
      }
      *data = view.json.c_str();
      *len = view.json.size();
      return MENSHEN_OK;
    }
    if (raw_format == MENSHEN_FORMAT_PROTOBUF) {
      if (!view.has_protobuf) {
        if (!view.record->SerializeToString(&view.protobuf)) {
          return Fail(nullptr, MENSHEN_EINTERNAL, "the record did not serialise");
        }
        view.has_protobuf = true;
      }
      *data = view.protobuf.data();
      *len = view.protobuf.size();
      return MENSHEN_OK;
    }
    return Fail(nullptr, MENSHEN_EINVAL,
                "format " + std::to_string(raw_format) + " is not a menshen_format");
  } catch (...) {
    return FailCaught(nullptr);
  }
}

}  // extern "C"
