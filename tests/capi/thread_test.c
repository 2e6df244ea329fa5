/* Concurrency through the C ABI: 4 threads check with their own results while
 * the main thread reloads the engine, and streams run alongside. Run under
 * ThreadSanitizer by tools/test.sh. Usage: capi_thread_test SOURCE_DIR */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "menshen.h"

static menshen_engine *engine;
static int errors;
static pthread_mutex_t errors_mu = PTHREAD_MUTEX_INITIALIZER;

static void fail(const char *what) {
  pthread_mutex_lock(&errors_mu);
  ++errors;
  fprintf(stderr, "%s: %s\n", what, menshen_last_error());
  pthread_mutex_unlock(&errors_mu);
}

static void *worker(void *arg) {
  static const char *texts[] = {"hello there", "you are a fuck", "13812345678 call me"};
  static const menshen_action want[] = {MENSHEN_ALLOW, MENSHEN_FLAG, MENSHEN_FLAG};
  menshen_result *result = NULL;
  menshen_decision d = MENSHEN_DECISION_INIT;
  int i, id = *(int *)arg;
  if (menshen_result_create(&result) != MENSHEN_OK) {
    fail("result_create");
    return NULL;
  }
  for (i = 0; i < 400; ++i) {
    int k = (i + id) % 3;
    if (menshen_check(engine, texts[k], strlen(texts[k]), NULL, result) != MENSHEN_OK ||
        menshen_result_get(result, &d) != MENSHEN_OK || d.action != want[k]) {
      fail("check");
    }
    if (i % 100 == 0) {
      menshen_stream *stream = NULL;
      const char *released;
      size_t len;
      if (menshen_stream_open(engine, NULL, &stream) != MENSHEN_OK ||
          menshen_stream_feed(stream, texts[k], strlen(texts[k]), &released, &len) != MENSHEN_OK ||
          menshen_stream_finish(stream, &released, &len) != MENSHEN_OK) {
        fail("stream");
      }
      menshen_stream_close(stream);
    }
  }
  menshen_result_free(result);
  return NULL;
}

int main(int argc, char **argv) {
  const char *packs[1] = {NULL};
  menshen_engine_options options = MENSHEN_ENGINE_OPTIONS_INIT;
  pthread_t threads[4];
  int ids[4], i;
  if (argc != 2) return 2;
  (void)argv;
  options.packs = packs;
  options.pack_count = 0; /* the embedded default packs, compiled again by each reload */
  if (menshen_engine_open(&options, &engine) != MENSHEN_OK) {
    fail("open");
    return 1;
  }
  for (i = 0; i < 4; ++i) {
    ids[i] = i;
    pthread_create(&threads[i], NULL, worker, &ids[i]);
  }
  for (i = 0; i < 5; ++i) {
    if (menshen_engine_reload(engine, &options) != MENSHEN_OK) fail("reload");
  }
  for (i = 0; i < 4; ++i) pthread_join(threads[i], NULL);
  menshen_engine_close(engine);
  if (errors) return 1;
  printf("4 threads checked and streamed through 5 reloads\n");
  return 0;
}
