#include "topo/topology.hpp"

#include "core/checksum.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"

#include <cerrno>
#include <cstring>
#include <pthread.h>
#include <sched.h>

namespace lavaflow::topo {

using core::Bitmap;
using core::fail;

namespace {

// Owns an hwloc bitmap.
class HwlocBitmap {
 public:
  HwlocBitmap() : bitmap_(hwloc_bitmap_alloc()) {
    if (bitmap_ == nullptr) throw std::bad_alloc();
  }
  ~HwlocBitmap() { hwloc_bitmap_free(bitmap_); }
  HwlocBitmap(const HwlocBitmap &) = delete;
  HwlocBitmap &operator=(const HwlocBitmap &) = delete;
  hwloc_bitmap_t get() const noexcept { return bitmap_; }

 private:
  hwloc_bitmap_t bitmap_;
};

hwloc_obj_type_t hwloc_type(int32_t type) {
  switch (type) {
    case LF_TOPOLOGY_MACHINE: return HWLOC_OBJ_MACHINE;
    case LF_TOPOLOGY_PACKAGE: return HWLOC_OBJ_PACKAGE;
    case LF_TOPOLOGY_NUMA_NODE: return HWLOC_OBJ_NUMANODE;
    case LF_TOPOLOGY_CORE: return HWLOC_OBJ_CORE;
    case LF_TOPOLOGY_PU: return HWLOC_OBJ_PU;
    case LF_TOPOLOGY_PCI_DEVICE: return HWLOC_OBJ_PCI_DEVICE;
    default: fail(LF_ERR_INVALID_ARGUMENT, "unknown topology object type %d", type);
  }
}

uint32_t index_or_none(unsigned index) {
  return index == HWLOC_UNKNOWN_INDEX ? LF_TOPOLOGY_INDEX_NONE : static_cast<uint32_t>(index);
}

const char *pci_class_name(unsigned class_id) {
  switch (class_id >> 8) {
    case 0x01: return "Storage";
    case 0x02: return "Network";
    case 0x03: return (class_id == 0x0302) ? "3D controller" : "Display";
    case 0x04: return "Multimedia";
    case 0x06: return "Bridge";
    case 0x0b: return "Processor";
    case 0x0c: return "Serial bus";
    case 0x12: return "Accelerator";
    default: return "PCI device";
  }
}

// "Ethernet (eth0)" style description from hwloc's info attributes and OS devices.
std::string pci_name(hwloc_obj_t obj) {
  std::string name;
  const char *vendor = hwloc_obj_get_info_by_name(obj, "PCIVendor");
  const char *device = hwloc_obj_get_info_by_name(obj, "PCIDevice");
  if (vendor != nullptr && device != nullptr)
    name = core::format_text("%s %s", vendor, device);
  else
    name = pci_class_name(obj->attr->pcidev.class_id);
  std::string os_devices;
  for (hwloc_obj_t child = obj->io_first_child; child != nullptr; child = child->next_sibling) {
    if (child->type != HWLOC_OBJ_OS_DEVICE || child->name == nullptr) continue;
    if (!os_devices.empty()) os_devices += ", ";
    os_devices += child->name;
  }
  if (!os_devices.empty()) name += " (" + os_devices + ")";
  return name;
}

Bitmap affinity(lf_binding_target_t target) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (target == LF_BINDING_THREAD) {
    int rc = pthread_getaffinity_np(pthread_self(), sizeof set, &set);
    if (rc != 0) core::fail_errno(rc, "pthread_getaffinity_np");
  } else if (sched_getaffinity(0, sizeof set, &set) != 0) {
    core::fail_errno(errno, "sched_getaffinity");
  }
  Bitmap out;
  for (int i = 0; i < CPU_SETSIZE; ++i)
    if (CPU_ISSET(i, &set)) out.set(static_cast<uint32_t>(i));
  return out;
}

// hwloc loads its plugins with the first topology and unloads them with the last; each
// unload of the PCI plugin loses libpciaccess's state (about 1 KiB), so a program creating
// and destroying contexts in a loop would leak on every cycle. One topology that is never
// destroyed keeps the plugins loaded for the life of the process.
hwloc_topology_t g_component_holder = nullptr;  // intentionally never destroyed

void keep_hwloc_components_loaded() {
  static const bool held = hwloc_topology_init(&g_component_holder) == 0;
  (void)held;
}

}  // namespace

const char *object_type_name(int32_t type) noexcept {
  switch (type) {
    case LF_TOPOLOGY_MACHINE: return "machine";
    case LF_TOPOLOGY_PACKAGE: return "package";
    case LF_TOPOLOGY_NUMA_NODE: return "numa_node";
    case LF_TOPOLOGY_CORE: return "core";
    case LF_TOPOLOGY_PU: return "pu";
    case LF_TOPOLOGY_PCI_DEVICE: return "pci_device";
    default: return "unknown";
  }
}

Bitmap from_hwloc(hwloc_const_bitmap_t bitmap) {
  Bitmap out;
  if (bitmap == nullptr) return out;
  for (int i = hwloc_bitmap_first(bitmap); i != -1 && i <= static_cast<int>(Bitmap::kMaxIndex);
       i = hwloc_bitmap_next(bitmap, i))
    out.set(static_cast<uint32_t>(i));
  return out;
}

Topology::Topology(TopologySource source) : source_(std::move(source)) {
  keep_hwloc_components_loaded();
  if (hwloc_topology_init(&topology_) != 0) core::fail_errno(errno, "hwloc_topology_init");
  // Every process on a host must see the same whole machine, whatever cgroup cpuset it
  // is confined to; its own binding is what tells them apart.
  hwloc_topology_set_flags(topology_, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED);
  hwloc_topology_set_io_types_filter(topology_, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
  int rc = 0;
  if (source_.kind == LF_TOPOLOGY_SOURCE_SYNTHETIC) {
    rc = hwloc_topology_set_synthetic(topology_, source_.argument.c_str());
    if (rc != 0) {
      hwloc_topology_destroy(topology_);
      fail(LF_ERR_CORRUPT, "hwloc rejected the synthetic topology \"%s\" (%s)", source_.argument.c_str(),
           source_.origin.c_str());
    }
  } else if (source_.kind == LF_TOPOLOGY_SOURCE_XML) {
    rc = hwloc_topology_set_xml(topology_, source_.argument.c_str());
    if (rc != 0) {
      int saved = errno;
      hwloc_topology_destroy(topology_);
      fail(LF_ERR_CORRUPT, "hwloc cannot use the XML topology '%s' (%s): %s", source_.argument.c_str(),
           source_.origin.c_str(), std::strerror(saved));
    }
  }
  if (hwloc_topology_load(topology_) != 0) {
    int saved = errno;
    hwloc_topology_destroy(topology_);
    if (source_.kind == LF_TOPOLOGY_SOURCE_SYSTEM)
      core::fail_errno(saved, "hwloc_topology_load (system)");
    fail(LF_ERR_CORRUPT, "hwloc cannot load the topology %s: %s", source_.describe().c_str(), std::strerror(saved));
  }
  is_this_system_ = hwloc_topology_is_thissystem(topology_) != 0;
  complete_cpuset_ = from_hwloc(hwloc_topology_get_complete_cpuset(topology_));
  numa_node_set_ = from_hwloc(hwloc_topology_get_complete_nodeset(topology_));
  digest_ = compute_digest();
}

Topology::~Topology() { hwloc_topology_destroy(topology_); }

uint64_t Topology::compute_digest() const {
  // The structure only (which PUs belong to which NUMA node and package), so that every
  // process of one machine computes the same value whatever its binding.
  core::Fnv1a64 hash;
  for (int32_t type : {LF_TOPOLOGY_PACKAGE, LF_TOPOLOGY_NUMA_NODE}) {
    hash.add_u64(static_cast<uint64_t>(type));
    uint32_t n = count(type);
    for (uint32_t i = 0; i < n; ++i) {
      hwloc_obj_t obj = object_at(type, i);
      hash.add_u64(obj->os_index);
      hash.add(from_hwloc(obj->cpuset).to_list());
    }
  }
  hash.add(complete_cpuset_.to_list());
  return hash.value();
}

uint32_t Topology::count(int32_t type) const {
  int n = hwloc_get_nbobjs_by_type(topology_, hwloc_type(type));
  return n < 0 ? 0 : static_cast<uint32_t>(n);
}

hwloc_obj_t Topology::object_at(int32_t type, uint32_t logical_index) const {
  hwloc_obj_t obj = hwloc_get_obj_by_type(topology_, hwloc_type(type), logical_index);
  if (obj == nullptr)
    fail(LF_ERR_NOT_FOUND, "the topology has %u %s object(s); index %u does not exist", count(type),
         object_type_name(type), logical_index);
  return obj;
}

void Topology::info(lf_topology_info_t &out) const noexcept {
  out.source_kind = source_.kind;
  out.packages = count(LF_TOPOLOGY_PACKAGE);
  out.numa_nodes = count(LF_TOPOLOGY_NUMA_NODE);
  out.cores = count(LF_TOPOLOGY_CORE);
  out.pus = count(LF_TOPOLOGY_PU);
  out.pci_devices = count(LF_TOPOLOGY_PCI_DEVICE);
  out.is_this_system = is_this_system_ ? 1 : 0;
  hwloc_obj_t root = hwloc_get_root_obj(topology_);
  out.total_memory_bytes = root->total_memory;
  out.digest = digest_;
}

void Topology::object(int32_t type, uint32_t logical_index, lf_topology_object_t &out) const {
  hwloc_obj_t obj = object_at(type, logical_index);
  out.type = type;
  out.logical_index = obj->logical_index;
  out.os_index = index_or_none(obj->os_index);
  out.package = LF_TOPOLOGY_INDEX_NONE;
  out.numa_node = LF_TOPOLOGY_INDEX_NONE;
  out.flags = 0;
  out.memory_bytes = 0;
  out.pci_domain = out.pci_bus = out.pci_device = out.pci_function = 0;
  out.pci_vendor_id = out.pci_device_id = out.pci_class_id = 0;
  out.reserved0 = 0;
  std::memset(out.name, 0, sizeof out.name);

  // I/O objects have no cpuset: their locality is that of their first normal ancestor.
  hwloc_obj_t located = hwloc_obj_type_is_io(obj->type) ? hwloc_get_non_io_ancestor_obj(topology_, obj) : obj;
  out.pu_count = located->cpuset ? static_cast<uint32_t>(hwloc_bitmap_weight(located->cpuset)) : 0;
  if (hwloc_obj_t package = hwloc_get_ancestor_obj_by_type(topology_, HWLOC_OBJ_PACKAGE, located))
    out.package = package->logical_index;
  else if (located->type == HWLOC_OBJ_PACKAGE)
    out.package = located->logical_index;
  if (obj->type == HWLOC_OBJ_NUMANODE)
    out.numa_node = obj->os_index;
  else if (located->cpuset != nullptr)
    out.numa_node = preferred_numa_node(from_hwloc(located->cpuset));

  std::string name;
  switch (obj->type) {
    case HWLOC_OBJ_NUMANODE:
      out.memory_bytes = obj->attr->numanode.local_memory;
      break;
    case HWLOC_OBJ_MACHINE:
      out.memory_bytes = obj->total_memory;
      if (const char *product = hwloc_obj_get_info_by_name(obj, "DMIProductName")) name = product;
      break;
    case HWLOC_OBJ_PACKAGE:
      if (const char *model = hwloc_obj_get_info_by_name(obj, "CPUModel")) name = model;
      break;
    case HWLOC_OBJ_PCI_DEVICE: {
      const auto &pci = obj->attr->pcidev;
      out.pci_domain = pci.domain;
      out.pci_bus = pci.bus;
      out.pci_device = pci.dev;
      out.pci_function = pci.func;
      out.pci_vendor_id = pci.vendor_id;
      out.pci_device_id = pci.device_id;
      out.pci_class_id = pci.class_id;
      if ((pci.class_id >> 8) == 0x03) out.flags |= LF_TOPOLOGY_OBJECT_GPU;
      name = pci_name(obj);
      break;
    }
    default:
      break;
  }
  std::snprintf(out.name, sizeof out.name, "%s", name.c_str());
}

Bitmap Topology::cpuset(int32_t type, uint32_t logical_index) const {
  hwloc_obj_t obj = object_at(type, logical_index);
  if (hwloc_obj_type_is_io(obj->type)) obj = hwloc_get_non_io_ancestor_obj(topology_, obj);
  return from_hwloc(obj->cpuset);
}

Bitmap Topology::binding(int32_t requested) const {
  if (requested != LF_BINDING_PROCESS && requested != LF_BINDING_THREAD)
    fail(LF_ERR_INVALID_ARGUMENT, "binding target %d is neither LF_BINDING_PROCESS nor LF_BINDING_THREAD", requested);
  const auto target = static_cast<lf_binding_target_t>(requested);  // (only now: a cast of any other int is undefined)
  if (is_this_system_) {
    HwlocBitmap set;
    int flags = target == LF_BINDING_THREAD ? HWLOC_CPUBIND_THREAD : HWLOC_CPUBIND_PROCESS;
    if (hwloc_get_cpubind(topology_, set.get(), flags) == 0) return from_hwloc(set.get());
    // Some kernels refuse the per-thread walk of a process binding: ask the scheduler.
  }
  // A synthetic or XML topology describes another machine: keep the PUs of our real
  // affinity that exist in it, by OS index.
  Bitmap real = affinity(target);
  Bitmap inside = real.intersection(complete_cpuset_);
  if (inside.empty())
    fail(LF_ERR_INVALID_ARGUMENT,
         "this %s may run on PUs %s, none of which exist in the topology %s (PUs %s); give an explicit cpuset",
         target == LF_BINDING_THREAD ? "thread" : "process", real.to_list().c_str(), source_.describe().c_str(),
         complete_cpuset_.to_list().c_str());
  return inside;
}

Bitmap Topology::numa_nodes_of(const Bitmap &set) const {
  Bitmap out;
  uint32_t n = count(LF_TOPOLOGY_NUMA_NODE);
  for (uint32_t i = 0; i < n; ++i) {
    hwloc_obj_t node = object_at(LF_TOPOLOGY_NUMA_NODE, i);
    if (from_hwloc(node->cpuset).intersects(set)) out.set(node->os_index);
  }
  return out;
}

Bitmap Topology::packages_of(const Bitmap &set) const {
  Bitmap out;
  uint32_t n = count(LF_TOPOLOGY_PACKAGE);
  for (uint32_t i = 0; i < n; ++i)
    if (from_hwloc(object_at(LF_TOPOLOGY_PACKAGE, i)->cpuset).intersects(set)) out.set(i);
  return out;
}

Bitmap Topology::numa_nodes_containing(const Bitmap &set) const {
  Bitmap out;
  if (set.empty()) return out;
  const uint32_t n = count(LF_TOPOLOGY_NUMA_NODE);
  for (uint32_t i = 0; i < n; ++i) {
    hwloc_obj_t node = object_at(LF_TOPOLOGY_NUMA_NODE, i);
    if (set.is_subset_of(from_hwloc(node->cpuset))) out.set(node->os_index);
  }
  return out;
}

Bitmap Topology::packages_containing(const Bitmap &set) const {
  Bitmap out;
  if (set.empty()) return out;
  const uint32_t n = count(LF_TOPOLOGY_PACKAGE);
  for (uint32_t i = 0; i < n; ++i)
    if (set.is_subset_of(from_hwloc(object_at(LF_TOPOLOGY_PACKAGE, i)->cpuset))) out.set(i);
  return out;
}

Bitmap Topology::nearest_numa_nodes(const Bitmap &set) const {
  Bitmap out;
  if (set.empty()) return out;
  uint32_t fewest = UINT32_MAX;
  const uint32_t n = count(LF_TOPOLOGY_NUMA_NODE);
  for (uint32_t i = 0; i < n; ++i) {
    hwloc_obj_t node = object_at(LF_TOPOLOGY_NUMA_NODE, i);
    const Bitmap pus = from_hwloc(node->cpuset);
    if (!set.is_subset_of(pus)) continue;
    const uint32_t size = pus.count();
    if (size < fewest) {
      out = Bitmap();
      fewest = size;
    }
    if (size == fewest) out.set(node->os_index);
  }
  return out;
}

uint32_t Topology::preferred_numa_node(const Bitmap &set) const {
  const Bitmap nearest = nearest_numa_nodes(set);
  if (nearest.empty()) return LF_TOPOLOGY_INDEX_NONE;
  for (uint32_t index : nearest.indices()) {  // (ascending)
    hwloc_obj_t node = hwloc_get_numanode_obj_by_os_index(topology_, index);
    if (node != nullptr && node->subtype == nullptr) return index;
  }
  return nearest.first();
}

}  // namespace lavaflow::topo
