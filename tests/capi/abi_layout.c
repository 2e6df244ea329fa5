/* Prints the layout of every struct and the value of every enum constant of
 * menshen.h, one fact per line, for the ABI check (tests/capi/abi_check.py).
 * New public structs and enums must be added here. */
#include <stddef.h>
#include <stdio.h>

#include "menshen.h"

#define SIZE(T) printf("sizeof %s %zu\n", #T, sizeof(T))
#define FIELD(T, f) printf("offsetof %s.%s %zu %zu\n", #T, #f, offsetof(T, f), sizeof(((T *)0)->f))
#define VALUE(c) printf("enum %s %d\n", #c, (int)(c))

int main(void) {
  SIZE(menshen_engine_options);
  FIELD(menshen_engine_options, struct_size);
  FIELD(menshen_engine_options, packs);
  FIELD(menshen_engine_options, pack_count);
  FIELD(menshen_engine_options, policy_path);
  FIELD(menshen_engine_options, profile);
  FIELD(menshen_engine_options, max_input_bytes);
  FIELD(menshen_engine_options, max_stream_holdback_bytes);
  FIELD(menshen_engine_options, audit_fn);
  FIELD(menshen_engine_options, audit_user);
  FIELD(menshen_engine_options, audit_include_text);
  FIELD(menshen_engine_options, max_stream_hits);
  FIELD(menshen_engine_options, audit_fail_closed);

  SIZE(menshen_check_options);
  FIELD(menshen_check_options, struct_size);
  FIELD(menshen_check_options, direction);
  FIELD(menshen_check_options, profile);
  FIELD(menshen_check_options, profile_len);
  FIELD(menshen_check_options, locale);
  FIELD(menshen_check_options, locale_len);
  FIELD(menshen_check_options, request_id);
  FIELD(menshen_check_options, request_id_len);

  SIZE(menshen_decision);
  FIELD(menshen_decision, struct_size);
  FIELD(menshen_decision, action);
  FIELD(menshen_decision, rule);
  FIELD(menshen_decision, rule_len);
  FIELD(menshen_decision, profile);
  FIELD(menshen_decision, profile_len);
  FIELD(menshen_decision, masked);
  FIELD(menshen_decision, masked_len);
  FIELD(menshen_decision, refusal);
  FIELD(menshen_decision, refusal_len);
  FIELD(menshen_decision, label);
  FIELD(menshen_decision, label_len);
  FIELD(menshen_decision, label_position);
  FIELD(menshen_decision, policy_version);
  FIELD(menshen_decision, policy_version_len);
  FIELD(menshen_decision, fold_version);
  FIELD(menshen_decision, fold_version_len);
  FIELD(menshen_decision, hit_count);
  FIELD(menshen_decision, pack_count);
  FIELD(menshen_decision, invalid_utf8);
  FIELD(menshen_decision, snapshot_id);
  FIELD(menshen_decision, cut_reason);
  FIELD(menshen_decision, cut_reason_len);
  FIELD(menshen_decision, hits_not_kept);

  SIZE(menshen_hit);
  FIELD(menshen_hit, struct_size);
  FIELD(menshen_hit, entry_id);
  FIELD(menshen_hit, entry_id_len);
  FIELD(menshen_hit, pack);
  FIELD(menshen_hit, pack_len);
  FIELD(menshen_hit, category);
  FIELD(menshen_hit, category_len);
  FIELD(menshen_hit, term);
  FIELD(menshen_hit, term_len);
  FIELD(menshen_hit, severity);
  FIELD(menshen_hit, regex);
  FIELD(menshen_hit, start);
  FIELD(menshen_hit, end);

  SIZE(menshen_pack_version);
  FIELD(menshen_pack_version, struct_size);
  FIELD(menshen_pack_version, name);
  FIELD(menshen_pack_version, name_len);
  FIELD(menshen_pack_version, version);
  FIELD(menshen_pack_version, version_len);
  FIELD(menshen_pack_version, sha256);
  FIELD(menshen_pack_version, sha256_len);

  SIZE(menshen_stream_state);
  FIELD(menshen_stream_state, struct_size);
  FIELD(menshen_stream_state, cut);
  FIELD(menshen_stream_state, cut_offset);
  FIELD(menshen_stream_state, finished);
  FIELD(menshen_stream_state, bytes_fed);
  FIELD(menshen_stream_state, bytes_released);
  FIELD(menshen_stream_state, memory_bytes);
  FIELD(menshen_stream_state, max_held_bytes);

  SIZE(menshen_audit_info);
  FIELD(menshen_audit_info, struct_size);
  FIELD(menshen_audit_info, time_unix_ns);
  FIELD(menshen_audit_info, request_id);
  FIELD(menshen_audit_info, request_id_len);
  FIELD(menshen_audit_info, direction);
  FIELD(menshen_audit_info, profile);
  FIELD(menshen_audit_info, profile_len);
  FIELD(menshen_audit_info, action);
  FIELD(menshen_audit_info, rule);
  FIELD(menshen_audit_info, rule_len);
  FIELD(menshen_audit_info, policy_version);
  FIELD(menshen_audit_info, policy_version_len);
  FIELD(menshen_audit_info, fold_version);
  FIELD(menshen_audit_info, fold_version_len);
  FIELD(menshen_audit_info, input_length);
  FIELD(menshen_audit_info, input_sha256);
  FIELD(menshen_audit_info, input_sha256_len);
  FIELD(menshen_audit_info, invalid_utf8);
  FIELD(menshen_audit_info, has_text);
  FIELD(menshen_audit_info, text);
  FIELD(menshen_audit_info, text_len);
  FIELD(menshen_audit_info, hit_count);
  FIELD(menshen_audit_info, pack_count);
  FIELD(menshen_audit_info, cut_reason);
  FIELD(menshen_audit_info, cut_reason_len);
  FIELD(menshen_audit_info, hits_not_kept);

  SIZE(menshen_status);
  VALUE(MENSHEN_OK);
  VALUE(MENSHEN_EINVAL);
  VALUE(MENSHEN_ENOMEM);
  VALUE(MENSHEN_EVERSION);
  VALUE(MENSHEN_EIO);
  VALUE(MENSHEN_EPACK);
  VALUE(MENSHEN_EPOLICY);
  VALUE(MENSHEN_EPROFILE);
  VALUE(MENSHEN_ETOOBIG);
  VALUE(MENSHEN_ESTATE);
  VALUE(MENSHEN_EINTERNAL);
  VALUE(MENSHEN_EUSER);
  VALUE(MENSHEN_EAUDIT);
  SIZE(menshen_direction);
  VALUE(MENSHEN_INPUT);
  VALUE(MENSHEN_OUTPUT);
  SIZE(menshen_action);
  VALUE(MENSHEN_ALLOW);
  VALUE(MENSHEN_FLAG);
  VALUE(MENSHEN_MASK);
  VALUE(MENSHEN_REFUSE);
  VALUE(MENSHEN_BLOCK);
  SIZE(menshen_label_position);
  VALUE(MENSHEN_LABEL_NONE);
  VALUE(MENSHEN_LABEL_START);
  VALUE(MENSHEN_LABEL_END);
  SIZE(menshen_format);
  VALUE(MENSHEN_FORMAT_JSON);
  VALUE(MENSHEN_FORMAT_PROTOBUF);
  return 0;
}
