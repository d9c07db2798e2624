/* The tensor pool client fails closed: a fake driver in this test, written from the tables in
 * docs/wire-formats.md ("Tensor pool driver protocol"), answers lf_pool_consumer_attach with an
 * attach response that is right, then wrong in one field at a time — every one is refused with
 * LF_ERR_PROTOCOL (LF_ERR_VERSION_MISMATCH for the version) and nothing is mapped; descriptors
 * of the wrong size, kind or contents are refused before or right after mapping. A process of
 * another uid is refused by the driver's peer-credential check, unless the driver shares itself
 * with a group the process is in. */
#define _GNU_SOURCE
#include "pool_test.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

enum { NSLOTS = 16, ENTRIES = 64, STRIDE = 256, ANNOUNCEMENT = 408, RESPONSE = 16 + 16 + ANNOUNCEMENT + 160 };

static void put16(uint8_t *at, uint16_t v) { at[0] = (uint8_t)v, at[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *at, uint32_t v) { for (int i = 0; i < 4; ++i) at[i] = (uint8_t)(v >> (8 * i)); }
static void put64(uint8_t *at, uint64_t v) { for (int i = 0; i < 8; ++i) at[i] = (uint8_t)(v >> (8 * i)); }

typedef struct fixture {
  char *base;
  char user_dir[300];
  char epoch_dir[400];
  lf_context_t *context;
  int files[3]; /* header ring, control, pool 1 */
} fixture_t;

/* A region file with its superblock (the table in wire-formats.md), 0600. */
static int region_file(fixture_t *f, const char *name, int16_t type, uint16_t pool, uint32_t nslots, uint32_t slot_bytes,
                       uint32_t stride, uint64_t size) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", f->epoch_dir, name);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  assert_true(fd >= 0);
  assert_int_equal(ftruncate(fd, (off_t)size), 0);
  uint8_t sb[64] = {0};
  put64(sb + 0, 0x544F504C53484D31ull);
  put32(sb + 8, 1);
  put64(sb + 12, 5); /* epoch */
  put32(sb + 20, 1); /* stream */
  put16(sb + 24, (uint16_t)type);
  put16(sb + 26, pool);
  put32(sb + 28, nslots);
  put32(sb + 32, slot_bytes);
  put32(sb + 36, stride);
  assert_int_equal(pwrite(fd, sb, sizeof sb, 0), sizeof sb);
  return fd;
}

static int setup(void **state) {
  fixture_t *f = calloc(1, sizeof *f);
  f->context = pool_test_context(&f->base);
  snprintf(f->user_dir, sizeof f->user_dir, "%s/lavaflow-%u", f->base, (unsigned)geteuid());
  snprintf(f->epoch_dir, sizeof f->epoch_dir, "%s/fake", f->user_dir);
  assert_int_equal(mkdir(f->user_dir, 0700), 0);
  assert_int_equal(mkdir(f->epoch_dir, 0700), 0);
  f->files[0] = region_file(f, "header.ring", 1, 0, NSLOTS, 256, 0, 64 + NSLOTS * 256);
  f->files[1] = region_file(f, "control", 3, 0, ENTRIES, 128, 0, 4096 + ENTRIES * 128);
  f->files[2] = region_file(f, "1.pool", 2, 1, NSLOTS, STRIDE, STRIDE, 64 + NSLOTS * STRIDE);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture_t *f = *state;
  for (int i = 0; i < 3; ++i) close(f->files[i]);
  LF_OK_(lf_context_destroy(f->context));
  pool_test_remove_dir(f->base);
  free(f->base);
  free(f);
  return 0;
}

/* ---- the fake driver ------------------------------------------------------------------- */

typedef enum mutation {
  NONE, MAGIC, VERSION, TYPE, LENGTH, LEASE_ZERO, EPOCH_ZERO, KEEPALIVE_ZERO, NSLOTS_3, ENTRIES_3, ENTRY_OUTSIDE,
  POOLS_ZERO, POOL_ID_16, POOL_ID_TWICE, STRIDE_100, POOL_RESERVED, EXTRA_POOL_ENTRY, HUGEPAGES_2, DIR_RELATIVE,
  DIR_UNTERMINATED, TEXT_AFTER_NUL, STATUS_UNKNOWN, REFUSAL_WITHOUT_REASON, FEWER_FDS, SWAPPED_FDS, WRONG_EPOCH_FILE,
  PIPE_FD, STATUS_POSITIVE, STATUS_IN_A_GAP, MUTATIONS
} mutation_t;

typedef struct fake {
  fixture_t *f;
  mutation_t mutation;
  int listener;
} fake_t;

static size_t attach_response(uint8_t *m, uint32_t request_id, mutation_t mut) {
  memset(m, 0, RESPONSE);
  put32(m + 0, mut == MAGIC ? 0x5054464Du : 0x5054464Cu);
  put16(m + 4, mut == VERSION ? 2 : 1);
  put16(m + 6, mut == TYPE ? 13 : 2);
  put32(m + 8, RESPONSE - 16 + (mut == LENGTH ? 8 : 0));
  put32(m + 12, request_id);
  uint8_t *b = m + 16;
  put32(b + 0, mut == STATUS_UNKNOWN      ? (uint32_t)-999
               : mut == STATUS_POSITIVE   ? (uint32_t)LF_END_OF_STREAM /* an outcome, not a refusal */
               : mut == STATUS_IN_A_GAP   ? (uint32_t)-30          /* between two defined errors */
               : mut == REFUSAL_WITHOUT_REASON ? (uint32_t)LF_ERR_BUSY
                                               : 0);
  put64(b + 8, mut == LEASE_ZERO ? 0 : 7);
  uint8_t *a = b + 16;
  put32(a + 0, 1);                                                  /* stream */
  put32(a + 4, mut == ENTRY_OUTSIDE ? ENTRIES : 0);                 /* consumer index */
  put64(a + 8, mut == EPOCH_ZERO ? 0 : 5);                          /* epoch */
  put32(a + 16, mut == KEEPALIVE_ZERO ? 0 : 1000);                  /* keepalive */
  put32(a + 20, mut == NSLOTS_3 ? 3 : NSLOTS);                      /* nslots */
  put32(a + 24, mut == ENTRIES_3 ? 3 : ENTRIES);                    /* control entries */
  a[28] = mut == POOLS_ZERO ? 0 : 1;                                /* pool count */
  a[29] = mut == HUGEPAGES_2 ? 2 : 0;
  put16(a + 32, mut == POOL_ID_16 ? 16 : 1);
  put16(a + 34, mut == POOL_RESERVED ? 1 : 0);
  put32(a + 36, mut == STRIDE_100 ? 100 : STRIDE);
  if (mut == POOL_ID_TWICE || mut == EXTRA_POOL_ENTRY) { /* a second entry: beyond pool_count, or a repeat */
    if (mut == POOL_ID_TWICE) a[28] = 2;
    put16(a + 40, 1);
    put32(a + 44, STRIDE);
  }
  char *dir = (char *)a + 32 + 15 * 8;
  if (mut == DIR_RELATIVE) snprintf(dir, 256, "relative/dir");
  else if (mut == DIR_UNTERMINATED) memset(dir, 'x', 256);
  else snprintf(dir, 256, "/fake/epoch/dir");
  if (mut == TEXT_AFTER_NUL) dir[200] = 'y';
  return RESPONSE;
}

static void *fake_driver(void *arg) {
  fake_t *fake = arg;
  int conn = accept(fake->listener, NULL, NULL);
  if (conn < 0) return NULL;
  uint8_t request[256];
  ssize_t n = recv(conn, request, sizeof request, 0);
  if (n >= 16) {
    uint32_t request_id = request[12] | request[13] << 8 | request[14] << 16 | (uint32_t)request[15] << 24;
    uint8_t m[RESPONSE];
    size_t size = attach_response(m, request_id, fake->mutation);
    int fds[3] = {fake->f->files[0], fake->f->files[1], fake->f->files[2]};
    int pipe_fds[2] = {-1, -1};
    int count = fake->mutation == REFUSAL_WITHOUT_REASON || fake->mutation == STATUS_UNKNOWN ||
                        fake->mutation == STATUS_POSITIVE || fake->mutation == STATUS_IN_A_GAP ? 0 : 3;
    if (fake->mutation == FEWER_FDS) count = 2;
    if (fake->mutation == SWAPPED_FDS) fds[0] = fake->f->files[1], fds[1] = fake->f->files[0];
    if (fake->mutation == PIPE_FD) {
      if (pipe(pipe_fds) == 0) fds[2] = pipe_fds[0];
    }
    if (fake->mutation == WRONG_EPOCH_FILE) put64(m + 16 + 16 + 8, 6); /* announce epoch 6; the files say 5 */
    struct iovec iov = {m, size};
    char control[CMSG_SPACE(sizeof(int) * 3)];
    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (count > 0) {
      msg.msg_control = control;
      msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)count);
      struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)count);
      memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)count);
    }
    if (sendmsg(conn, &msg, MSG_NOSIGNAL) < 0) perror("fake driver: sendmsg");
    if (pipe_fds[0] >= 0) close(pipe_fds[0]), close(pipe_fds[1]);
    /* Serve until the client leaves (keepalives are ignored; a detach request ends it). */
    while ((n = recv(conn, request, sizeof request, 0)) > 0)
      if (n >= 8 && request[6] == 3) break;
  }
  close(conn);
  return NULL;
}

static int listen_fake(fixture_t *f) {
  int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  char path[400];
  snprintf(path, sizeof path, "%s/pool-driver.sock", f->user_dir);
  assert_true(strlen(path) < sizeof a.sun_path);
  memcpy(a.sun_path, path, strlen(path) + 1);
  unlink(path);
  assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(s, 4), 0);
  return s;
}

static lf_status_t attach_against(fixture_t *f, mutation_t mutation) {
  fake_t fake = {f, mutation, listen_fake(f)};
  pthread_t thread;
  assert_int_equal(pthread_create(&thread, NULL, fake_driver, &fake), 0);
  lf_pool_consumer_params_t p = pool_test_consumer_params(LF_POOL_MODE_STREAM);
  lf_pool_consumer_t *consumer = NULL;
  lf_status_t status = lf_pool_consumer_attach(f->context, 1, &p, &consumer);
  if (status == LF_OK) LF_OK_(lf_pool_consumer_detach(consumer));
  else assert_null(consumer);
  pthread_join(thread, NULL);
  close(fake.listener);
  return status;
}

static void a_complete_response_is_accepted(void **state) {
  fixture_t *f = *state;
  LF_OK_(attach_against(f, NONE));
}

static void every_missing_or_wrong_field_is_refused(void **state) {
  fixture_t *f = *state;
  const struct {
    mutation_t mutation;
    lf_status_t status;
    const char *message;
  } cases[] = {
      {MAGIC, LF_ERR_PROTOCOL, "wrong magic"},
      {VERSION, LF_ERR_VERSION_MISMATCH, "protocol version 2"},
      {TYPE, LF_ERR_PROTOCOL, "unknown type 13"},
      {LENGTH, LF_ERR_PROTOCOL, "body length"},
      {LEASE_ZERO, LF_ERR_PROTOCOL, "OK without a lease id"},
      {EPOCH_ZERO, LF_ERR_PROTOCOL, "epoch 0"},
      {KEEPALIVE_ZERO, LF_ERR_PROTOCOL, "keepalive_ms 0"},
      {NSLOTS_3, LF_ERR_PROTOCOL, "nslots 3"},
      {ENTRIES_3, LF_ERR_PROTOCOL, "control_entries 3"},
      {ENTRY_OUTSIDE, LF_ERR_PROTOCOL, "consumer_index 64"},
      {POOLS_ZERO, LF_ERR_PROTOCOL, "0 pools"},
      {POOL_ID_16, LF_ERR_PROTOCOL, "pool id 16"},
      {POOL_ID_TWICE, LF_ERR_PROTOCOL, "pool id 1 invalid or repeated"},
      {STRIDE_100, LF_ERR_PROTOCOL, "stride 100"},
      {POOL_RESERVED, LF_ERR_PROTOCOL, "reserved bytes not zero"},
      {EXTRA_POOL_ENTRY, LF_ERR_PROTOCOL, "beyond pool_count is not zero"},
      {HUGEPAGES_2, LF_ERR_PROTOCOL, "hugepages flag 2"},
      {DIR_RELATIVE, LF_ERR_PROTOCOL, "not an absolute path"},
      {DIR_UNTERMINATED, LF_ERR_PROTOCOL, "epoch_dir is not NUL-terminated"},
      {TEXT_AFTER_NUL, LF_ERR_PROTOCOL, "epoch_dir has bytes after its end"},
      {STATUS_UNKNOWN, LF_ERR_PROTOCOL, "status -999 is neither LF_OK nor a lavaflow error"},
      {STATUS_POSITIVE, LF_ERR_PROTOCOL, "status 3 is neither"},
      {STATUS_IN_A_GAP, LF_ERR_PROTOCOL, "status -30 is neither"},
      {REFUSAL_WITHOUT_REASON, LF_ERR_PROTOCOL, "refusal without a reason"},
      {FEWER_FDS, LF_ERR_PROTOCOL, "came with 2 descriptors, expected 3"},
      {SWAPPED_FDS, LF_ERR_INVALID_ARGUMENT, "expected"},         /* the control region is not a header ring's size */
      {WRONG_EPOCH_FILE, LF_ERR_CORRUPT, "superblock epoch 5, announced 6"},
      {PIPE_FD, LF_ERR_PERMISSION, "not a regular file"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    lf_status_t s = attach_against(f, cases[i].mutation);
    if (s != cases[i].status) fail_msg("mutation %d: got %s (%s)", cases[i].mutation, lf_status_name(s), lf_last_error_message());
    LF_EXPECT_MESSAGE(cases[i].message);
  }
}

static void another_user_is_refused_by_peer_credentials(void **state) {
  fixture_t *f = *state;
  if (geteuid() != 0) skip(); /* needs a second uid: setuid in a child */
  lf_pool_driver_t *driver = pool_test_driver(f->context, NULL);
  /* Let uid 65534 reach the socket, so that only the driver's SO_PEERCRED check stands in its way. */
  char socket_path[400];
  snprintf(socket_path, sizeof socket_path, "%s/pool-driver.sock", f->user_dir);
  assert_int_equal(chmod(f->base, 0711), 0);
  assert_int_equal(chmod(f->user_dir, 0711), 0);
  assert_int_equal(chmod(socket_path, 0777), 0);
  pid_t pid = fork();
  if (pid == 0) {
    if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) _exit(3);
    int s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(socket_path) >= sizeof a.sun_path) _exit(6);
    memcpy(a.sun_path, socket_path, strlen(socket_path) + 1);
    if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) _exit(4);
    struct timeval tv = {5, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    uint8_t buffer[64];
    ssize_t n = recv(s, buffer, sizeof buffer, 0);
    _exit(n == 0 ? 0 : 5); /* the driver hung up on us */
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  assert_int_equal(chmod(f->user_dir, 0700), 0);
  assert_int_equal(chmod(f->base, 0700), 0);
  /* Our own uid is served as before. */
  lf_pool_consumer_params_t p = pool_test_consumer_params(LF_POOL_MODE_STREAM);
  lf_pool_consumer_t *consumer = NULL;
  LF_OK_(lf_pool_consumer_attach(f->context, 1, &p, &consumer));
  LF_OK_(lf_pool_consumer_detach(consumer));
  LF_OK_(lf_pool_driver_destroy(driver));
}

/* Runs lf_pool_helper consume-one as uid 65534 with group `gid`, against root's driver. */
static int consume_as(fixture_t *f, gid_t gid, char *out, size_t out_size) {
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    if (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(65534, 65534, 65534) != 0) _exit(7);
    setenv("LF_POOL_DRIVER_UID", "0", 1);
    const char *helper = getenv("LF_POOL_HELPER");
    execl(helper != NULL ? helper : "lf_pool_helper", "lf_pool_helper", "consume-one", f->base, "1", "0", (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  int status = 0;
  /* Publish while it attaches and reads (frames before its attach are not its business). */
  lf_pool_producer_t *producer = pool_test_attach_producer(f->context, 1, 0);
  for (uint64_t n = 0; waitpid(pid, &status, WNOHANG) == 0 && n < 5000; ++n) {
    pool_test_publish(producer, 64, n);
    usleep(1000);
  }
  LF_OK_(lf_pool_producer_detach(producer));
  if (waitpid(pid, &status, WNOHANG) == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  ssize_t n = read(fds[0], out, out_size - 1);
  out[n > 0 ? n : 0] = '\0';
  close(fds[0]);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void a_group_shares_a_driver_with_another_uid(void **state) {
  fixture_t *f = *state;
  if (geteuid() != 0) skip(); /* needs other uids and groups: setuid in a child */
  lf_pool_driver_params_t params = {0};
  params.field_mask = LF_POOL_DRIVER_PARAM_FIELD_ALLOWED_GROUP | LF_POOL_DRIVER_PARAM_FIELD_DYNAMIC_STREAMS | LF_POOL_DRIVER_PARAM_FIELD_PREFAULT |
                      LF_POOL_DRIVER_PARAM_FIELD_HEADER_SLOTS | LF_POOL_DRIVER_PARAM_FIELD_FLAGS | LF_POOL_DRIVER_PARAM_FIELD_SHUTDOWN_DRAIN;
  params.allowed_gid = 65534;
  params.shutdown_drain_ms = 200;
  params.dynamic_streams = 1;
  params.header_slots = 16;
  params.flags = LF_POOL_DRIVER_FLAG_IGNORE_ENVIRONMENT;
  lf_pool_driver_t *driver = NULL;
  LF_OK_(lf_pool_driver_create(f->context, &params, &driver));
  struct stat st;
  assert_int_equal(stat(f->user_dir, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0710);
  assert_int_equal(st.st_gid, 65534);
  assert_int_equal(chmod(f->base, 0711), 0);
  char out[128];
  /* A member of the allowed group attaches to root's driver and reads root's frames. */
  assert_int_equal(consume_as(f, 65534, out, sizeof out), 0);
  assert_non_null(strstr(out, "ready"));
  /* Another group cannot even reach the socket. */
  assert_int_equal(consume_as(f, 65533, out, sizeof out), 3);
  assert_non_null(strstr(out, "refused LF_ERR_PERMISSION"));
  assert_int_equal(chmod(f->base, 0700), 0);
  LF_OK_(lf_pool_driver_destroy(driver));
}

/* Attaches by hand, as a hostile or broken client would (the request from the table in
 * wire-formats.md): role 1 producer, 2 consumer. Returns the connected socket; the
 * descriptors of an OK response land in fds (their count in *out_count). */
static int raw_attach(fixture_t *f, uint8_t role, uint32_t stream, uint64_t client_id, int *fds, size_t *out_count) {
  int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  int n = snprintf(address.sun_path, sizeof address.sun_path, "%.90s/pool-driver.sock", f->user_dir);
  assert_true(n > 0 && (size_t)n < sizeof address.sun_path);
  assert_int_equal(connect(s, (struct sockaddr *)&address, sizeof address), 0);
  uint8_t request[16 + 56] = {0};
  put32(request, 0x5054464C);
  put16(request + 4, 1);
  put16(request + 6, 1); /* attach request */
  put32(request + 8, 56);
  put32(request + 12, 7);
  put64(request + 16, client_id);
  put32(request + 24, stream);
  request[28] = role;
  assert_int_equal(send(s, request, sizeof request, 0), (ssize_t)sizeof request);
  static uint8_t response[70000];
  char control[CMSG_SPACE(16 * sizeof(int))];
  struct iovec iov = {response, sizeof response};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  assert_true(recvmsg(s, &msg, MSG_CMSG_CLOEXEC) >= 16 + 16);
  assert_int_equal(response[6], 2);                      /* an attach response */
  assert_int_equal(response[16] | response[17] << 8, 0); /* status LF_OK */
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  assert_non_null(c);
  *out_count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
  assert_true(*out_count >= 3 && *out_count <= 16);
  memcpy(fds, CMSG_DATA(c), *out_count * sizeof(int));
  return s;
}

/* The descriptors a hand-made consumer receives for the header ring and the payload pool are
 * read-only — it cannot pwrite into frames or map them writable, so it cannot change what the
 * other consumers read — and only the control region (where its own entry lives) is
 * writable. A producer gets all of them writable. */
static void only_the_producer_gets_writable_frames(void **state) {
  fixture_t *f = *state;
  lf_pool_driver_t *driver = pool_test_driver(f->context, NULL);
  lf_pool_producer_t *producer = pool_test_attach_producer(f->context, 1, 0);
  for (uint8_t role = 1; role <= 2; ++role) {
    int fds[16];
    size_t count = 0;
    /* producer: a stream of its own; consumer: stream 1 */
    int s = raw_attach(f, role, role == 1 ? 2 : 1, 4242 + role, fds, &count);
    for (size_t i = 0; i < count; ++i) {
      const int writable = role == 1 || i == 1; /* the producer; a consumer's control region */
      assert_int_equal(fcntl(fds[i], F_GETFL) & O_ACCMODE, writable ? O_RDWR : O_RDONLY);
      uint8_t byte = 0; /* (the byte that is there: a write that works changes nothing) */
      assert_int_equal(pread(fds[i], &byte, 1, 64), 1);
      assert_int_equal(pwrite(fds[i], &byte, 1, 64) == 1, writable);
      void *map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fds[i], 0);
      assert_int_equal(map != MAP_FAILED, writable);
      if (map != MAP_FAILED) munmap(map, 4096);
      close(fds[i]);
    }
    close(s);
  }
  LF_OK_(lf_pool_producer_detach(producer));
  LF_OK_(lf_pool_driver_destroy(driver));
}

/* Consumers that stopped reading their socket (shut down for reading: the driver cannot tell
 * until a send fails) when the producer leaves: the driver's announcement of the new epoch
 * fails for them while it walks its leases. It once dropped them right there, inside that
 * walk, and crashed; now it drops them afterwards and goes on serving: a new producer
 * attaches and a well-behaved consumer follows it into the new epoch. */
static void consumers_that_stopped_reading_do_not_crash_the_driver(void **state) {
  fixture_t *f = *state;
  lf_pool_driver_t *driver = pool_test_driver(f->context, NULL);
  lf_pool_producer_t *producer = pool_test_attach_producer(f->context, 1, 0);
  lf_pool_consumer_params_t p = pool_test_consumer_params(LF_POOL_MODE_STREAM);
  lf_pool_consumer_t *consumer = NULL;
  LF_OK_(lf_pool_consumer_attach(f->context, 1, &p, &consumer));
  int sockets[4];
  for (int i = 0; i < 4; ++i) {
    int fds[16];
    size_t count = 0;
    sockets[i] = raw_attach(f, 2, 1, 5000 + (uint64_t)i, fds, &count);
    for (size_t k = 0; k < count; ++k) close(fds[k]);
    assert_int_equal(shutdown(sockets[i], SHUT_RD), 0);
  }
  const uint64_t first = pool_test_producer_epoch(producer);
  LF_OK_(lf_pool_producer_detach(producer)); /* a new epoch, announced to every consumer */
  producer = pool_test_attach_producer(f->context, 1, 0);
  const uint64_t second = pool_test_producer_epoch(producer);
  assert_true(second > first);
  pool_test_follow(consumer, second);
  pool_test_publish(producer, 64, 1);
  lf_pool_view_t view = {.struct_size = sizeof view};
  LF_OK_(lf_pool_consumer_wait(consumer, &view, 2000000000));
  assert_int_equal(view.epoch, second);
  assert_true(pool_test_check(view.payload, 64, 1));
  LF_OK_(lf_pool_consumer_release(consumer));
  for (int i = 0; i < 4; ++i) close(sockets[i]);
  LF_OK_(lf_pool_consumer_detach(consumer));
  LF_OK_(lf_pool_producer_detach(producer));
  LF_OK_(lf_pool_driver_destroy(driver));
}

int main(void) {
  lf_test_reset_environment();
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(a_complete_response_is_accepted, setup, teardown),
      cmocka_unit_test_setup_teardown(every_missing_or_wrong_field_is_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(another_user_is_refused_by_peer_credentials, setup, teardown),
      cmocka_unit_test_setup_teardown(a_group_shares_a_driver_with_another_uid, setup, teardown),
      cmocka_unit_test_setup_teardown(only_the_producer_gets_writable_frames, setup, teardown),
      cmocka_unit_test_setup_teardown(consumers_that_stopped_reading_do_not_crash_the_driver, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
