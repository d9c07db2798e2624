#include "pool/epoch_files.hpp"

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "ipc/user_dir.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

namespace lavaflow::pool {

using core::fail;

namespace {

const char *kRegionNames[] = {"header.ring", "control"};
constexpr size_t kControlRegionIndex = 1;  // in regions_ and in the announcement's descriptors

bool numeric(const char *name, uint64_t &value) {
  if (name[0] == '\0' || name[0] == '0') return false;
  value = 0;
  for (const char *p = name; *p; ++p) {
    if (*p < '0' || *p > '9' || value > UINT64_MAX / 10) return false;
    value = value * 10 + uint64_t(*p - '0');
  }
  return true;
}

}  // namespace

std::unique_ptr<EpochFiles> EpochFiles::create(int stream_dir_fd, const std::string &stream_dir_path, uint32_t stream_id,
                                               uint64_t epoch, const StreamProfile &profile, const EpochFileOptions &options) {
  std::unique_ptr<EpochFiles> files(new EpochFiles());
  files->stream_id_ = stream_id;
  files->epoch_ = epoch;
  files->profile_ = profile;
  files->control_entries_ = options.consumer_entries;
  files->stream_dir_fd_ = stream_dir_fd;
  files->dir_name_ = std::to_string(epoch);
  files->dir_path_ = stream_dir_path + "/" + files->dir_name_;
  if (mkdirat(stream_dir_fd, files->dir_name_.c_str(), 0700) != 0) {
    if (errno == EEXIST) fail(LF_ERR_EXISTS, "epoch directory '%s' already exists", files->dir_path_.c_str());
    core::fail_errno(errno, "mkdir('%s')", files->dir_path_.c_str());
  }
  try {
    files->dir_fd_ = ipc::open_private_dir(stream_dir_fd, files->dir_name_.c_str(), false, files->dir_path_);
    const uint64_t now = static_cast<uint64_t>(core::monotonic_ns());  // the clock domain of every pool timestamp
    Superblock sb;
    sb.epoch = epoch;
    sb.stream_id = stream_id;
    sb.pid = 0;
    sb.start_timestamp_ns = now;
    sb.activity_timestamp_ns = now;
    sb.region_type = kHeaderRing;
    sb.nslots = profile.header_slots;
    sb.slot_bytes = kSlotBytes;
    files->add_region(kRegionNames[0], sb, region_bytes(sb), options);
    Superblock control = sb;
    control.region_type = kControl;
    control.nslots = options.consumer_entries;
    control.slot_bytes = kConsumerEntryBytes;
    const Region &c = files->add_region(kRegionNames[1], control, control_region_bytes(options.consumer_entries), options);
    files->control_ = ControlView(c.base, options.consumer_entries);
    files->control_.u32(control_offset::clock_domain).store(kClockMonotonic, std::memory_order_relaxed);
    for (const auto &pool : profile.pools) {
      Superblock p = sb;
      p.region_type = kPayloadPool;
      p.pool_id = pool.id;
      p.slot_bytes = pool.stride;
      p.stride_bytes = pool.stride;
      files->add_region(std::to_string(pool.id) + ".pool", p, region_bytes(p), options);
    }
  } catch (...) {
    files->remove();
    throw;
  }
  return files;
}

EpochFiles::Region &EpochFiles::add_region(const std::string &name, const Superblock &sb, uint64_t bytes,
                                           const EpochFileOptions &options) {
  const std::string shown = dir_path_ + "/" + name;
  Region region;
  region.bytes = bytes;
  region.fd = core::UniqueFd(openat(dir_fd_.get(), name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, options.file_mode));
  if (!region.fd) core::fail_errno(errno, "creating '%s'", shown.c_str());
  regions_.push_back(std::move(region));  // registered first: remove() unlinks it on failure below
  Region &r = regions_.back();
  if (fchmod(r.fd.get(), options.file_mode) != 0) core::fail_errno(errno, "fchmod('%s')", shown.c_str());
  // A read-only descriptor of the very file (same inode: nobody swapped the name meanwhile)
  // for consumers, who cannot then map it writable or pwrite into it.
  r.read_only = core::UniqueFd(openat(dir_fd_.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  struct stat written {}, readable {};
  if (!r.read_only || fstat(r.fd.get(), &written) != 0 || fstat(r.read_only.get(), &readable) != 0)
    core::fail_errno(errno, "reopening '%s' read-only", shown.c_str());
  if (written.st_ino != readable.st_ino || written.st_dev != readable.st_dev)
    fail(LF_ERR_PERMISSION, "'%s' was replaced while the driver created it", shown.c_str());
  // posix_fallocate reserves the pages now, so a full /dev/shm fails here and not as a SIGBUS later.
  if (int e = posix_fallocate(r.fd.get(), 0, static_cast<off_t>(bytes)); e != 0) {
    if (e == ENOSPC) fail(LF_ERR_NO_MEMORY, "'%s': no space for %s in the base directory's filesystem", shown.c_str(), core::format_text("%llu bytes", static_cast<unsigned long long>(bytes)).c_str());
    core::fail_errno(e, "posix_fallocate('%s', %llu)", shown.c_str(), static_cast<unsigned long long>(bytes));
  }
  void *base = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | (options.prefault ? MAP_POPULATE : 0), r.fd.get(), 0);
  if (base == MAP_FAILED) core::fail_errno(errno, "mmap('%s')", shown.c_str());
  r.base = static_cast<uint8_t *>(base);
  if (options.mlock && ::mlock(base, bytes) != 0) core::fail_errno(errno, "mlock('%s') (mlock = true in the driver config)", shown.c_str());
  write_superblock(r.base, sb);
  bytes_ += bytes;
  return r;
}

EpochFiles::~EpochFiles() {
  for (Region &r : regions_)
    if (r.base != nullptr) munmap(r.base, r.bytes);
}

std::vector<int> EpochFiles::fds(bool producer) const {
  std::vector<int> fds;
  for (size_t i = 0; i < regions_.size(); ++i)
    fds.push_back(producer || i == kControlRegionIndex ? regions_[i].fd.get() : regions_[i].read_only.get());
  return fds;
}

protocol::Announcement EpochFiles::announcement() const {
  protocol::Announcement a;
  a.stream_id = stream_id_;
  a.epoch = epoch_;
  a.nslots = profile_.header_slots;
  a.control_entries = control_entries_;
  a.hugepages = profile_.require_hugepages;
  a.pools = profile_.pools;
  a.epoch_dir = dir_path_;
  return a;
}

void EpochFiles::mark_activity(uint64_t now_ns, uint64_t producer_pid) noexcept {
  for (Region &r : regions_) {
    std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t *>(r.base + superblock_offset::activity_timestamp_ns))
        .store(now_ns, std::memory_order_relaxed);
    std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t *>(r.base + superblock_offset::pid)).store(producer_pid, std::memory_order_relaxed);
  }
}

void EpochFiles::remove() noexcept {
  if (removed_) return;
  removed_ = true;
  remove_epoch_dir(stream_dir_fd_, epoch_);  // (it removes exactly the names create() makes)
}

uint64_t epoch_bytes(const StreamProfile &profile, uint32_t consumer_entries) noexcept {
  Superblock sb;
  sb.region_type = kHeaderRing;
  sb.nslots = profile.header_slots;
  uint64_t total = region_bytes(sb) + control_region_bytes(consumer_entries);
  sb.region_type = kPayloadPool;
  for (const auto &pool : profile.pools) {
    sb.stride_bytes = pool.stride;
    total += region_bytes(sb);
  }
  return total;
}

namespace {

// The numeric entries of a directory (an fd we keep), in increasing order.
std::vector<uint64_t> numeric_entries(int dir_fd) {
  int fd = dup(dir_fd);
  if (fd < 0) core::fail_errno(errno, "dup");
  DIR *dir = fdopendir(fd);
  if (dir == nullptr) {
    close(fd);
    core::fail_errno(errno, "fdopendir");
  }
  rewinddir(dir);
  std::vector<uint64_t> values;
  while (dirent *entry = readdir(dir)) {
    uint64_t value = 0;
    if (numeric(entry->d_name, value)) values.push_back(value);
  }
  closedir(dir);
  std::sort(values.begin(), values.end());
  return values;
}

}  // namespace

bool process_alive(uint64_t pid) noexcept { return pid != 0 && (kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM); }

std::vector<uint64_t> epochs_on_disk(int stream_dir_fd) { return numeric_entries(stream_dir_fd); }

size_t remove_stale_epochs(int namespace_dir_fd) noexcept {
  size_t removed = 0;
  try {
    for (uint64_t stream : numeric_entries(namespace_dir_fd)) {
      if (stream > UINT32_MAX) continue;  // not a stream id: not ours to touch
      const std::string name = std::to_string(stream);
      core::UniqueFd dir(openat(namespace_dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      struct stat st {};
      if (!dir || fstat(dir.get(), &st) != 0 || st.st_uid != geteuid()) continue;
      for (uint64_t epoch : numeric_entries(dir.get())) {
        if (process_alive(producer_pid_on_disk(dir.get(), epoch))) continue;  // its producer will reattach and move on
        remove_epoch_dir(dir.get(), epoch);
        ++removed;
      }
      unlinkat(namespace_dir_fd, name.c_str(), AT_REMOVEDIR);  // (only if it is empty now)
    }
  } catch (const std::exception &) {
    // Best effort: what cannot be read stays, and is looked at again by the next driver.
  }
  return removed;
}

void remove_epoch_dir(int stream_dir_fd, uint64_t epoch) noexcept {
  const std::string name = std::to_string(epoch);
  int fd = openat(stream_dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) {
    if (DIR *dir = fdopendir(fd)) {
      // Only the names the driver creates are removed; anything else keeps the directory.
      std::vector<std::string> names;
      while (dirent *entry = readdir(dir)) {
        const std::string n = entry->d_name;
        if (n == "header.ring" || n == "control" || (n.size() > 5 && n.compare(n.size() - 5, 5, ".pool") == 0)) names.push_back(n);
      }
      for (const std::string &n : names) unlinkat(dirfd(dir), n.c_str(), 0);
      closedir(dir);
    } else {
      close(fd);
    }
  }
  unlinkat(stream_dir_fd, name.c_str(), AT_REMOVEDIR);
}

uint64_t producer_pid_on_disk(int stream_dir_fd, uint64_t epoch) noexcept {
  const std::string path = std::to_string(epoch) + "/header.ring";
  core::UniqueFd fd(openat(stream_dir_fd, path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  struct stat st {};
  if (!fd || fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || st.st_size < 64) return 0;
  uint8_t bytes[kSuperblockBytes];
  if (pread(fd.get(), bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) return 0;
  const Superblock sb = read_superblock(bytes);
  return sb.magic == kMagic && sb.epoch == epoch ? sb.pid : 0;
}

std::string hugepage_refusal(const std::string &dir) {
  struct statfs fs {};
  if (statfs(dir.c_str(), &fs) != 0) return "statfs('" + dir + "') failed: " + std::strerror(errno);
  constexpr long kTmpfsMagic = 0x01021994, kHugetlbfsMagic = 0x958458f6;
  if (static_cast<long>(fs.f_type) == kHugetlbfsMagic)
    return "'" + dir + "' is on hugetlbfs, whose file sizes must be huge-page multiples; region sizes are not";
  if (static_cast<long>(fs.f_type) != kTmpfsMagic) return "'" + dir + "' is not on tmpfs";
  // The mount whose point is the longest prefix of dir decides (mountinfo field 5, super options last).
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line, best_point, best_options;
  while (std::getline(mountinfo, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, point, field;
    fields >> id >> parent >> devno >> root >> point;
    std::string last;
    while (fields >> field) last = field;
    if (dir.compare(0, point.size(), point) == 0 && (dir.size() == point.size() || dir[point.size()] == '/' || point == "/") &&
        point.size() >= best_point.size()) {
      best_point = point;
      best_options = last;
    }
  }
  if (best_options.find("huge=always") != std::string::npos || best_options.find("huge=within_size") != std::string::npos) return "";
  return "the tmpfs at '" + best_point + "' is not mounted with huge=always or huge=within_size (options: " + best_options + ")";
}

}  // namespace lavaflow::pool
