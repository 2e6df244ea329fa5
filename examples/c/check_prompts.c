/* Checks prompts read from stdin, one per line, the way a C inference server
 * would before sending them to the model: one engine shared by the server,
 * one result per worker thread, reused for every request.
 *
 *   check_prompts [PACK ...] < prompts.txt
 *
 * PACK is a compiled .mspack or a pack source folder; none means the packs
 * embedded in the library. Prints one line per prompt: the action, the rule
 * and the text to use (the masked prompt, or the refusal to answer with).
 *
 * Build against an installed menshen:
 *   cc -std=c99 check_prompts.c $(pkg-config --cflags --libs menshen)
 * or with CMake: find_package(menshen) and link menshen::menshen. */
#include <stdio.h>
#include <string.h>

#include <menshen.h>

static int on_audit(const menshen_audit_record *record, void *user) {
  /* A real server would hand the JSON to its log pipeline. */
  const char *json = NULL;
  size_t len = 0;
  unsigned long *count = (unsigned long *)user;
  if (menshen_audit_record_serialize(record, MENSHEN_FORMAT_JSON, &json, &len) == MENSHEN_OK) {
    ++*count;
  }
  return 0;
}

int main(int argc, char **argv) {
  menshen_engine_options options = MENSHEN_ENGINE_OPTIONS_INIT;
  menshen_check_options check = MENSHEN_CHECK_OPTIONS_INIT;
  menshen_engine *engine = NULL;
  menshen_result *result = NULL;
  unsigned long audited = 0, line_no = 0;
  char line[65536];
  menshen_status status;

  options.packs = (const char *const *)(argv + 1);
  options.pack_count = (size_t)(argc - 1);
  options.audit_fn = on_audit;
  options.audit_user = &audited;
  status = menshen_engine_open(&options, &engine);
  if (status != MENSHEN_OK) {
    fprintf(stderr, "check_prompts: %s: %s\n", menshen_strerror(status), menshen_last_error());
    return 2;
  }
  if (menshen_result_create(&result) != MENSHEN_OK) {
    fprintf(stderr, "check_prompts: %s\n", menshen_last_error());
    menshen_engine_close(engine);
    return 2;
  }
  check.direction = MENSHEN_INPUT;

  while (fgets(line, sizeof line, stdin) != NULL) {
    menshen_decision d = MENSHEN_DECISION_INIT;
    size_t len = strcspn(line, "\r\n");
    char request_id[32];
    ++line_no;
    sprintf(request_id, "line-%lu", line_no);
    check.request_id = request_id;
    check.request_id_len = strlen(request_id);
    status = menshen_check(engine, line, len, &check, result);
    if (status != MENSHEN_OK || menshen_result_get(result, &d) != MENSHEN_OK) {
      printf("%lu\terror\t%s: %s\n", line_no, menshen_strerror(status),
             menshen_result_error(result));
      continue;
    }
    /* Strings come with lengths; print them with %.*s. */
    if (d.action >= MENSHEN_REFUSE) {
      printf("%lu\t%s\t%.*s\t%.*s\n", line_no, menshen_action_name(d.action), (int)d.rule_len,
             d.rule, (int)d.refusal_len, d.refusal);
    } else {
      printf("%lu\t%s\t%.*s\t%.*s\n", line_no, menshen_action_name(d.action), (int)d.rule_len,
             d.rule, (int)d.masked_len, d.masked);
    }
  }
  fprintf(stderr, "check_prompts: %lu prompts, %lu audit records\n", line_no, audited);
  menshen_result_free(result);
  menshen_engine_close(engine);
  return 0;
}
