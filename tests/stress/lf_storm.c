/* A crash storm (docs/reliability.md, "Crash storms"): tensor-pool producers and consumers and
 * shared-memory channel endpoints run under load while a random one of them is killed with
 * SIGKILL every few hundred milliseconds and started again. Every frame and message carries a
 * checksum that its reader verifies. At the end every process is stopped cleanly and the base
 * directory must hold nothing but lavaflow's two fixed directories.
 *
 *   lf_storm KILLS [SEED]                 the storm: prints a table; exit 0 when it held
 *   lf_storm worker ROLE BASE STATS SLOT  one process of it (started by the storm)
 *
 * Roles: pool-producer (stream 1, may start the driver embedded), pool-consumer (STREAM mode),
 * channel-consumer (creates channel "storm", two producer slots), channel-producer. Public API
 * only. A worker keeps its counters in its slot of the STATS file (a shared mapping), updated
 * as it goes, so that a killed worker's counts are not lost. */
#define _GNU_SOURCE
#include <lavaflow/lavaflow.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { FRAME_BYTES = 1024, MESSAGE_MAX = 1024, WORKERS = 6, START_LIMIT_S = 20 };

/* One worker's counters: written by the worker only, read by the storm. */
typedef struct {
  _Atomic uint64_t accepted;     /* frames or messages read intact (consumers) */
  _Atomic uint64_t bad;          /* read as intact, checksum wrong: must stay 0 */
  _Atomic uint64_t late;         /* frames lavaflow reported overwritten while read */
  _Atomic uint64_t started_ns;   /* how long it took to attach / open (the last time) */
  _Atomic uint64_t ready;        /* 1 once attached / open */
  _Atomic uint64_t epochs;       /* epoch changes a consumer followed */
  _Atomic uint64_t peer_deaths;  /* LF_ERR_PEER_DEAD seen (a channel end) */
  _Atomic uint64_t sent;         /* frames or messages published (producers) */
} Stats;

static const char *const g_roles[WORKERS] = {"pool-producer", "pool-consumer", "pool-consumer",
                                             "channel-consumer", "channel-producer", "channel-producer"};

static volatile sig_atomic_t g_stop;
static void on_term(int signal_number) {
  (void)signal_number;
  g_stop = 1;
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* FNV-1a over `n` bytes: the checksum every payload ends with. */
static uint64_t fnv(const uint8_t *p, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

/* Fills `n` bytes (n >= 16): a tag, pseudo-random bytes from it, the checksum last. */
static void fill(uint8_t *p, size_t n, uint64_t tag) {
  memcpy(p, &tag, 8);
  uint64_t x = tag * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 8; i < n - 8; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    p[i] = (uint8_t)x;
  }
  const uint64_t sum = fnv(p, n - 8);
  memcpy(p + n - 8, &sum, 8);
}

static int intact(const uint8_t *p, size_t n) {
  if (n < 16) return 0;
  uint64_t sum;
  memcpy(&sum, p + n - 8, 8);
  return sum == fnv(p, n - 8);
}

static lf_context_t *context_on(const char *base) {
  lf_context_params_t params = {.field_mask = LF_CONTEXT_PARAM_FIELD_BASE_DIR | LF_CONTEXT_PARAM_FIELD_FLAGS,
                                .base_dir = base, .flags = LF_CONTEXT_FLAG_IGNORE_ENVIRONMENT};
  lf_context_t *ctx = NULL;
  if (lf_context_create(&params, &ctx) != LF_OK) {
    fprintf(stderr, "storm worker: context: %s\n", lf_last_error_message());
    exit(3);
  }
  return ctx;
}

/* Retries `call` until it gives LF_OK or START_LIMIT_S pass; records how long the start took. */
#define START(stats, call)                                                                      \
  do {                                                                                          \
    const uint64_t begin_ = now_ns();                                                           \
    lf_status_t status_;                                                                        \
    while ((status_ = (call)) != LF_OK) {                                                       \
      if (g_stop) return 0;                                                                     \
      if (now_ns() - begin_ > (uint64_t)START_LIMIT_S * 1000000000ull) {                        \
        fprintf(stderr, "storm worker: no start in %d s: %s\n", START_LIMIT_S, lf_last_error_message()); \
        return 4;                                                                               \
      }                                                                                         \
      usleep(5000);                                                                             \
    }                                                                                           \
    atomic_store(&(stats)->started_ns, now_ns() - begin_);                                      \
    atomic_store(&(stats)->ready, 1);                                                           \
  } while (0)

static int pool_producer(lf_context_t *ctx, Stats *st) {
  lf_pool_producer_params_t p = {.field_mask = LF_POOL_PRODUCER_PARAM_FIELD_START_DRIVER | LF_POOL_PRODUCER_PARAM_FIELD_CLIENT_ID,
                                 .start_driver = 1, .client_id = ((uint64_t)getpid() << 16) | 1};
  lf_pool_producer_t *producer = NULL;
  START(st, lf_pool_producer_attach(ctx, 1, &p, &producer));
  const uint64_t incarnation = (uint64_t)getpid() << 32;
  for (uint64_t n = 0; !g_stop; ++n) {
    void *payload = NULL;
    if (lf_pool_producer_claim(producer, FRAME_BYTES, &payload) == LF_OK) {
      fill(payload, FRAME_BYTES, incarnation | n);
      lf_pool_tensor_t t = {.dtype = LF_DTYPE_UINT8, .major_order = LF_ORDER_ROW, .ndims = 1, .dims = {FRAME_BYTES}};
      if (lf_pool_producer_commit(producer, &t, FRAME_BYTES) == LF_OK) atomic_fetch_add(&st->sent, 1);
    }
    usleep(300);
  }
  lf_pool_producer_detach(producer);
  return 0;
}

static int pool_consumer(lf_context_t *ctx, Stats *st) {
  lf_pool_consumer_params_t p = {.field_mask = LF_POOL_CONSUMER_PARAM_FIELD_START_DRIVER | LF_POOL_CONSUMER_PARAM_FIELD_MODE,
                                 .start_driver = 1, .mode = LF_POOL_MODE_STREAM};
  lf_pool_consumer_t *consumer = NULL;
  START(st, lf_pool_consumer_attach(ctx, 1, &p, &consumer));
  while (!g_stop) {
    lf_pool_view_t v = {.struct_size = sizeof v};
    if (lf_pool_consumer_wait(consumer, &v, 50000000) != LF_OK) continue;
    const int good = v.bytes == FRAME_BYTES && intact(v.payload, v.bytes);
    const lf_status_t released = lf_pool_consumer_release(consumer);
    if (released == LF_OVERWRITTEN) {
      atomic_fetch_add(&st->late, 1);  /* lavaflow said so: not accepted */
    } else if (released == LF_OK) {
      atomic_fetch_add(good ? &st->accepted : &st->bad, 1);
      if (!good) fprintf(stderr, "storm: a torn frame was accepted (seq %llu)\n", (unsigned long long)v.seq);
    }
    lf_pool_counters_t c = {.struct_size = sizeof c};
    if (lf_pool_consumer_get_counters(consumer, &c) == LF_OK) atomic_store(&st->epochs, c.epoch_changes);
  }
  lf_pool_consumer_detach(consumer);
  return 0;
}

static lf_channel_params_t channel_params(int32_t role) {
  lf_channel_params_t p = {.field_mask = LF_CHANNEL_PARAM_FIELD_ROLE | LF_CHANNEL_PARAM_FIELD_CAPACITY |
                                         LF_CHANNEL_PARAM_FIELD_MAX_PRODUCERS | LF_CHANNEL_PARAM_FIELD_MAX_MESSAGE_SIZE |
                                         LF_CHANNEL_PARAM_FIELD_CONNECT_TIMEOUT,
                           .role = role, .capacity = 65536, .max_producers = 2, .max_message_size = MESSAGE_MAX,
                           .connect_timeout_ms = 0};
  return p;
}

static int channel_consumer(lf_context_t *ctx, Stats *st) {
  lf_channel_params_t p = channel_params(LF_CHANNEL_CONSUMER);
  lf_channel_t *channel = NULL;
  START(st, lf_channel_create(ctx, "storm", &p, &channel));
  uint8_t message[MESSAGE_MAX];
  for (;;) {
    size_t size = 0;
    const lf_status_t status = lf_channel_recv(channel, message, sizeof message, &size, 50);
    if (g_stop && status != LF_OK) break;  /* (stopped: what the ring still held is read first) */
    if (status == LF_OK) {
      atomic_fetch_add(intact(message, size) ? &st->accepted : &st->bad, 1);
      if (!intact(message, size)) fprintf(stderr, "storm: a torn message was accepted (%zu bytes)\n", size);
    } else if (status == LF_ERR_PEER_DEAD) {
      atomic_fetch_add(&st->peer_deaths, 1);
      usleep(10000);  /* (every producer is gone: the next ones come in their own time) */
    } else if (status == LF_END_OF_STREAM) {
      usleep(10000);
    }
  }
  lf_channel_destroy(channel);
  return 0;
}

static int channel_producer(lf_context_t *ctx, Stats *st) {
  uint8_t message[MESSAGE_MAX];
  const uint64_t incarnation = (uint64_t)getpid() << 32;
  uint64_t n = 0;
  while (!g_stop) {
    lf_channel_params_t p = channel_params(LF_CHANNEL_PRODUCER);
    lf_channel_t *channel = NULL;
    START(st, lf_channel_open(ctx, "storm", &p, &channel));  /* (a slot held by a dead producer comes back) */
    while (!g_stop) {
      const size_t size = 16 + (size_t)((n * 2654435761u) % (MESSAGE_MAX - 16));
      fill(message, size, incarnation | n);
      const lf_status_t status = lf_channel_send(channel, message, size, 50);
      if (status == LF_OK) {
        ++n;
        atomic_fetch_add(&st->sent, 1);
      } else if (status != LF_TIMEOUT) {  /* the consumer died or closed: open again */
        if (status == LF_ERR_PEER_DEAD) atomic_fetch_add(&st->peer_deaths, 1);
        break;
      }
    }
    lf_channel_destroy(channel);
  }
  return 0;
}

static int worker(const char *role, const char *base, const char *stats_path, int slot) {
  signal(SIGTERM, on_term);
  signal(SIGPIPE, SIG_IGN);
  int fd = open(stats_path, O_RDWR | O_CLOEXEC);
  Stats *all = fd >= 0 ? mmap(NULL, sizeof(Stats) * WORKERS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
  if (all == MAP_FAILED) return 3;
  Stats *st = &all[slot];
  lf_context_t *ctx = context_on(base);
  int rc = 2;
  if (strcmp(role, "pool-producer") == 0) rc = pool_producer(ctx, st);
  if (strcmp(role, "pool-consumer") == 0) rc = pool_consumer(ctx, st);
  if (strcmp(role, "channel-consumer") == 0) rc = channel_consumer(ctx, st);
  if (strcmp(role, "channel-producer") == 0) rc = channel_producer(ctx, st);
  lf_context_destroy(ctx);
  return rc;
}

/* ---- the storm ------------------------------------------------------------------------- */

/* Per kind: [0] the tensor pool (slots 0-2), [1] the channel (slots 3-5). */
typedef struct {
  uint64_t accepted[2], bad[2], late[2], sent[2];
  uint64_t epochs, peer_deaths;
  uint64_t starts[2], start_total_ns[2], start_max_ns[2];  /* restarts after a kill: how long they took */
  uint64_t kills;
} Tally;

static int kind_of(int slot) { return slot < 3 ? 0 : 1; }

static char g_self[4096];
static char g_base[256], g_stats[300];
static Stats *g_all;
static pid_t g_pids[WORKERS];

static pid_t start(int slot) {
  memset(&g_all[slot], 0, sizeof g_all[slot]);
  pid_t pid = fork();
  if (pid == 0) {
    char slot_text[8];
    snprintf(slot_text, sizeof slot_text, "%d", slot);
    execl(g_self, "lf_storm", "worker", g_roles[slot], g_base, g_stats, slot_text, (char *)NULL);
    _exit(127);
  }
  return pid;
}

/* Adds a finished worker's counts to the tally. */
static void take(Tally *t, int slot) {
  Stats *s = &g_all[slot];
  const int k = kind_of(slot);
  t->accepted[k] += atomic_load(&s->accepted);
  t->bad[k] += atomic_load(&s->bad);
  t->late[k] += atomic_load(&s->late);
  t->sent[k] += atomic_load(&s->sent);
  t->epochs += atomic_load(&s->epochs);
  t->peer_deaths += atomic_load(&s->peer_deaths);
}

static int wait_started(Tally *t, int slot) {
  const uint64_t begin = now_ns();
  while (!atomic_load(&g_all[slot].ready)) {
    int status;
    if (waitpid(g_pids[slot], &status, WNOHANG) == g_pids[slot]) {
      fprintf(stderr, "storm: %s exited (status %d) before it started\n", g_roles[slot], status);
      return 0;
    }
    if (now_ns() - begin > (uint64_t)(START_LIMIT_S + 5) * 1000000000ull) {
      fprintf(stderr, "storm: %s did not start within %d s\n", g_roles[slot], START_LIMIT_S + 5);
      return 0;
    }
    usleep(2000);
  }
  const uint64_t took = atomic_load(&g_all[slot].started_ns);
  const int k = kind_of(slot);
  ++t->starts[k];
  t->start_total_ns[k] += took;
  if (took > t->start_max_ns[k]) t->start_max_ns[k] = took;
  return 1;
}

/* Files and directories left under the base directory, but lavaflow-<uid>/ and its channels/. */
static int leftovers(const char *dir, int depth) {
  DIR *d = opendir(dir);
  if (d == NULL) return 0;
  int count = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || strcmp(e->d_name, "stats") == 0) continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    const int fixed = (depth == 0 && strncmp(e->d_name, "lavaflow-", 9) == 0) || (depth == 1 && strcmp(e->d_name, "channels") == 0);
    if (!fixed) {
      fprintf(stderr, "storm: left behind: %s\n", path);
      ++count;
    }
    if (e->d_type == DT_DIR) count += leftovers(path, depth + 1);
  }
  closedir(d);
  return count;
}

static int storm(int kills, unsigned seed) {
  if (readlink("/proc/self/exe", g_self, sizeof g_self - 1) < 0) return 2;
  snprintf(g_base, sizeof g_base, "/dev/shm/lf-storm-XXXXXX");
  if (mkdtemp(g_base) == NULL) return 2;
  snprintf(g_stats, sizeof g_stats, "%s/stats", g_base);
  int fd = open(g_stats, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || ftruncate(fd, sizeof(Stats) * WORKERS) != 0) return 2;
  g_all = mmap(NULL, sizeof(Stats) * WORKERS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (g_all == MAP_FAILED) return 2;
  srand(seed);
  Tally t = {0};
  int ok = 1;
  const uint64_t begin = now_ns();
  for (int slot = 0; slot < WORKERS; ++slot) {
    g_pids[slot] = start(slot);
    usleep(50000);
  }
  for (int slot = 0; slot < WORKERS && ok; ++slot) ok = wait_started(&t, slot);
  memset(t.starts, 0, sizeof t.starts);  /* (only restarts after kills count) */
  memset(t.start_total_ns, 0, sizeof t.start_total_ns);
  memset(t.start_max_ns, 0, sizeof t.start_max_ns);
  uint64_t killed_by_role[WORKERS] = {0};
  for (int k = 0; k < kills && ok; ++k) {
    usleep(150000 + (useconds_t)(rand() % 300000));
    const int slot = rand() % WORKERS;
    kill(g_pids[slot], SIGKILL);
    waitpid(g_pids[slot], NULL, 0);
    take(&t, slot);
    ++t.kills;
    ++killed_by_role[slot];
    g_pids[slot] = start(slot);
    ok = wait_started(&t, slot);
  }
  usleep(500000);
  /* The end: every process stops cleanly (the channel's creator last). */
  for (int slot = 0; slot < WORKERS; ++slot) {
    if (slot == 3) continue;
    kill(g_pids[slot], SIGTERM);
    int status = 0;
    waitpid(g_pids[slot], &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "storm: %s did not stop cleanly (status %d)\n", g_roles[slot], status);
      ok = 0;
    }
    take(&t, slot);
  }
  kill(g_pids[3], SIGTERM);
  waitpid(g_pids[3], NULL, 0);
  take(&t, 3);
  const double seconds = (double)(now_ns() - begin) / 1e9;
  const int left = leftovers(g_base, 0);
  printf("crash storm: %llu kills in %.1f s (seed %u)\n", (unsigned long long)t.kills, seconds, seed);
  printf("  killed:                 pool producer %llu, pool consumers %llu, channel consumer %llu, channel producers %llu\n",
         (unsigned long long)killed_by_role[0], (unsigned long long)(killed_by_role[1] + killed_by_role[2]),
         (unsigned long long)killed_by_role[3], (unsigned long long)(killed_by_role[4] + killed_by_role[5]));
  const char *const kinds[2] = {"tensor pool frames", "channel messages"};
  for (int k = 0; k < 2; ++k)
    printf("  %-22s  %llu published, %llu read intact, %llu torn or wrong accepted, %llu reported overwritten\n", kinds[k],
           (unsigned long long)t.sent[k], (unsigned long long)t.accepted[k], (unsigned long long)t.bad[k],
           (unsigned long long)t.late[k]);
  const char *const restarts[2] = {"pool restarts", "channel restarts"};
  for (int k = 0; k < 2; ++k)
    printf("  %-22s  %llu after a kill, started in %.1f ms on average, %.1f ms at most \n",
           restarts[k], (unsigned long long)t.starts[k],
           t.starts[k] ? (double)t.start_total_ns[k] / (double)t.starts[k] / 1e6 : 0.0, (double)t.start_max_ns[k] / 1e6);
  /* Messages still in the ring when its consumer was killed go with it (the ring lives in the
   * consumer's region); every other published message must have been read. */
  const uint64_t lost = t.sent[1] > t.accepted[1] ? t.sent[1] - t.accepted[1] : 0;
  printf("  channel messages lost   %llu, with the rings of %llu killed consumers\n", (unsigned long long)lost,
         (unsigned long long)killed_by_role[3]);
  printf("  epoch changes followed: %llu;  channel peer deaths seen: %llu\n", (unsigned long long)t.epochs,
         (unsigned long long)t.peer_deaths);
  printf("  left in the base directory after the last process: %d\n", left);
  const int held = ok && t.bad[0] == 0 && t.bad[1] == 0 && left == 0 && t.accepted[0] > 0 && t.accepted[1] > 0 &&
                   (lost == 0 || killed_by_role[3] > 0);
  printf("%s\n", held ? "crash storm: held" : "crash storm: FAILED");
  char command[400];
  snprintf(command, sizeof command, "rm -rf '%s'", g_base);
  if (system(command) != 0) fprintf(stderr, "storm: could not remove %s\n", g_base);
  return held ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc == 6 && strcmp(argv[1], "worker") == 0) return worker(argv[2], argv[3], argv[4], atoi(argv[5]));
  if (argc >= 2) return storm(atoi(argv[1]), argc >= 3 ? (unsigned)strtoul(argv[2], NULL, 10) : (unsigned)time(NULL));
  fprintf(stderr, "usage: lf_storm KILLS [SEED]\n");
  return 2;
}
