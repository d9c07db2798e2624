/* where_is_my_peer: two processes exchange identities and decide how they can talk.
 *
 * The parent starts a child (fork + exec of this program with --child); they swap identity
 * blobs over a socketpair (any byte channel works: MPI_Allgather, a file, a TCP socket),
 * and each asks lavaflow for the scope between itself and its peer.
 *
 *   ./where_is_my_peer
 *   LAVAFLOW_SCOPE_OVERRIDE=remote ./where_is_my_peer   (pretend the peer is far away)
 */
#include <lavaflow/lavaflow.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int check(lf_status_t status, const char *what) {
  if (status < 0) {
    fprintf(stderr, "%s failed: %s (%s)\n", what, lf_status_string(status), lf_last_error_message());
    exit(1);
  }
  return status;
}

/* Sends our blob (length first), receives the peer's. */
static size_t swap_blobs(int fd, const unsigned char *mine, size_t mine_size, unsigned char *theirs) {
  uint32_t length = (uint32_t)mine_size;
  if (write(fd, &length, sizeof length) != sizeof length || write(fd, mine, mine_size) != (ssize_t)mine_size) exit(1);
  if (read(fd, &length, sizeof length) != sizeof length || length > LF_IDENTITY_BLOB_MAX_SIZE) exit(1);
  size_t got = 0;
  while (got < length) {
    ssize_t n = read(fd, theirs + got, length - got);
    if (n <= 0) exit(1);
    got += (size_t)n;
  }
  return length;
}

static void talk(int fd, const char *who) {
  lf_context_t *context = NULL;
  lf_identity_t *self = NULL, *peer = NULL;
  lf_scope_t *scope = NULL;
  static unsigned char mine[LF_IDENTITY_BLOB_MAX_SIZE], theirs[LF_IDENTITY_BLOB_MAX_SIZE];
  size_t mine_size = 0;

  check(lf_context_create(NULL, &context), "lf_context_create");
  check(lf_identity_create(context, NULL, &self), "lf_identity_create");
  check(lf_identity_serialize(self, mine, sizeof mine, &mine_size), "lf_identity_serialize");
  size_t theirs_size = swap_blobs(fd, mine, mine_size, theirs);
  check(lf_identity_create_from_blob(context, theirs, theirs_size, &peer), "lf_identity_create_from_blob");
  check(lf_scope_create(context, self, peer, &scope), "lf_scope_create");

  lf_scope_info_t info = {.struct_size = sizeof info};
  lf_identity_info_t peer_info = {.struct_size = sizeof peer_info};
  const char *reason = NULL;
  check(lf_scope_get_info(scope, &info), "lf_scope_get_info");
  check(lf_identity_get_info(peer, &peer_info), "lf_identity_get_info");
  check(lf_scope_get_reason(scope, &reason), "lf_scope_get_reason");
  printf("%s: my peer (pid %u) is at scope %s\n", who, peer_info.pid, lf_scope_level_name(info.level));
  printf("%s:   because %s\n", who, reason);
  for (uint32_t m = LF_MECHANISM_ADDRESS_SPACE; m <= LF_MECHANISM_NETWORK; m <<= 1) {
    const char *why = NULL;
    check(lf_scope_get_mechanism_reason(scope, m, &why), "lf_scope_get_mechanism_reason");
    printf("%s:   %-3s %-14s %s\n", who, (info.mechanisms & m) ? "yes" : "no", lf_mechanism_name(m), why);
  }
  fflush(stdout);

  lf_scope_destroy(scope);
  lf_identity_destroy(peer);
  lf_identity_destroy(self);
  lf_context_destroy(context);
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--child") == 0) {
    talk(atoi(argv[2]), "child");
    return 0;
  }
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return 1;
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    char fd_text[16];
    snprintf(fd_text, sizeof fd_text, "%d", fds[1]);
    execl("/proc/self/exe", argv[0], "--child", fd_text, (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  talk(fds[0], "parent");
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
