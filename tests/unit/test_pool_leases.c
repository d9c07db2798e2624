/* Tensor pool leases and epochs across processes (tensor-pool.md, "Driver, leases, epochs"), one
 * rule per test: a SIGKILLed producer loses its lease at once (long before any expiry), the
 * epoch moves on and a new producer continues; a SIGKILLed consumer changes nothing for the
 * producer; a client that stops its keepalives while alive expires; a driver restart bumps the
 * epoch and clients re-attach by themselves; an embedded driver's process dying leaves the
 * others working and re-attached to the next driver; garbage collection keeps two epochs;
 * quotas and huge-page requirements are honoured or refused, never downgraded; the shutdown
 * request needs the token. The other side is lf_pool_helper (fork + exec). */
#define _GNU_SOURCE
#include "pool_test.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct fixture {
  char *base;
  lf_context_t *context;
  pid_t helpers[4]; /* still running: killed by the teardown if a test fails first */
} fixture_t;

static int setup(void **state) {
  fixture_t *f = calloc(1, sizeof *f);
  f->context = pool_test_context(&f->base);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture_t *f = *state;
  for (int i = 0; i < 4; ++i)
    if (f->helpers[i] > 0) {
      kill(f->helpers[i], SIGKILL);
      waitpid(f->helpers[i], NULL, 0);
    }
  LF_OK_(lf_context_destroy(f->context));
  pool_test_remove_dir(f->base);
  free(f->base);
  free(f);
  return 0;
}

typedef struct helper {
  pid_t pid;
  uint64_t epoch;
} helper_t;

/* Starts lf_pool_helper MODE on our base directory and waits for its "ready EPOCH" line. */
static helper_t spawn_helper(fixture_t *f, const char *mode, uint32_t stream, int start_driver, const char *fault) {
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  char stream_text[16], start_text[4];
  snprintf(stream_text, sizeof stream_text, "%u", stream);
  snprintf(start_text, sizeof start_text, "%d", start_driver);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    if (fault != NULL) setenv("LAVAFLOW_FAULT_INJECT", fault, 1);
    const char *path = getenv("LF_POOL_HELPER");
    execl(path != NULL ? path : "lf_pool_helper", "lf_pool_helper", mode, f->base, stream_text, start_text, (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  char line[64] = {0};
  size_t used = 0;
  while (used < sizeof line - 1 && strchr(line, '\n') == NULL) {
    ssize_t n = read(fds[0], line + used, sizeof line - 1 - used);
    if (n <= 0) break;
    used += (size_t)n;
  }
  close(fds[0]);
  unsigned long long epoch = 0;
  if (sscanf(line, "ready %llu", &epoch) != 1) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    fail_msg("lf_pool_helper %s did not get ready: '%s'", mode, line);
  }
  helper_t h = {pid, epoch};
  for (int i = 0; i < 4; ++i)
    if (f->helpers[i] == 0) {
      f->helpers[i] = pid;
      break;
    }
  return h;
}

static void kill_helper(fixture_t *f, helper_t h) {
  for (int i = 0; i < 4; ++i)
    if (f->helpers[i] == h.pid) f->helpers[i] = 0;
  kill(h.pid, SIGKILL);
  int status = 0;
  assert_int_equal(waitpid(h.pid, &status, 0), h.pid);
}

static lf_pool_consumer_t *attach_consumer(fixture_t *f, uint32_t stream, int start_driver) {
  lf_pool_consumer_params_t p = pool_test_consumer_params(LF_POOL_MODE_STREAM);
  p.start_driver = start_driver;
  lf_pool_consumer_t *consumer = NULL;
  LF_OK_(lf_pool_consumer_attach(f->context, stream, &p, &consumer));
  return consumer;
}

/* Waits (up to 5 s) for the next intact frame and checks its pattern. */
static void read_one(lf_pool_consumer_t *consumer) {
  lf_pool_view_t v = {.struct_size = sizeof v};
  for (int i = 0; i < 50; ++i) {
    lf_status_t s = lf_pool_consumer_wait(consumer, &v, 100000000);
    if (s == LF_TIMEOUT || s == LF_EPOCH_CHANGED) continue;
    LF_OK_(s);
    assert_true(pool_test_check(v.payload, v.bytes, v.tensor.timestamp_ns - 1));
    if (lf_pool_consumer_release(consumer) == LF_OK) return;
  }
  fail_msg("no frame in 5 s");
}

static void a_killed_producer_loses_its_lease_at_once(void **state) {
  fixture_t *f = *state;
  /* Keepalives every 10 s: expiry would take 30 s, so anything quicker is the socket closing. */
  pool_test_driver_options_t o = {.keepalive_ms = 10000};
  lf_pool_driver_t *driver = pool_test_driver(f->context, &o);
  lf_pool_consumer_t *consumer = attach_consumer(f, 1, 0);
  helper_t producer = spawn_helper(f, "producer", 1, 0, NULL);
  pool_test_follow(consumer, producer.epoch);
  read_one(consumer);
  kill_helper(f, producer);
  pool_test_follow(consumer, producer.epoch + 1); /* revoked and bumped (fails after 5 s) */
  /* The stream has no producer now: a new one is granted the lease and continues. */
  lf_pool_producer_t *next = pool_test_attach_producer(f->context, 1, 0);
  assert_int_equal(pool_test_producer_epoch(next), producer.epoch + 2);
  pool_test_follow(consumer, producer.epoch + 2);
  pool_test_publish(next, 64, 1234);
  read_one(consumer);
  LF_OK_(lf_pool_producer_detach(next));
  LF_OK_(lf_pool_consumer_detach(consumer));
  LF_OK_(lf_pool_driver_destroy(driver));
}

static void a_killed_consumer_changes_nothing_for_the_producer(void **state) {
  fixture_t *f = *state;
  lf_pool_driver_t *driver = pool_test_driver(f->context, NULL);
  lf_pool_producer_t *producer = pool_test_attach_producer(f->context, 2, 0);
  const uint64_t epoch = pool_test_producer_epoch(producer);
  helper_t consumer = spawn_helper(f, "consumer", 2, 0, NULL);
  assert_int_equal(consumer.epoch, epoch);
  for (uint64_t n = 0; n < 100; ++n) pool_test_publish(producer, 64, n);
  kill_helper(f, consumer);
  for (uint64_t n = 100; n < 2000; ++n) pool_test_publish(producer, 64, n);
  assert_int_equal(pool_test_producer_epoch(producer), epoch);
  /* The driver forgot the consumer as soon as its socket closed. */
  lf_pool_stream_status_t s = {.struct_size = sizeof s};
  uint32_t count = 0;
  for (int i = 0; i < 500; ++i) {
    LF_OK_(lf_pool_list_streams(f->context, &s, 1, &count));
    if (s.consumers == 0) break;
    usleep(10000);
  }
  assert_int_equal(count, 1);
  assert_int_equal(s.consumers, 0);
  assert_int_equal(s.producer_pid, getpid());
  LF_OK_(lf_pool_producer_detach(producer));
  LF_OK_(lf_pool_driver_destroy(driver));
}

static void a_producer_that_stops_its_keepalives_expires(void **state) {
  fixture_t *f = *state;
  pool_test_driver_options_t o = {.keepalive_ms = 50};
  lf_pool_driver_t *driver = pool_test_driver(f->context, &o);
  lf_pool_consumer_t *consumer = attach_consumer(f, 3, 0);
  helper_t producer = spawn_helper(f, "producer", 3, 0, "pool_no_keepalive");
  pool_test_follow(consumer, producer.epoch);
  /* After 3 missed keepalives (150 ms) the lease expires: a new epoch, while the process lives. */
  pool_test_follow(consumer, producer.epoch + 1);
  assert_int_equal(kill(producer.pid, 0), 0);
  kill_helper(f, producer);
  LF_OK_(lf_pool_consumer_detach(consumer));
  LF_OK_(lf_pool_driver_destroy(driver));
}

static void a_driver_restart_bumps_the_epoch_and_clients_reattach(void **state) {
  fixture_t *f = *state;
  lf_pool_driver_t *driver = pool_test_driver(f->context, NULL);
  lf_pool_consumer_t *consumer = attach_consumer(f, 4, 0);
  lf_pool_producer_t *producer = pool_test_attach_producer(f->context, 4, 0);
  const uint64_t epoch = pool_test_producer_epoch(producer);
  pool_test_follow(consumer, epoch);
  pool_test_publish(producer, 64, 1);
  read_one(consumer);
  LF_OK_(lf_pool_driver_destroy(driver));
  /* No driver: both keep their mappings; frames still flow. */
  pool_test_publish(producer, 64, 2);
  read_one(consumer);
  driver = pool_test_driver(f->context, NULL);
  uint64_t now = epoch;
  for (int i = 0; i < 500 && now <= epoch; ++i) {
    usleep(10000);
    now = pool_test_producer_epoch(producer);
  }
  assert_true(now > epoch);
  pool_test_follow(consumer, pool_test_producer_epoch(producer));
  assert_true(pool_test_counters(consumer).reattachments >= 1);
  pool_test_publish(producer, 64, 3);
  read_one(consumer);
  LF_OK_(lf_pool_producer_detach(producer));
  LF_OK_(lf_pool_consumer_detach(consumer));
  LF_OK_(lf_pool_driver_destroy(driver));
}

static void the_next_driver_takes_over_when_an_embedded_one_dies(void **state) {
  fixture_t *f = *state;
  /* The helper is first: it starts the embedded driver. */
  helper_t first = spawn_helper(f, "consumer", 5, 1, NULL);
  lf_pool_consumer_t *consumer = attach_consumer(f, 5, 1);
  lf_pool_producer_t *producer = pool_test_attach_producer(f->context, 5, 1);
  const uint64_t epoch = pool_test_producer_epoch(producer);
  pool_test_follow(consumer, epoch);
  kill_helper(f, first); /* the driver's process dies */
  pool_test_publish(producer, 64, 7);
  read_one(consumer); /* the mapped regions keep working */
  uint64_t now = epoch;
  for (int i = 0; i < 500 && now <= epoch; ++i) {
    usleep(10000);
    now = pool_test_producer_epoch(producer);
  }
  assert_true(now > epoch); /* re-attached to the next driver: this process's embedded one */
  pool_test_follow(consumer, now);
  pool_test_publish(producer, 64, 8);
  read_one(consumer);
  LF_OK_(lf_pool_producer_detach(producer));
  LF_OK_(lf_pool_consumer_detach(consumer));
}

static void garbage_collection_keeps_two_epochs(void **state) {
  fixture_t *f = *state;
  pool_test_driver_options_t o = {.announce_ms = 20};
  lf_pool_driver_t *driver = pool_test_driver(f->context, &o);
  lf_pool_consumer_t *consumer = attach_consumer(f, 6, 0);
  const uint64_t first = pool_test_counters(consumer).epoch;
  for (int i = 0; i < 5; ++i) {
    lf_pool_producer_t *producer = pool_test_attach_producer(f->context, 6, 0);
    const uint64_t epoch = pool_test_producer_epoch(producer);
    pool_test_follow(consumer, epoch);
    LF_OK_(lf_pool_producer_detach(producer));
    pool_test_follow(consumer, epoch + 1);
  }
  char dir[512];
  snprintf(dir, sizeof dir, "%s/lavaflow-%u/default/6", f->base, (unsigned)geteuid());
  int entries = -1;
  for (int i = 0; i < 200; ++i) { /* retired 3 announce periods ago (60 ms) */
    entries = pool_test_count_entries(dir);
    if (entries == 2) break;
    usleep(10000);
  }
  assert_int_equal(entries, 2);
  assert_int_equal(pool_test_counters(consumer).epoch, first + 10); /* each attach and detach: one more */
  LF_OK_(lf_pool_consumer_detach(consumer));
  LF_OK_(lf_pool_driver_destroy(driver));
}

static void a_producer_with_another_layout_starts_an_epoch_of_that_layout(void **state) {
  fixture_t *f = *state;
  lf_pool_driver_t *driver = pool_test_driver(f->context, NULL);
  lf_pool_consumer_t *consumer = attach_consumer(f, 8, 0);
  lf_pool_producer_t *first = pool_test_attach_producer(f->context, 8, 0);
  lf_pool_stream_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_pool_producer_get_info(first, &info));
  assert_int_equal(info.nslots, 16);
  LF_OK_(lf_pool_producer_detach(first));
  lf_pool_producer_params_t p = pool_test_producer_params();
  p.field_mask |= LF_POOL_PRODUCER_PARAM_FIELD_PROFILE;
  p.profile = "wide";
  lf_pool_producer_t *wide = NULL;
  LF_OK_(lf_pool_producer_attach(f->context, 8, &p, &wide));
  LF_OK_(lf_pool_producer_get_info(wide, &info));
  assert_int_equal(info.nslots, 32);
  assert_int_equal(info.pool_count, 1);
  assert_int_equal(info.pool_strides[0], 65536);
  pool_test_follow(consumer, info.epoch);
  lf_pool_stream_info_t seen = {.struct_size = sizeof seen};
  LF_OK_(lf_pool_consumer_get_info(consumer, &seen));
  assert_int_equal(seen.epoch, info.epoch);
  assert_int_equal(seen.nslots, 32); /* the consumer remapped to the new layout */
  void *payload = NULL;
  LF_OK_(lf_pool_producer_claim(wide, 60000, &payload)); /* too big for the old layout */
  pool_test_fill(payload, 60000, 3);
  lf_pool_tensor_t t = pool_test_tensor(60000);
  t.timestamp_ns = 4;
  LF_OK_(lf_pool_producer_commit(wide, &t, 60000));
  read_one(consumer);
  LF_OK_(lf_pool_producer_detach(wide));
  LF_OK_(lf_pool_consumer_detach(consumer));
  LF_OK_(lf_pool_driver_destroy(driver));
}

static void consumers_beyond_the_table_still_attach(void **state) {
  fixture_t *f = *state;
  pool_test_driver_options_t o = {.consumer_entries = 1};
  lf_pool_driver_t *driver = pool_test_driver(f->context, &o);
  lf_pool_producer_t *producer = pool_test_attach_producer(f->context, 9, 0);
  lf_pool_consumer_t *consumers[3];
  for (int i = 0; i < 3; ++i) consumers[i] = attach_consumer(f, 9, 0);
  pool_test_publish(producer, 64, 11);
  for (int i = 0; i < 3; ++i) read_one(consumers[i]);
  lf_pool_stream_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_pool_producer_get_info(producer, &info));
  char path[400];
  snprintf(path, sizeof path, "%s/control", info.epoch_dir);
  lf_pool_producer_qos_t qos = {.struct_size = sizeof qos};
  uint32_t listed = 0;
  LF_OK_(lf_pool_read_control(f->context, path, &qos, NULL, 0, &listed));
  assert_int_equal(qos.consumer_entries, 1);
  assert_int_equal(listed, 1); /* the table holds one; the others read all the same */
  lf_pool_stream_status_t s = {.struct_size = sizeof s};
  uint32_t count = 0;
  LF_OK_(lf_pool_list_streams(f->context, &s, 1, &count));
  assert_int_equal(s.consumers, 3);
  for (int i = 0; i < 3; ++i) LF_OK_(lf_pool_consumer_detach(consumers[i]));
  LF_OK_(lf_pool_producer_detach(producer));
  LF_OK_(lf_pool_driver_destroy(driver));
}

static void a_stream_nobody_leases_is_retired(void **state) {
  fixture_t *f = *state;
  char dir[512];
  snprintf(dir, sizeof dir, "%s/lavaflow-%u/default/14", f->base, (unsigned)geteuid());
  pool_test_driver_options_t o = {.announce_ms = 20};
  lf_pool_driver_t *driver = pool_test_driver(f->context, &o);
  lf_pool_consumer_t *consumer = attach_consumer(f, 14, 0);
  LF_OK_(lf_pool_producer_detach(pool_test_attach_producer(f->context, 14, 0)));
  usleep(200000); /* a consumer still holds it: it stays */
  assert_true(pool_test_count_entries(dir) >= 1);
  const uint64_t retired_epoch = pool_test_counters(consumer).epoch; /* (the producer's detach: at most one more) */
  LF_OK_(lf_pool_consumer_detach(consumer));
  uint32_t count = 1;
  for (int i = 0; i < 200 && count != 0; ++i) {
    usleep(10000);
    LF_OK_(lf_pool_list_streams(f->context, NULL, 0, &count));
  }
  assert_int_equal(count, 0);
  assert_int_equal(pool_test_count_entries(dir), -1); /* its directory is gone */
  consumer = attach_consumer(f, 14, 0); /* and it comes back on demand */
  /* at an epoch it never had (the spec: epochs never repeat for a stream id; it once restarted at 1) */
  assert_true(pool_test_counters(consumer).epoch > retired_epoch + 1);
  LF_OK_(lf_pool_consumer_detach(consumer));
  LF_OK_(lf_pool_driver_destroy(driver));
}

/* A driver killed with its producer leaves epochs, its socket, token and lock behind; the next
 * driver removes the epochs whose producer is gone at once, gives the stream an epoch it never
 * had, and a clean stop of that driver leaves nothing at all in the user directory. */
static void a_clean_driver_leaves_nothing_and_cleans_what_a_killed_one_left(void **state) {
  fixture_t *f = *state;
  char user_dir[512], stream_dir[600];
  snprintf(user_dir, sizeof user_dir, "%s/lavaflow-%u", f->base, (unsigned)geteuid());
  snprintf(stream_dir, sizeof stream_dir, "%s/default/3", user_dir);
  helper_t killed = spawn_helper(f, "producer", 3, 1, NULL); /* with its embedded driver */
  kill_helper(f, killed);
  assert_true(pool_test_count_entries(stream_dir) >= 1); /* left behind */
  assert_true(pool_test_count_entries(user_dir) >= 3);   /* lock, socket, token, namespace */
  lf_pool_driver_t *driver = pool_test_driver(f->context, NULL);
  assert_int_equal(pool_test_count_entries(stream_dir), -1); /* its producer is gone: so is the epoch */
  lf_pool_producer_t *producer = pool_test_attach_producer(f->context, 3, 0);
  assert_true(pool_test_producer_epoch(producer) > killed.epoch);
  LF_OK_(lf_pool_producer_detach(producer));
  LF_OK_(lf_pool_driver_destroy(driver));
  assert_int_equal(pool_test_count_entries(user_dir), 0); /* no lock, socket, token, stream or epoch */
}

static void quotas_refuse_with_a_clear_status(void **state) {
  fixture_t *f = *state;
  pool_test_driver_options_t o = {.max_streams = 2};
  lf_pool_driver_t *driver = pool_test_driver(f->context, &o);
  lf_pool_consumer_t *a = attach_consumer(f, 1, 0);
  lf_pool_consumer_t *b = attach_consumer(f, 2, 0);
  lf_pool_consumer_params_t p = pool_test_consumer_params(LF_POOL_MODE_STREAM);
  lf_pool_consumer_t *c = NULL;
  LF_EXPECT(LF_ERR_LIMIT, lf_pool_consumer_attach(f->context, 3, &p, &c));
  LF_EXPECT_MESSAGE("max_streams_per_uid");
  LF_OK_(lf_pool_consumer_detach(a));
  LF_OK_(lf_pool_consumer_detach(b));
  LF_OK_(lf_pool_driver_destroy(driver));
  /* Bytes: one epoch of the small profile is about 70 KiB; a second one does not fit in 100 KiB. */
  pool_test_driver_options_t bytes = {.max_bytes = 100 * 1024};
  driver = pool_test_driver(f->context, &bytes);
  LF_OK_(lf_pool_consumer_attach(f->context, 9, &p, &c));
  lf_pool_producer_params_t pp = pool_test_producer_params();
  lf_pool_producer_t *producer = NULL;
  LF_EXPECT(LF_ERR_LIMIT, lf_pool_producer_attach(f->context, 9, &pp, &producer));
  LF_EXPECT_MESSAGE("max_bytes_per_uid");
  LF_OK_(lf_pool_consumer_detach(c));
  LF_OK_(lf_pool_driver_destroy(driver));
}

static void huge_pages_are_honoured_or_refused(void **state) {
  fixture_t *f = *state;
  lf_pool_driver_t *driver = pool_test_driver(f->context, NULL);
  lf_pool_producer_params_t p = pool_test_producer_params();
  p.field_mask |= LF_POOL_PRODUCER_PARAM_FIELD_REQUIRE_HUGEPAGES;
  p.require_hugepages = 1;
  lf_pool_producer_t *producer = NULL;
  lf_status_t s = lf_pool_producer_attach(f->context, 1, &p, &producer);
  if (s == LF_OK) {
    LF_OK_(lf_pool_producer_detach(producer));
  } else {
    /* /dev/shm without huge=always|within_size: refused, with the reason, never downgraded. */
    LF_EXPECT(LF_ERR_UNSUPPORTED, s);
    LF_EXPECT_MESSAGE("require_hugepages: ");
    assert_null(producer);
  }
  LF_OK_(lf_pool_driver_destroy(driver));
}

static void the_shutdown_request_needs_the_token(void **state) {
  fixture_t *f = *state;
  lf_pool_driver_t *driver = pool_test_driver(f->context, NULL);
  char path[512];
  snprintf(path, sizeof path, "%s/lavaflow-%u/pool-driver.token", f->base, (unsigned)geteuid());
  FILE *file = fopen(path, "r");
  assert_non_null(file);
  char token[80] = {0};
  assert_non_null(fgets(token, sizeof token, file));
  fclose(file);
  assert_int_equal(strlen(token), 65);
  /* A wrong token is refused and the driver keeps serving. */
  file = fopen(path, "w");
  fputs("00000000000000000000000000000000000000000000000000000000000000ff\n", file);
  fclose(file);
  LF_EXPECT(LF_ERR_PERMISSION, lf_pool_driver_request_shutdown(f->context, 2000));
  LF_EXPECT(LF_TIMEOUT, lf_pool_driver_wait(driver, 50));
  file = fopen(path, "w");
  fputs(token, file);
  fclose(file);
  LF_OK_(lf_pool_driver_request_shutdown(f->context, 2000));
  LF_OK_(lf_pool_driver_wait(driver, 5000));
  LF_EXPECT(LF_ERR_NOT_FOUND, lf_pool_driver_request_shutdown(f->context, 2000));
  LF_OK_(lf_pool_driver_destroy(driver));
}

int main(void) {
  lf_test_reset_environment();
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(a_killed_producer_loses_its_lease_at_once, setup, teardown),
      cmocka_unit_test_setup_teardown(a_killed_consumer_changes_nothing_for_the_producer, setup, teardown),
      cmocka_unit_test_setup_teardown(a_producer_that_stops_its_keepalives_expires, setup, teardown),
      cmocka_unit_test_setup_teardown(a_driver_restart_bumps_the_epoch_and_clients_reattach, setup, teardown),
      cmocka_unit_test_setup_teardown(the_next_driver_takes_over_when_an_embedded_one_dies, setup, teardown),
      cmocka_unit_test_setup_teardown(garbage_collection_keeps_two_epochs, setup, teardown),
      cmocka_unit_test_setup_teardown(a_producer_with_another_layout_starts_an_epoch_of_that_layout, setup, teardown),
      cmocka_unit_test_setup_teardown(consumers_beyond_the_table_still_attach, setup, teardown),
      cmocka_unit_test_setup_teardown(a_stream_nobody_leases_is_retired, setup, teardown),
      cmocka_unit_test_setup_teardown(a_clean_driver_leaves_nothing_and_cleans_what_a_killed_one_left, setup, teardown),
      cmocka_unit_test_setup_teardown(quotas_refuse_with_a_clear_status, setup, teardown),
      cmocka_unit_test_setup_teardown(huge_pages_are_honoured_or_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(the_shutdown_request_needs_the_token, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
