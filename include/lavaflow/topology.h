/**
 * @file topology.h
 * @brief The hardware topology a context sees: packages, NUMA nodes, cores, PUs, PCI devices.
 *
 * The topology is loaded once by lf_context_create() (from this machine, an hwloc XML file
 * or a synthetic description, see ::lf_context_params_t::topology) and never changes.
 * All functions here are thread-safe. Objects of one type are numbered by their logical
 * index, 0..count-1, in topology order (hwloc's logical indices).
 */
#ifndef LAVAFLOW_TOPOLOGY_H
#define LAVAFLOW_TOPOLOGY_H

#include <stddef.h>
#include <stdint.h>

#include "context.h"
#include "export.h"
#include "status.h"

/**
 * @addtogroup scope
 * @{
 */

/** Object types. */
typedef enum lf_topology_object_type {
  LF_TOPOLOGY_MACHINE = 1,   /**< the whole machine (exactly one) */
  LF_TOPOLOGY_PACKAGE = 2,   /**< a processor package (socket) */
  LF_TOPOLOGY_NUMA_NODE = 3, /**< a NUMA node: memory with its locality */
  LF_TOPOLOGY_CORE = 4,      /**< a core */
  LF_TOPOLOGY_PU = 5,        /**< a processing unit (hardware thread) */
  LF_TOPOLOGY_PCI_DEVICE = 6 /**< a PCI device hwloc considers important (GPU, NIC, storage) */
} lf_topology_object_type_t;

/** Index value meaning "unknown" or "none". */
#define LF_TOPOLOGY_INDEX_NONE UINT32_MAX

/** Where the topology came from (::lf_topology_info_t::source_kind). */
typedef enum lf_topology_source_kind {
  LF_TOPOLOGY_SOURCE_SYSTEM = 1,    /**< discovered on this machine */
  LF_TOPOLOGY_SOURCE_SYNTHETIC = 2, /**< an hwloc synthetic description */
  LF_TOPOLOGY_SOURCE_XML = 3        /**< an hwloc XML file */
} lf_topology_source_kind_t;

/** Bits of ::lf_topology_object_t::flags. */
enum lf_topology_object_flag {
  LF_TOPOLOGY_OBJECT_GPU = 1u << 0 /**< a PCI device of the display / 3D controller classes */
};

/**
 * Summary of the topology. Set `struct_size = sizeof(lf_topology_info_t)` before the call;
 * the library fills in at most that many bytes (so that programs built against older
 * headers keep working).
 */
typedef struct lf_topology_info {
  uint32_t struct_size;  /**< in: sizeof(lf_topology_info_t) as the caller knows it */
  int32_t source_kind;   /**< an ::lf_topology_source_kind_t value */
  uint32_t packages;     /**< number of packages */
  uint32_t numa_nodes;   /**< number of NUMA nodes */
  uint32_t cores;        /**< number of cores */
  uint32_t pus;          /**< number of PUs */
  uint32_t pci_devices;  /**< number of PCI devices listed (0 for synthetic topologies) */
  uint32_t is_this_system; /**< 1 if the topology describes the machine this process runs on */
  uint64_t total_memory_bytes; /**< memory of all NUMA nodes */
  uint64_t digest;       /**< hash of the structure; equal on all processes of one machine */
} lf_topology_info_t;

/**
 * One object of the topology. Set `struct_size = sizeof(lf_topology_object_t)` before the
 * call; the library fills in at most that many bytes.
 */
typedef struct lf_topology_object {
  uint32_t struct_size;    /**< in: sizeof(lf_topology_object_t) as the caller knows it */
  int32_t type;            /**< an ::lf_topology_object_type_t value */
  uint32_t logical_index;  /**< index among objects of this type, 0..count-1 */
  uint32_t os_index;       /**< the operating system's index, or ::LF_TOPOLOGY_INDEX_NONE */
  uint32_t package;        /**< logical index of the enclosing package, or ::LF_TOPOLOGY_INDEX_NONE */
  uint32_t numa_node;      /**< OS index of a nearest NUMA node (plain memory before a memory-side
                                node: see lf_topology_get_nearest_numa_nodes()); a NUMA node's
                                own index; ::LF_TOPOLOGY_INDEX_NONE when no node holds all its PUs */
  uint32_t pu_count;       /**< PUs in the object's cpuset (for PCI devices: PUs close to it) */
  uint32_t flags;          /**< bitwise OR of ::lf_topology_object_flag values */
  uint64_t memory_bytes;   /**< NUMA nodes: local memory; machine: all memory; others 0 */
  uint32_t pci_domain;     /**< PCI address (PCI devices only) */
  uint32_t pci_bus;        /**< PCI bus */
  uint32_t pci_device;     /**< PCI device */
  uint32_t pci_function;   /**< PCI function */
  uint32_t pci_vendor_id;  /**< PCI vendor id */
  uint32_t pci_device_id;  /**< PCI device id */
  uint32_t pci_class_id;   /**< PCI class (e.g. 0x0300 display, 0x0302 3D controller) */
  uint32_t reserved0;      /**< zero */
  /** Short description: the model for packages, "Ethernet (eth0)" for PCI devices;
   *  NUL-terminated, truncated to fit. */
  char name[96];
} lf_topology_object_t;

LF_EXTERN_C_BEGIN

/**
 * Summary of the context's topology.
 * @param context the context (borrowed)
 * @param[out] out_info caller-provided struct with `struct_size` set; written on success
 * @return `LF_OK`, `LF_ERR_INVALID_HANDLE`, or `LF_ERR_INVALID_ARGUMENT` (NULL or
 *         `struct_size` too small).
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_topology_get_info(const lf_context_t *context, lf_topology_info_t *out_info);

/**
 * Where the topology came from and why, e.g.
 * `synthetic "pack:2 numa:2 core:2 pu:1" (from LAVAFLOW_TOPOLOGY)`.
 * @param context the context (borrowed)
 * @param[out] out_text borrowed; valid while the context lives
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (NULL); `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_topology_get_source(const lf_context_t *context, const char **out_text);

/**
 * Number of objects of one type.
 * @param context the context (borrowed)
 * @param type an ::lf_topology_object_type_t value
 * @param[out] out_count written on success
 * @return `LF_OK`, `LF_ERR_INVALID_HANDLE`, or `LF_ERR_INVALID_ARGUMENT` for an unknown type.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_topology_count(const lf_context_t *context, int32_t type, uint32_t *out_count);

/**
 * One object, by type and logical index.
 * @param context the context (borrowed)
 * @param type an ::lf_topology_object_type_t value
 * @param logical_index 0..count-1
 * @param[out] out_object caller-provided struct with `struct_size` set; written on success
 * @return `LF_OK`; `LF_ERR_NOT_FOUND` if `logical_index` >= the count;
 *         `LF_ERR_INVALID_ARGUMENT` for an unknown type or a bad struct; `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_topology_get_object(const lf_context_t *context, int32_t type,
                                          uint32_t logical_index, lf_topology_object_t *out_object);

/**
 * The PUs of an object (for PCI devices: the PUs close to it) as a list of OS indices,
 * e.g. "0-3,8-11".
 *
 * Text outputs follow one rule throughout lavaflow: the text and its NUL are written to
 * `buffer` if `buffer_size` is large enough; otherwise the call returns
 * `LF_ERR_BUFFER_TOO_SMALL`. In both cases `*out_length` (if not NULL) receives the length
 * of the text without its NUL, so a caller can ask with `buffer_size` 0 and retry.
 * @param context the context (borrowed)
 * @param type an ::lf_topology_object_type_t value
 * @param logical_index 0..count-1
 * @param buffer caller-owned, may be NULL when `buffer_size` is 0
 * @param buffer_size bytes available at `buffer`
 * @param[out] out_length the text's length without its NUL (may be NULL)
 * @return `LF_OK`, `LF_ERR_BUFFER_TOO_SMALL`, `LF_ERR_NOT_FOUND`, `LF_ERR_INVALID_ARGUMENT`,
 *         `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_topology_get_cpuset(const lf_context_t *context, int32_t type,
                                          uint32_t logical_index, char *buffer,
                                          size_t buffer_size, size_t *out_length);

/**
 * The NUMA nodes nearest an object, as a list of OS indices (same text rules as
 * lf_topology_get_cpuset()): of the nodes whose PUs include all of the object's, those with
 * the fewest PUs. On machines with memory-side nodes — high-bandwidth memory (Knights
 * Landing, Sapphire Rapids HBM), CXL expanders, NVDIMM — a PU often has several, e.g. "0,4"
 * for a DRAM node and the HBM node of the same cluster; ::lf_topology_object_t::numa_node
 * names one of them (plain memory first). Empty text when no node holds all the object's
 * PUs (a package spanning several nodes; PUs no node covers). A NUMA node's own entry is
 * computed the same way and so includes itself.
 * @param context the context (borrowed)
 * @param type an ::lf_topology_object_type_t value
 * @param logical_index 0..count-1
 * @param buffer caller-owned, may be NULL when `buffer_size` is 0
 * @param buffer_size bytes available at `buffer`
 * @param[out] out_length the text's length without its NUL (may be NULL)
 * @return `LF_OK`, `LF_ERR_BUFFER_TOO_SMALL`, `LF_ERR_NOT_FOUND`, `LF_ERR_INVALID_ARGUMENT`,
 *         `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_topology_get_nearest_numa_nodes(const lf_context_t *context, int32_t type,
                                                      uint32_t logical_index, char *buffer,
                                                      size_t buffer_size, size_t *out_length);

/** Which binding lf_topology_get_binding() reports. */
typedef enum lf_binding_target {
  LF_BINDING_PROCESS = 1, /**< the whole process (all its threads) */
  LF_BINDING_THREAD = 2   /**< the calling thread */
} lf_binding_target_t;

/**
 * The PUs the calling process or thread may run on, as a list of OS indices (same text
 * rules as lf_topology_get_cpuset()). For a topology that is not this system (synthetic or
 * XML), the operating system's affinity is intersected with the topology's PUs.
 * @param context the context (borrowed)
 * @param target an ::lf_binding_target_t value
 * @param buffer caller-owned, may be NULL when `buffer_size` is 0
 * @param buffer_size bytes available at `buffer`
 * @param[out] out_length the text's length without its NUL (may be NULL)
 * @return `LF_OK`, `LF_ERR_BUFFER_TOO_SMALL`, `LF_ERR_SYSTEM`, `LF_ERR_INVALID_ARGUMENT`,
 *         `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_topology_get_binding(const lf_context_t *context, int32_t target,
                                           char *buffer, size_t buffer_size, size_t *out_length);

/**
 * The name of an object type ("machine", "package", "numa_node", "core", "pu", "pci_device"),
 * or "unknown". Static text.
 * @return static text (borrowed; never NULL).
 * @threadsafety Any thread, concurrently.
 */
LF_API const char *lf_topology_object_type_name(int32_t type);

LF_EXTERN_C_END

/** @} */

#endif /* LAVAFLOW_TOPOLOGY_H */
