// One stream epoch's region files, as the driver creates them:
// <base>/lavaflow-<uid>/<namespace>/<stream_id>/<epoch>/{header.ring, <pool_id>.pool, control},
// directories 0700, files 0600, created exclusively (never reusing a file someone left there),
// sized, superblocks written, optionally prefaulted and locked. The driver keeps them mapped
// (it writes consumer entries and activity timestamps) and keeps their descriptors to pass to
// clients. Only the driver creates or removes these files.
#pragma once

#include "core/unique_fd.hpp"
#include "pool/control.hpp"
#include "pool/driver_config.hpp"
#include "pool/protocol.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lavaflow::pool {

struct EpochFileOptions {
  uint32_t consumer_entries = 64;
  uint32_t file_mode = 0600;
  bool prefault = true;
  bool mlock = false;
};

class EpochFiles {
 public:
  // Creates epoch `epoch` of `stream_id` in the stream directory. Throws Error (LF_ERR_EXISTS
  // if the epoch directory exists, LF_ERR_NO_MEMORY when the filesystem is full, LF_ERR_SYSTEM).
  static std::unique_ptr<EpochFiles> create(int stream_dir_fd, const std::string &stream_dir_path, uint32_t stream_id,
                                            uint64_t epoch, const StreamProfile &profile, const EpochFileOptions &options);
  ~EpochFiles();
  EpochFiles(const EpochFiles &) = delete;
  EpochFiles &operator=(const EpochFiles &) = delete;

  uint64_t epoch() const noexcept { return epoch_; }
  const std::string &dir() const noexcept { return dir_path_; }
  uint64_t bytes() const noexcept { return bytes_; }
  ControlView control() const noexcept { return control_; }
  // Descriptors in announcement order: header ring, control, pools. Only the producer may
  // write frames: a consumer gets read-only descriptors of the header ring and the pools
  // (it writes only its own entry in the control region).
  std::vector<int> fds(bool producer) const;
  // The announcement for this epoch (consumer_index and keepalive left for the caller).
  protocol::Announcement announcement() const;

  // Refreshes activity_timestamp_ns in every superblock (the producer is alive) and the pid.
  void mark_activity(uint64_t monotonic_ns, uint64_t producer_pid) noexcept;

  // Unlinks the files and the epoch directory (mappings held elsewhere stay valid).
  void remove() noexcept;

 private:
  EpochFiles() = default;
  struct Region {
    core::UniqueFd fd;
    core::UniqueFd read_only;  // the same file opened O_RDONLY, for consumers
    uint8_t *base = nullptr;
    uint64_t bytes = 0;
  };
  Region &add_region(const std::string &name, const Superblock &sb, uint64_t bytes, const EpochFileOptions &options);

  uint32_t stream_id_ = 0;
  uint64_t epoch_ = 0;
  StreamProfile profile_;
  uint32_t control_entries_ = 0;
  int stream_dir_fd_ = -1;  // borrowed from the driver's stream
  core::UniqueFd dir_fd_;
  std::string dir_name_, dir_path_;
  std::vector<Region> regions_;  // header ring, control, pools
  ControlView control_;
  uint64_t bytes_ = 0;
  bool removed_ = false;
};

// The bytes of all region files of an epoch of this shape (what EpochFiles::create makes).
uint64_t epoch_bytes(const StreamProfile &profile, uint32_t consumer_entries) noexcept;

// The epoch directories in a stream directory (numeric names), in increasing order: the
// driver's own files, read at stream creation so that a restarted driver continues with a
// higher epoch and removes what an earlier one left.
std::vector<uint64_t> epochs_on_disk(int stream_dir_fd);

// Removes what a driver that did not shut down cleanly left in a namespace directory: each
// epoch whose producer no longer runs (the pid in its superblock), then each stream directory
// left empty. Never follows a symlink; only the names a driver creates are removed. Returns
// the number of epochs removed.
size_t remove_stale_epochs(int namespace_dir_fd) noexcept;

// Removes an epoch directory left by an earlier driver (its files, then itself).
void remove_epoch_dir(int stream_dir_fd, uint64_t epoch) noexcept;

// Whether a process of this pid runs (0: no).
bool process_alive(uint64_t pid) noexcept;

// The pid recorded in an epoch's header ring superblock (0 if it cannot be read).
uint64_t producer_pid_on_disk(int stream_dir_fd, uint64_t epoch) noexcept;

}  // namespace lavaflow::pool

namespace lavaflow::pool {

// Whether region files under `dir` can be backed by huge pages: "" if so (a tmpfs mounted with
// huge=always or huge=within_size), else the reason they cannot.
std::string hugepage_refusal(const std::string &dir);

}  // namespace lavaflow::pool
