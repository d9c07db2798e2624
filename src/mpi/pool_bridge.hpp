// One rank's end of a tensor pool bridge (lavaflow_mpi.h): a pool consumer whose frames go
// into a channel (source), or a channel whose frames a pool producer publishes (sink).
#pragma once

#include <lavaflow/lavaflow_mpi.h>

#include <string>

namespace lavaflow::mpi {

class Attachment;
struct BridgeMessage;

class PoolBridge {
 public:
  // Attaches to the pool and opens the channel (meeting the peer). Throws Error.
  PoolBridge(Attachment &attachment, lf_mpi_t *mpi, int32_t peer, uint32_t channel_id, int32_t side, uint32_t stream_id,
             const lf_mpi_pool_bridge_params_t *params);
  ~PoolBridge();
  PoolBridge(const PoolBridge &) = delete;
  PoolBridge &operator=(const PoolBridge &) = delete;

  // lf_mpi_pool_bridge_forward(); the detail of an error status in problem().
  lf_status_t forward(uint32_t max_frames, int32_t timeout_ms, uint32_t *out_frames);
  void stats(lf_mpi_pool_bridge_stats_t &out);
  const std::string &problem() const noexcept { return problem_; }

 private:
  class Deadline;
  lf_status_t forward_source(uint32_t max_frames, const Deadline &deadline, uint32_t &frames);
  lf_status_t forward_sink(uint32_t max_frames, const Deadline &deadline, uint32_t &frames);
  lf_status_t publish_through_lease_retake(const BridgeMessage &message, const Deadline &deadline);
  lf_status_t send_metadata(const Deadline &deadline);
  lf_status_t fail(lf_status_t status, std::string why);
  lf_status_t stop(lf_status_t status, std::string why);
  static std::string last_error(const char *call);  // "call: lavaflow's last error message"
  lf_status_t lavaflow_error(lf_status_t status, const char *call);

  int32_t side_;
  lf_pool_consumer_t *consumer_ = nullptr;
  lf_pool_producer_t *producer_ = nullptr;
  lf_channel_t *channel_ = nullptr;
  size_t max_message_ = 0;          // source: the reservation that fits any frame
  uint32_t sent_meta_version_ = 0;  // source: the last metadata version sent
  lf_status_t stop_status_ = LF_OK;  // sink: not LF_OK once a message could not be published
  const void *held_data_ = nullptr;  // sink: a frame still peeked, not yet published (lease re-take)
  size_t held_size_ = 0;
  std::string problem_;
  uint64_t frames_ = 0, payload_bytes_ = 0, metadata_ = 0, rejected_ = 0;
  uint64_t given_up_ = 0;  // source: frames read but not sent (the channel failed meanwhile)
};

}  // namespace lavaflow::mpi
