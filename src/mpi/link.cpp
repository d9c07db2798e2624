#include "mpi/link.hpp"

#include <lavaflow/extension.h>

namespace lavaflow::mpi {

Link::Link(const LinkConfig &config, lf_channel_t *bridge, std::unique_ptr<Sealer> sealer)
    : config_(config), bridge_(bridge), sealer_(std::move(sealer)) {}

Link::~Link() {
  if (!finished_) abandon(LF_ERR_CLOSED, "the MPI attachment was detached while the channel was open");
  cancel_receives();
  lf_channel_destroy(bridge_);
}

void Link::fail(lf_status_t status, const std::string &why) {
  if (failed_) return;
  failed_ = true;
  lf_bridge_fail(bridge_, status, why.c_str());
}

void Link::abandon(lf_status_t status, const std::string &why) {
  fail(status, why);
  cancel_receives();
  finished_ = true;
}

void Link::cancel_receives() {
  posted_receives_.push_back(&control_recv_);
  for (MPI_Request *request : posted_receives_) {
    if (*request == MPI_REQUEST_NULL) continue;
    MPI_Cancel(request);
    MPI_Wait(request, MPI_STATUS_IGNORE);  // a cancelled receive completes at once
  }
  posted_receives_.clear();
}

bool Link::control_idle() {
  if (control_send_ == MPI_REQUEST_NULL) return true;
  int done = 0;
  MPI_Test(&control_send_, &done, MPI_STATUS_IGNORE);
  return done != 0;
}

bool Link::send_control(ControlKind kind, uint64_t value, int tag) {
  if (!control_idle()) return false;
  encode_control(kind, value, control_out_);
  MPI_Isend(control_out_, kControlBytes, MPI_BYTE, config_.peer, tag, config_.comm, &control_send_);
  return true;
}

bool Link::poll_control(int tag, ControlKind &kind, uint64_t &value) {
  if (control_recv_ == MPI_REQUEST_NULL) {
    MPI_Irecv(control_in_, kControlBytes, MPI_BYTE, config_.peer, tag, config_.comm, &control_recv_);
    return false;
  }
  int done = 0;
  MPI_Status status;
  MPI_Test(&control_recv_, &done, &status);
  if (!done) return false;
  int count = 0;
  MPI_Get_count(&status, MPI_BYTE, &count);
  heard.add(1);
  const bool valid = decode_control(control_in_, static_cast<size_t>(count), kind, value);
  MPI_Irecv(control_in_, kControlBytes, MPI_BYTE, config_.peer, tag, config_.comm, &control_recv_);
  return valid;
}

void Link::maybe_heartbeat(int tag) {
  if (!config_.send_heartbeats || !heartbeat_due.load(std::memory_order_relaxed)) return;
  if (send_control(kControlHeartbeat, 0, tag)) heartbeat_due.store(false, std::memory_order_relaxed);
}

void Link::run_chunk_job(Job &job, bool worth_a_worker, CodecContexts &here) {
  if (!worth_a_worker || config_.workers == nullptr) job.run(job, here);
  else if (config_.workers->run(job, here)) stats_.worker_chunks.add(1);
}

void Link::raise_peer_dead() { lf_bridge_raise(bridge_, LF_ERR_PEER_DEAD, peer_dead_reason.c_str()); }

bool Link::check_peer() {
  if (!peer_dead.load(std::memory_order_acquire)) return false;
  if (!finished_) abandon(LF_ERR_PEER_DEAD, peer_dead_reason);
  return true;
}

}  // namespace lavaflow::mpi
