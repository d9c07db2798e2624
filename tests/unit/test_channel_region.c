/* A channel region handed over by a creator that is broken or hostile: the test plays the
 * creator itself, speaking the handshake and region layout of docs/wire-formats.md, and the
 * opener must refuse every bad region before using it — and notice a ring corrupted later. */
#define _GNU_SOURCE
#include "blob_edit.h"
#include "lf_test.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define CAPACITY 4096u
#define REGION_BYTES (4096u + (4096u + CAPACITY))
#define RING0 4096u

static char *g_base;
static lf_context_t *g_context;

typedef struct {
  char name[64];
  int listen_fd;
  int region_fd;      /* sent with the reply */
  int seal;           /* seal the memfd's size */
  uint32_t status;    /* the reply's status (0: LF_OK) */
  uint8_t *region;    /* our mapping */
} FakeCreator;

/* A valid region for one producer, consumer and slot 0 claimed as the real creator would. */
static uint8_t *make_region(int *out_fd, int seal) {
  int fd = memfd_create("fake-region", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  assert_true(fd >= 0);
  assert_int_equal(ftruncate(fd, REGION_BYTES), 0);
  if (seal) assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
  uint8_t *r = mmap(NULL, REGION_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  assert_true(r != MAP_FAILED);
  blob_put64(r + 0, 0x314C4E4148434C46ull); /* the bytes "FLCHANL1" */
  blob_put32(r + 8, 1);                     /* layout version */
  blob_put32(r + 12, 4096);                 /* header bytes */
  blob_put64(r + 16, REGION_BYTES);
  blob_put64(r + 24, CAPACITY);
  blob_put64(r + 32, 1024);                 /* max message */
  blob_put32(r + 48, 1);                    /* producers */
  *out_fd = fd;
  return r;
}

static void start(FakeCreator *f) {
  static int counter;
  snprintf(f->name, sizeof f->name, "fake-%d", ++counter);
  char path[700];
  snprintf(path, sizeof path, "%s/lavaflow-%u", g_base, geteuid());
  mkdir(path, 0700);
  strcat(path, "/channels");
  mkdir(path, 0700);
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  int n = snprintf(address.sun_path, sizeof address.sun_path, "%s/%s", path, f->name);
  assert_true(n > 0 && (size_t)n < sizeof address.sun_path);
  f->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  assert_int_equal(bind(f->listen_fd, (struct sockaddr *)&address, sizeof address), 0);
  assert_int_equal(listen(f->listen_fd, 1), 0);
  f->region = make_region(&f->region_fd, f->seal);
}

/* Serves one opener: reads its hello, replies OK with slot 0 and the region fd. The reply's
 * layout (docs/wire-formats.md): magic "LFHS", version u16, kind u16 (2), status u32, slot u32,
 * scope u32, identity length u32, identity, message length u32, message. */
static void *serve(void *arg) {
  FakeCreator *f = arg;
  int fd = accept(f->listen_fd, NULL, NULL);
  uint8_t hello[40000];
  if (recv(fd, hello, sizeof hello, 0) < 12) return NULL;
  static uint8_t reply[40000];
  size_t identity_size = 0;
  lf_identity_t *me = NULL;
  lf_identity_create(g_context, NULL, &me);
  lf_identity_serialize(me, reply + 24, sizeof reply - 32, &identity_size);
  lf_identity_destroy(me);
  memcpy(reply, "LFHS", 4);
  blob_put16(reply + 4, 1);
  blob_put16(reply + 6, 2);
  blob_put32(reply + 8, f->status);
  blob_put32(reply + 12, 0);
  blob_put32(reply + 16, LF_SCOPE_NUMA);
  blob_put32(reply + 20, (uint32_t)identity_size);
  blob_put32(reply + 24 + identity_size, 0);
  struct iovec iov = {reply, 28 + identity_size};
  char control[CMSG_SPACE(sizeof(int))];
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &f->region_fd, sizeof(int));
  sendmsg(fd, &msg, 0);
  /* keep the connection open while the test runs: its hang-up would mean "creator died" */
  char byte;
  (void)!recv(fd, &byte, 1, 0);
  close(fd);
  return NULL;
}

static lf_status_t open_from(FakeCreator *f, int32_t role, lf_channel_t **out, pthread_t *thread) {
  assert_int_equal(pthread_create(thread, NULL, serve, f), 0);
  lf_channel_params_t params = {.field_mask = LF_CHANNEL_PARAM_FIELD_ROLE, .role = role};
  return lf_channel_open(g_context, f->name, &params, out);
}

static void finish(FakeCreator *f, pthread_t thread, lf_channel_t *channel) {
  lf_channel_destroy(channel); /* closes our end of the connection: the server returns */
  pthread_join(thread, NULL);
  munmap(f->region, REGION_BYTES);
  close(f->region_fd);
  close(f->listen_fd);
}

typedef void (*Break)(uint8_t *region);
static void wrong_magic(uint8_t *r) { r[0] ^= 1; }
static void wrong_version(uint8_t *r) { blob_put32(r + 8, 99); }
static void odd_capacity(uint8_t *r) { blob_put64(r + 24, 5000); }
static void wrong_size(uint8_t *r) { blob_put64(r + 16, REGION_BYTES + 4096); }
static void no_producers(uint8_t *r) { blob_put32(r + 48, 0); }
static void message_too_big(uint8_t *r) { blob_put64(r + 32, CAPACITY); }

static void bad_regions_are_refused_before_use(void **state) {
  (void)state;
  struct {
    Break fault;
    lf_status_t expected;
    const char *message;
  } cases[] = {{wrong_magic, LF_ERR_CORRUPT, "not a lavaflow channel region"},
               {wrong_version, LF_ERR_VERSION_MISMATCH, "layout version 99"},
               {odd_capacity, LF_ERR_CORRUPT, "capacity 5000"},
               {wrong_size, LF_ERR_CORRUPT, "layout needs"},
               {no_producers, LF_ERR_CORRUPT, "0 producer slots"},
               {message_too_big, LF_ERR_CORRUPT, "max_message_size"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    FakeCreator f = {.seal = 1};
    start(&f);
    cases[i].fault(f.region);
    lf_channel_t *channel = NULL;
    pthread_t thread;
    LF_EXPECT(cases[i].expected, open_from(&f, LF_CHANNEL_PRODUCER, &channel, &thread));
    LF_EXPECT_MESSAGE(cases[i].message);
    assert_null(channel);
    finish(&f, thread, NULL);
  }
  /* a region whose size is not sealed could be truncated under us: refused */
  FakeCreator f = {.seal = 0};
  start(&f);
  lf_channel_t *channel = NULL;
  pthread_t thread;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, open_from(&f, LF_CHANNEL_PRODUCER, &channel, &thread));
  LF_EXPECT_MESSAGE("not sealed");
  finish(&f, thread, NULL);
}

static void a_ring_corrupted_later_is_noticed(void **state) {
  (void)state;
  /* an impossible head seen by a producer */
  FakeCreator f = {.seal = 1};
  start(&f);
  blob_put32(f.region + 64, 1);          /* consumer attached */
  blob_put32(f.region + RING0 + 128, 1); /* slot 0 claimed for the opener */
  lf_channel_t *producer = NULL;
  pthread_t thread;
  LF_OK_(open_from(&f, LF_CHANNEL_PRODUCER, &producer, &thread));
  char message[500] = {0};
  while (lf_channel_send(producer, message, sizeof message, 0) == LF_OK) {
  }
  uint64_t tail = blob_get64(f.region + RING0);
  blob_put64(f.region + RING0 + 64, tail + 8); /* head beyond tail */
  LF_EXPECT(LF_ERR_CORRUPT, lf_channel_send(producer, message, sizeof message, 0));
  LF_EXPECT_MESSAGE("corrupt");
  finish(&f, thread, producer);

  /* an impossible record seen by a consumer */
  FakeCreator g = {.seal = 1};
  start(&g);
  blob_put32(g.region + RING0 + 128, 1); /* the fake is producer 0 */
  blob_put32(g.region + 76, 1);          /* one producer attached */
  lf_channel_t *consumer = NULL;
  LF_OK_(open_from(&g, LF_CHANNEL_CONSUMER, &consumer, &thread));
  uint8_t *data = g.region + RING0 + 4096;
  blob_put32(data + 8, 2000); /* a 2000-byte record: more than max_message (1024) */
  blob_put16(data + 12, 1);
  blob_put64(data, 0 + 1); /* commit word: position 0, plus one (publishes it) */
  char buffer[2048];
  size_t size = 0;
  LF_EXPECT(LF_ERR_CORRUPT, lf_channel_recv(consumer, buffer, sizeof buffer, &size, 0));
  finish(&g, thread, consumer);
}

/* Ring control (docs/wire-formats.md): tail at +0, head at +64, the producer's state at +128. */
enum { RING_TAIL = RING0, RING_HEAD = RING0 + 64, RING_STATE = RING0 + 128 };

/* Shared ring indices a peer wrote: each impossible pair is refused when the ring is taken
 * over, before anything is written through it (a tail of capacity - 3 once put the next record
 * header past the ring, past the end of the mapping). */
static void impossible_ring_indices_are_refused_on_attach(void **state) {
  (void)state;
  struct {
    uint64_t head, tail;
    int32_t role;
  } cases[] = {{0, CAPACITY - 3, LF_CHANNEL_PRODUCER},   /* tail near the end, off a record boundary */
               {0, 8, LF_CHANNEL_PRODUCER},              /* tail off a record boundary */
               {32, 16, LF_CHANNEL_PRODUCER},            /* head beyond tail */
               {0, CAPACITY + 16, LF_CHANNEL_PRODUCER},  /* more than the ring holds */
               {8, 16, LF_CHANNEL_CONSUMER},             /* head off a record boundary */
               {16, 0, LF_CHANNEL_CONSUMER},             /* head beyond tail */
               {UINT64_MAX - 15, 0, LF_CHANNEL_CONSUMER}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    FakeCreator f = {.seal = 1};
    start(&f);
    if (cases[i].role == LF_CHANNEL_PRODUCER) {
      blob_put32(f.region + 64, 1);         /* consumer attached */
      blob_put32(f.region + RING_STATE, 1); /* slot 0 claimed for the opener */
    } else {
      blob_put32(f.region + RING_STATE, 1); /* the fake is producer 0 */
      blob_put32(f.region + 76, 1);
    }
    blob_put64(f.region + RING_HEAD, cases[i].head);
    blob_put64(f.region + RING_TAIL, cases[i].tail);
    lf_channel_t *channel = NULL;
    pthread_t thread;
    LF_EXPECT(LF_ERR_CORRUPT, open_from(&f, cases[i].role, &channel, &thread));
    LF_EXPECT_MESSAGE("impossible indices");
    assert_null(channel);
    finish(&f, thread, NULL);
  }
}

/* A head moved off a record boundary while the producer waits for room: refused as corrupt,
 * and the end stays dead (its peers hear so) even when the head looks right again. */
static void a_corrupt_ring_kills_the_end_for_good(void **state) {
  (void)state;
  FakeCreator f = {.seal = 1};
  start(&f);
  blob_put32(f.region + 64, 1);
  blob_put32(f.region + RING_STATE, 1);
  lf_channel_t *producer = NULL;
  pthread_t thread;
  LF_OK_(open_from(&f, LF_CHANNEL_PRODUCER, &producer, &thread));
  char message[500] = {0};
  while (lf_channel_send(producer, message, sizeof message, 0) == LF_OK) {
  }
  const uint64_t tail = blob_get64(f.region + RING_TAIL);
  blob_put64(f.region + RING_HEAD, tail - 8); /* in range, but inside a record */
  LF_EXPECT(LF_ERR_CORRUPT, lf_channel_send(producer, message, sizeof message, 0));
  LF_EXPECT_MESSAGE("impossible");
  assert_int_equal(blob_get32(f.region + RING_STATE), 3); /* kDead: the consumer stops waiting */
  blob_put64(f.region + RING_HEAD, tail);                  /* everything consumed, it seems */
  LF_EXPECT(LF_ERR_CORRUPT, lf_channel_send(producer, message, sizeof message, 0));
  void *slot = NULL;
  LF_EXPECT(LF_ERR_CORRUPT, lf_channel_reserve(producer, 16, 0, &slot));
  finish(&f, thread, producer);
}

/* A creator's reply whose status is not LF_OK nor one of lavaflow's errors (an outcome such as
 * LF_END_OF_STREAM, a value between two errors, garbage): refused as a protocol violation,
 * with a message — it was once passed to the caller as is, with no channel and no message. */
static void a_reply_status_that_is_no_error_is_refused(void **state) {
  (void)state;
  const uint32_t statuses[] = {1, 3, 0x7fffffff, (uint32_t)-30, (uint32_t)-999};
  for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; ++i) {
    FakeCreator f = {.seal = 1, .status = statuses[i]};
    start(&f);
    lf_channel_t *channel = NULL;
    pthread_t thread;
    LF_EXPECT(LF_ERR_PROTOCOL, open_from(&f, LF_CHANNEL_PRODUCER, &channel, &thread));
    LF_EXPECT_MESSAGE("neither LF_OK nor a lavaflow error");
    assert_null(channel);
    finish(&f, thread, NULL);
  }
  /* a real refusal passes on, with the creator's reason */
  FakeCreator f = {.seal = 1, .status = (uint32_t)LF_ERR_BUSY};
  start(&f);
  lf_channel_t *channel = NULL;
  pthread_t thread;
  LF_EXPECT(LF_ERR_BUSY, open_from(&f, LF_CHANNEL_PRODUCER, &channel, &thread));
  LF_EXPECT_MESSAGE("refused us");
  finish(&f, thread, NULL);
}

static int setup(void **state) {
  (void)state;
  g_base = lf_test_temp_dir();
  lf_context_params_t params = {.field_mask = LF_CONTEXT_PARAM_FIELD_BASE_DIR | LF_CONTEXT_PARAM_FIELD_FLAGS,
                                .base_dir = g_base, .flags = LF_CONTEXT_FLAG_IGNORE_ENVIRONMENT};
  LF_OK_(lf_context_create(&params, &g_context));
  return 0;
}

static int teardown(void **state) {
  (void)state;
  lf_context_destroy(g_context);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_base);
  return system(cmd);
}

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(bad_regions_are_refused_before_use),
      cmocka_unit_test(a_ring_corrupted_later_is_noticed),
      cmocka_unit_test(impossible_ring_indices_are_refused_on_attach),
      cmocka_unit_test(a_corrupt_ring_kills_the_end_for_good),
      cmocka_unit_test(a_reply_status_that_is_no_error_is_refused),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
