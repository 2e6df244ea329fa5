/* The guard menshen.server puts in front of a model, inside the token loop of
 * a C inference server instead: the prompt is checked before decoding, and
 * every detokenised piece goes through an engine stream before it is sent to
 * the client. Only released text is sent (masks applied); when the policy
 * cuts the stream, decoding stops and the refusal is sent in its place; the
 * AI-generated label goes where the policy says.
 *
 *   token_loop_guard [PACK ...]
 *
 * The "model" is a table of canned answers, emitted a few bytes per step (as
 * a tokenizer's pieces would be, sometimes splitting a UTF-8 character). For
 * each request it prints what the client would receive, then a summary line:
 *   request N: ACTION rule=RULE steps=DECODED/TOTAL
 *
 * Build against an installed menshen:
 *   cc -std=c99 token_loop_guard.c $(pkg-config --cflags --libs menshen) */
#include <stdio.h>
#include <string.h>

#include <menshen.h>

struct request {
  const char *prompt;
  const char *answer; /* what the model would generate */
};

static const struct request kRequests[] = {
    {"Write a line about autumn.",
     "Autumn leaves drift down, the river runs slow, and the evening is cool."},
    {"How do I reach you?", "Call me at 13812345678 if the parcel does not arrive by Friday."},
    {"给我写个广告",
     "好的，这是你要的：出售冰毒，量大从优，欢迎联系。后面还有很多内容，模型本来还会继续生成，"
     "一段接着一段，直到达到长度上限为止。这些文字不会被生成，因为解码在切断处就停止了。"},
    {"出售冰毒，量大从优", "(never generated: the prompt is refused)"},
};

/* One decoding step: the next piece of the answer, `step` bytes at most. */
static size_t next_piece(const char *answer, size_t at, size_t step) {
  size_t left = strlen(answer) - at;
  return left < step ? left : step;
}

static void send_to_client(const char *text, size_t len) {
  /* A real server writes an SSE event or a gRPC message here. */
  fwrite(text, 1, len, stdout);
}

/* The label when the decision carries one at `position`. */
static void send_label(const menshen_decision *d, menshen_label_position position) {
  if (d->label_position == position && d->label_len > 0) send_to_client(d->label, d->label_len);
}

static int serve(const menshen_engine *engine, menshen_result *result, int n,
                 const struct request *r) {
  menshen_check_options options = MENSHEN_CHECK_OPTIONS_INIT;
  menshen_decision d = MENSHEN_DECISION_INIT;
  menshen_stream *stream = NULL;
  menshen_status status;
  char request_id[32];
  size_t at = 0, steps = 0, total = 0, piece;
  const char *released;
  size_t released_len;

  sprintf(request_id, "req-%d", n);
  options.request_id = request_id;
  options.request_id_len = strlen(request_id);

  /* 1. The prompt, before any decoding. */
  options.direction = MENSHEN_INPUT;
  status = menshen_check(engine, r->prompt, strlen(r->prompt), &options, result);
  if (status != MENSHEN_OK || menshen_result_get(result, &d) != MENSHEN_OK) {
    fprintf(stderr, "token_loop_guard: %s: %s\n", menshen_strerror(status),
            menshen_result_error(result));
    return 1;
  }
  if (d.action >= MENSHEN_REFUSE) {
    send_to_client(d.refusal, d.refusal_len);
    printf("\nrequest %d: %s rule=%.*s steps=0/0 (prompt)\n", n, menshen_action_name(d.action),
           (int)d.rule_len, d.rule);
    return 0;
  }

  /* 2. The answer, piece by piece as the model decodes it. */
  options.direction = MENSHEN_OUTPUT;
  status = menshen_stream_open(engine, &options, &stream);
  if (status != MENSHEN_OK) {
    fprintf(stderr, "token_loop_guard: %s: %s\n", menshen_strerror(status), menshen_last_error());
    return 1;
  }
  /* The label at the start is known before any text: the stream's decision so far. */
  if (menshen_stream_result(stream, result) == MENSHEN_OK &&
      menshen_result_get(result, &d) == MENSHEN_OK) {
    send_label(&d, MENSHEN_LABEL_START);
  }
  for (at = 0; at < strlen(r->answer); at += 5) ++total;
  for (at = 0; (piece = next_piece(r->answer, at, 5)) > 0; at += piece) {
    menshen_stream_state state = MENSHEN_STREAM_STATE_INIT;
    ++steps; /* a decode step produced `piece` bytes */
    status = menshen_stream_feed(stream, r->answer + at, piece, &released, &released_len);
    if (status != MENSHEN_OK && status != MENSHEN_ETOOBIG) {
      fprintf(stderr, "token_loop_guard: %s: %s\n", menshen_strerror(status),
              menshen_stream_error(stream));
      menshen_stream_close(stream);
      return 1;
    }
    send_to_client(released, released_len);
    if (menshen_stream_get_state(stream, &state) == MENSHEN_OK && state.cut) {
      break; /* stop decoding: the sequence's slot goes back to the batch */
    }
  }
  /* 3. The end: the held-back rest, or nothing more after a cut. */
  {
    menshen_stream_state state = MENSHEN_STREAM_STATE_INIT;
    menshen_stream_get_state(stream, &state);
    if (!state.cut) {
      status = menshen_stream_finish(stream, &released, &released_len);
      if (status == MENSHEN_OK) send_to_client(released, released_len);
    }
  }
  if (menshen_stream_result(stream, result) != MENSHEN_OK ||
      menshen_result_get(result, &d) != MENSHEN_OK) {
    menshen_stream_close(stream);
    return 1;
  }
  if (d.action >= MENSHEN_REFUSE) {
    send_to_client(d.refusal, d.refusal_len);
  } else {
    send_label(&d, MENSHEN_LABEL_END);
  }
  printf("\nrequest %d: %s rule=%.*s steps=%lu/%lu\n", n, menshen_action_name(d.action),
         (int)d.rule_len, d.rule, (unsigned long)steps, (unsigned long)total);
  menshen_stream_close(stream);
  return 0;
}

int main(int argc, char **argv) {
  menshen_engine_options options = MENSHEN_ENGINE_OPTIONS_INIT;
  menshen_engine *engine = NULL;
  menshen_result *result = NULL;
  menshen_status status;
  size_t i;
  int failed = 0;

  options.packs = (const char *const *)(argv + 1);
  options.pack_count = (size_t)(argc - 1);
  status = menshen_engine_open(&options, &engine);
  if (status != MENSHEN_OK) {
    fprintf(stderr, "token_loop_guard: %s: %s\n", menshen_strerror(status), menshen_last_error());
    return 2;
  }
  if (menshen_result_create(&result) != MENSHEN_OK) {
    menshen_engine_close(engine);
    return 2;
  }
  for (i = 0; i < sizeof kRequests / sizeof kRequests[0]; ++i) {
    failed |= serve(engine, result, (int)i + 1, &kRequests[i]);
  }
  menshen_result_free(result);
  menshen_engine_close(engine);
  return failed;
}
