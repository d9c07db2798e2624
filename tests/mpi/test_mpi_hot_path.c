/* The MPI transport's steady state allocates nothing. Two ranks, the MPI transport forced,
 * caller progress and no worker threads — so the whole engine (frames, chunks straight from
 * and into the rings, compression, sealing, credits) runs inside this thread's lavaflow
 * calls, where the allocations are counted (tests/support/alloc_counter.c). After a warm-up
 * round, a second round of the same messages — inline, chunked, compressed, sealed — must not
 * allocate on either rank. Allocations inside Open MPI are not counted: ob1 sometimes buffers
 * a message that arrives before its receive is posted (a chunk's payload right behind its
 * header frame) with a malloc — its own business, not lavaflow's hot path. (System calls are
 * not checked here: Open MPI makes them for large messages.) */
#include "alloc_counter.h"
#include "mpi_check.h"
#include "mpi_world.h"

#include <lavaflow/lavaflow.h>

#include <string.h>

static lf_mpi_t *g_mpi;
static int g_rank;

static const size_t g_sizes[] = {8, 4096, 65536, (1u << 20) + 3};
enum { SIZES = sizeof g_sizes / sizeof g_sizes[0], PER_SIZE = 16 };

/* One round: PER_SIZE messages of every size, each checked on arrival. */
static void round_trip(lf_channel_t *channel, uint8_t *buffer, uint8_t *received, uint32_t round) {
  for (uint32_t k = 0; k < SIZES; ++k) {
    for (uint32_t i = 0; i < PER_SIZE; ++i) {
      const uint8_t mark = (uint8_t)(round * 31 + k * 7 + i);
      if (g_rank == 0) {
        memset(buffer, mark, g_sizes[k]);
        MPI_OK(lf_channel_send(channel, buffer, g_sizes[k], 30000));
      } else {
        size_t size = 0;
        MPI_OK(lf_channel_recv(channel, received, 2u << 20, &size, 30000));
        MPI_CHECK(size == g_sizes[k] && received[0] == mark && received[size - 1] == mark);
      }
    }
  }
}

static void run(uint32_t id, int32_t compression, int32_t cipher, uint8_t *buffer, uint8_t *received) {
  static const uint8_t key[32] = {7};
  lf_channel_params_t ring = {.field_mask = LF_CHANNEL_PARAM_FIELD_CAPACITY | LF_CHANNEL_PARAM_FIELD_MAX_MESSAGE_SIZE,
                              .capacity = 8u << 20, .max_message_size = 2u << 20};
  lf_mpi_channel_params_t params = {
      .field_mask = LF_MPI_CHANNEL_PARAM_FIELD_COMPRESSION | LF_MPI_CHANNEL_PARAM_FIELD_CIPHER | LF_MPI_CHANNEL_PARAM_FIELD_KEY |
                    LF_MPI_CHANNEL_PARAM_FIELD_CHUNK_SIZE | LF_MPI_CHANNEL_PARAM_FIELD_TRANSPORT,
      .compression = compression, .cipher = cipher, .key = key, .chunk_size = 256u << 10, .transport = LF_TRANSPORT_MPI};
  lf_channel_t *channel = NULL;
  MPI_OK(lf_mpi_channel_open(g_mpi, g_rank ^ 1, id, g_rank == 0 ? LF_CHANNEL_PRODUCER : LF_CHANNEL_CONSUMER, &ring,
                             &params, &channel));
  round_trip(channel, buffer, received, 0);  /* warm-up: contexts, free lists, first touches */
  mpi_barrier_progressing(g_mpi);
  static const char *const mpi_libraries[] = {"libmpi", "libopen-pal", "libopen-rte", "openmpi", NULL};
  lf_test_allocations_ignore(mpi_libraries);
  const unsigned long before = lf_test_allocations();
  round_trip(channel, buffer, received, 1);
  const unsigned long allocations = lf_test_allocations() - before;
  lf_test_allocations_ignore(NULL);
  if (allocations != 0)
    fprintf(stderr, "rank %d: %lu allocations in the steady state (compression %s, cipher %s)\n", g_rank, allocations,
            lf_mpi_compression_name(compression), lf_mpi_cipher_name(cipher));
  MPI_CHECK(allocations == 0);
  mpi_barrier_progressing(g_mpi);  /* (the consumer has everything: the producer's side issued it all) */
  lf_mpi_channel_stats_t stats = {.struct_size = sizeof stats};
  MPI_OK(lf_mpi_channel_get_stats(g_mpi, channel, &stats));
  MPI_CHECK(stats.messages == 2 * SIZES * PER_SIZE && stats.worker_chunks == 0);
  if (compression != LF_MPI_COMPRESSION_NONE) MPI_CHECK(stats.compressed_chunks > 0);
  MPI_OK(lf_channel_destroy(channel));
}

int main(int argc, char **argv) {
  g_rank = mpi_world_start_pair(&argc, &argv, argv[0]);
  lf_context_t *context = NULL;
  MPI_OK(lf_context_create(NULL, &context));
  lf_mpi_params_t params = {.field_mask = LF_MPI_PARAM_FIELD_PROGRESS | LF_MPI_PARAM_FIELD_WORKER_THREADS,
                            .progress = LF_MPI_PROGRESS_CALLER, .worker_threads = 0};
  MPI_OK(lf_mpi_attach(context, MPI_COMM_WORLD, &params, &g_mpi));
  uint8_t *buffer = malloc(2u << 20), *received = malloc(2u << 20);
  MPI_CHECK(buffer != NULL && received != NULL);
  run(1, LF_MPI_COMPRESSION_NONE, LF_MPI_CIPHER_NONE, buffer, received);
  run(2, LF_MPI_COMPRESSION_ZSTD, LF_MPI_CIPHER_XCHACHA20_POLY1305, buffer, received);
  run(3, LF_MPI_COMPRESSION_LZ4, LF_MPI_CIPHER_MAC_ONLY, buffer, received);
  run(4, LF_MPI_COMPRESSION_ADAPTIVE, LF_MPI_CIPHER_AES256_GCM, buffer, received);
  free(buffer);
  free(received);
  mpi_barrier_progressing(g_mpi);
  MPI_OK(lf_mpi_detach(g_mpi));
  MPI_OK(lf_context_destroy(context));
  if (g_rank == 0) printf("ok: no allocation in the MPI transport's steady state (4 channels, 8 B to 1 MiB)\n");
  MPI_Finalize();
  return 0;
}
