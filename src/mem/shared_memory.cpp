#include "mem/shared_memory.hpp"

#include "core/error.hpp"
#include "core/strings.hpp"
#include "core/unique_fd.hpp"
#include "ipc/user_dir.hpp"
#include "mem/host_memory.hpp"
#include "mem/mapping.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lavaflow::mem {

using core::fail;
using core::UniqueFd;

namespace {

constexpr int kSizeSeals = F_SEAL_SHRINK | F_SEAL_GROW;

class SharedMemory final : public Memory {
 public:
  SharedMemory() { kind = requested_kind = LF_MEMORY_SHARED; }
  ~SharedMemory() override {
    if (host != nullptr) munmap(host, mapped_size);
    if (!owned_path.empty()) unlink(owned_path.c_str());  // the creator owns the name
  }
  int export_fd() const override {
    int copy = fcntl(fd.get(), F_DUPFD_CLOEXEC, 0);
    if (copy < 0) core::fail_errno(errno, "duplicating the shared memory fd");
    return copy;
  }
  ExportDescriptor describe_export() const override {
    ExportDescriptor d;
    d.kind = LF_MEMORY_SHARED;
    d.size = file_size;
    d.usable = size;
    return d;
  }

  UniqueFd fd;
  uint64_t file_size = 0;
  std::string path;        // named buffers: where the name lives
  std::string owned_path;  // the creator's: removed on destruction

 protected:
  std::string describe() const override {
    const char *read_only = (flags & LF_BUFFER_READ_ONLY) ? ", mapped read-only" : "";
    if ((flags & LF_BUFFER_IMPORTED) && (flags & LF_BUFFER_NAMED))
      return "opened named shared memory " + path + ", " + format_size(file_size) + read_only;
    if (flags & LF_BUFFER_IMPORTED)
      return "imported shared memory, " + format_size(file_size) + " (memfd sealed against shrinking and growing)" + read_only;
    if (flags & LF_BUFFER_NAMED) return "shared memory, " + format_size(size) + ", named " + path;
    return "shared memory, " + format_size(size) + " (memfd, size sealed)";
  }
};

void *map_shared(int fd, uint64_t length, bool read_only) {
  void *p = mmap(nullptr, length, read_only ? PROT_READ : PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) core::fail_errno(errno, "mmap(MAP_SHARED) of %s", format_size(length).c_str());
  return p;
}

// Maps a validated memory file another process (or name) gave us.
MemoryPtr map_imported(UniqueFd fd, uint64_t file_size, bool read_only, uint32_t flags, std::string path = {}) {
  auto memory = std::make_unique<SharedMemory>();
  memory->fd = std::move(fd);
  memory->file_size = file_size;
  memory->size = file_size;
  memory->mapped_size = round_up(file_size, page_size());
  memory->page_size = page_size();
  memory->alignment = memory->page_size;
  memory->host = map_shared(memory->fd.get(), memory->mapped_size, read_only);
  memory->flags |= flags | LF_BUFFER_IMPORTED | LF_BUFFER_EXPORTABLE | (read_only ? uint32_t{LF_BUFFER_READ_ONLY} : 0u);
  memory->path = std::move(path);
  return memory;
}

const char *file_type(mode_t mode) {
  if (S_ISFIFO(mode)) return "a pipe";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

}  // namespace

MemoryPtr allocate_shared(const topo::Topology *topology, const std::string &base_dir, const AllocationRequest &request,
                          const NodePolicy &policy) {
  check_alignment(request.alignment);
  const uint64_t page = page_size();
  if (request.alignment > page)
    fail(LF_ERR_INVALID_ARGUMENT, "shared memory is mapped at page boundaries: alignment %llu exceeds the page size %zu",
         static_cast<unsigned long long>(request.alignment), page);
  const HugePagePlan plan = plan_huge_pages(request.huge_pages, request.size, true);
  auto memory = std::make_unique<SharedMemory>();
  std::string huge_note = plan.skipped;

  if (!request.name.empty()) {
    // A named buffer: a regular file in the per-user directory. Regular tmpfs files cannot
    // be sealed, so they are shared by name (owner and mode checked by the opener).
    if (plan.require_hugetlb) fail(LF_ERR_UNSUPPORTED, "named shared buffers cannot use hugetlbfs pages");
    ipc::validate_name(request.name, "buffer name");
    UniqueFd dir = ipc::open_user_dir(base_dir, request.name_folder, true);
    std::string path = ipc::user_dir_path(base_dir, request.name_folder) + "/" + request.name;
    UniqueFd fd(openat(dir.get(), request.name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) {
      if (errno == EEXIST) fail(LF_ERR_EXISTS, "a shared buffer named '%s' already exists (%s)", request.name.c_str(), path.c_str());
      core::fail_errno(errno, "creating '%s'", path.c_str());
    }
    memory->owned_path = path;  // from here on, the destructor removes it
    if (fchmod(fd.get(), 0600) != 0 || ftruncate(fd.get(), static_cast<off_t>(request.size)) != 0)
      core::fail_errno(errno, "sizing '%s'", path.c_str());
    memory->fd = std::move(fd);
    memory->file_size = request.size;
    memory->mapped_size = round_up(request.size, page);
    memory->page_size = page;
    memory->flags |= LF_BUFFER_NAMED;
    memory->path = path;
    if (plan.try_hugetlb) huge_note = "huge pages preferred: named buffers use normal pages";
  } else {
    if (plan.try_hugetlb) {
      UniqueFd fd(memfd_create("lavaflow-buffer", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB));
      uint64_t length = round_up(request.size, plan.huge_page_size);
      int error = fd ? 0 : errno;
      if (fd && ftruncate(fd.get(), static_cast<off_t>(length)) != 0) error = errno;
      void *p = nullptr;
      if (fd && error == 0) {
        p = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd.get(), 0);
        if (p == MAP_FAILED) {
          error = errno;
          p = nullptr;
        }
      }
      if (p != nullptr) {
        memory->fd = std::move(fd);
        memory->host = p;
        memory->file_size = length;
        memory->mapped_size = length;
        memory->page_size = plan.huge_page_size;
        memory->flags |= LF_BUFFER_HUGETLB;
        huge_note = "got " + format_size(plan.huge_page_size) + " hugetlbfs pages (memfd)";
      } else if (plan.require_hugetlb) {
        fail_required_huge_pages(plan, request.size, error);
      } else {
        huge_note = "huge pages preferred: " + hugetlb_shortage(plan);
      }
    }
    if (!memory->fd) {
      UniqueFd fd(memfd_create("lavaflow-buffer", MFD_CLOEXEC | MFD_ALLOW_SEALING));
      if (!fd) core::fail_errno(errno, "memfd_create");
      if (ftruncate(fd.get(), static_cast<off_t>(request.size)) != 0) core::fail_errno(errno, "ftruncate(memfd, %llu)", static_cast<unsigned long long>(request.size));
      memory->fd = std::move(fd);
      memory->file_size = request.size;
      memory->mapped_size = round_up(request.size, page);
      memory->page_size = page;
    }
    // Sealed size: an importer can map it without fearing a truncation (SIGBUS).
    if (fcntl(memory->fd.get(), F_ADD_SEALS, kSizeSeals | F_SEAL_SEAL) != 0) core::fail_errno(errno, "sealing the memfd");
    memory->flags |= LF_BUFFER_SEALED;
  }

  if (memory->host == nullptr) memory->host = map_shared(memory->fd.get(), memory->mapped_size, false);
  if (!(memory->flags & LF_BUFFER_HUGETLB) && plan.try_hugetlb) {
    if (plan.try_thp && madvise(memory->host, memory->mapped_size, MADV_HUGEPAGE) == 0) {
      memory->flags |= LF_BUFFER_THP;
      huge_note += "; got transparent huge pages for shared memory (madvise, shmem THP '" + plan.facts.shmem_thp_mode + "')";
    } else {
      huge_note += "; shared-memory THP is '" + plan.facts.shmem_thp_mode + "': normal pages";
    }
  }
  memory->alignment = memory->page_size;
  memory->flags |= LF_BUFFER_EXPORTABLE;
  finish_mapping(*memory, topology, policy, request.flags, std::move(huge_note));
  return memory;
}

MemoryPtr import_shared_fd(int fd, uint64_t expected_size, bool read_only) {
  if (fd < 0 || fcntl(fd, F_GETFD) < 0) fail(LF_ERR_INVALID_ARGUMENT, "fd %d is not an open file descriptor", fd);
  struct stat st {};
  if (fstat(fd, &st) != 0) core::fail_errno(errno, "fstat(fd %d)", fd);
  if (!S_ISREG(st.st_mode)) fail(LF_ERR_INVALID_ARGUMENT, "fd %d is %s, not shared memory", fd, file_type(st.st_mode));
  int seals = fcntl(fd, F_GET_SEALS);
  if (seals < 0) fail(LF_ERR_INVALID_ARGUMENT, "fd %d is a file that cannot be sealed (not a memfd): refused", fd);
  if ((seals & kSizeSeals) != kSizeSeals)
    fail(LF_ERR_INVALID_ARGUMENT,
         "fd %d is a memfd whose size is not sealed (seals 0x%x): its owner could shrink it and crash us: refused", fd,
         seals);
  if (st.st_size <= 0) fail(LF_ERR_INVALID_ARGUMENT, "fd %d is empty", fd);
  if (expected_size != 0 && static_cast<uint64_t>(st.st_size) != expected_size)
    fail(LF_ERR_INVALID_ARGUMENT, "fd %d is %lld bytes, expected %llu", fd, static_cast<long long>(st.st_size),
         static_cast<unsigned long long>(expected_size));
  UniqueFd copy(fcntl(fd, F_DUPFD_CLOEXEC, 0));
  if (!copy) core::fail_errno(errno, "duplicating fd %d", fd);
  return map_imported(std::move(copy), static_cast<uint64_t>(st.st_size), read_only, LF_BUFFER_SEALED);
}

MemoryPtr open_named_shared(const std::string &base_dir, const std::string &name, uint64_t expected_size, bool read_only,
                            const char *folder) {
  ipc::validate_name(name, "buffer name");
  UniqueFd dir = ipc::open_user_dir(base_dir, folder, false);
  std::string path = ipc::user_dir_path(base_dir, folder) + "/" + name;
  // O_NONBLOCK: a FIFO planted under the name must not hang the open (fstat refuses it next).
  UniqueFd fd(openat(dir.get(), name.c_str(), (read_only ? O_RDONLY : O_RDWR) | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!fd) {
    if (errno == ELOOP) fail(LF_ERR_PERMISSION, "'%s' is a symlink: refused", path.c_str());
    core::fail_errno(errno, "opening '%s'", path.c_str());
  }
  struct stat st = ipc::check_private_file(fd.get(), path, expected_size);
  return map_imported(std::move(fd), static_cast<uint64_t>(st.st_size), read_only, LF_BUFFER_NAMED, path);
}

}  // namespace lavaflow::mem
