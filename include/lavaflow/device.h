/**
 * @file device.h
 * @brief Vulkan devices, and the Vulkan handles behind device buffers.
 *
 * lavaflow loads the Vulkan loader (`libvulkan.so.1`) at run time, the first time a context
 * needs a device; a program linked with lavaflow does not need Vulkan installed. Without a
 * loader, a driver (ICD), or a needed feature, these calls return `LF_ERR_UNSUPPORTED` and
 * the message says which. Devices are numbered in the order Vulkan enumerates them.
 *
 * Device buffers are allocated with lf_buffer_create() (`kind = LF_MEMORY_DEVICE`) as memory
 * exportable as an opaque fd (and as a DMA-BUF where the driver offers it compatibly), so
 * that other processes (lf_buffer_send()), and CUDA (`cuImportExternalMemory` with
 * `CU_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD`) or OpenCL in this process, can import it.
 */
#ifndef LAVAFLOW_DEVICE_H
#define LAVAFLOW_DEVICE_H

#include <stdint.h>

#include "context.h"
#include "export.h"
#include "memory.h"
#include "status.h"

/**
 * @addtogroup memory
 * @{
 */

/** Device types (Vulkan's `VkPhysicalDeviceType`, plus 0 for other). */
typedef enum lf_device_type {
  LF_DEVICE_OTHER = 0,      /**< another kind of device */
  LF_DEVICE_INTEGRATED = 1, /**< an integrated GPU */
  LF_DEVICE_DISCRETE = 2,   /**< a discrete GPU */
  LF_DEVICE_VIRTUAL = 3,    /**< a virtual GPU */
  LF_DEVICE_CPU = 4         /**< a CPU implementation (e.g. Mesa's lavapipe) */
} lf_device_type_t;

/** Bits of ::lf_device_info_t::flags. */
enum lf_device_flag {
  LF_DEVICE_EXPORT_OPAQUE_FD = 1u << 0, /**< memory can be exported as an opaque fd (lavaflow needs this) */
  LF_DEVICE_EXPORT_DMA_BUF = 1u << 1,   /**< memory can also be exported as a DMA-BUF */
  LF_DEVICE_PCI_KNOWN = 1u << 2,        /**< the PCI address is known (VK_EXT_pci_bus_info) */
  LF_DEVICE_NUMA_KNOWN = 1u << 3,       /**< the NUMA node is known (PCI address matched in hwloc) */
  LF_DEVICE_EXPORT_TIMELINE_SEMAPHORE = 1u << 4, /**< timeline semaphores export as opaque fds (`LF_SEMAPHORE_VULKAN` works) */
  LF_DEVICE_MAPS_HOST_MEMORY = 1u << 5  /**< host memory can be mapped into it (`LF_BUFFER_FLAG_DEVICE_MAPPED` works) */
};

/**
 * A Vulkan device. Set `struct_size = sizeof(lf_device_info_t)` before the call; the library
 * fills in at most that many bytes.
 */
typedef struct lf_device_info {
  uint32_t struct_size;     /**< in: sizeof(lf_device_info_t) as the caller knows it */
  uint32_t index;           /**< index in enumeration order */
  int32_t type;             /**< an ::lf_device_type_t value */
  uint32_t flags;           /**< bitwise OR of ::lf_device_flag values */
  uint32_t vendor_id;       /**< PCI vendor id (0x10de NVIDIA, 0x1002 AMD, 0x8086 Intel, 0x10005 Mesa) */
  uint32_t device_id;       /**< vendor's device id */
  uint32_t api_version;     /**< Vulkan version the device supports (VK_MAKE_API_VERSION encoding) */
  uint32_t driver_version;  /**< driver version (vendor encoding) */
  uint8_t device_uuid[16];  /**< identifies the device across processes and APIs */
  uint8_t driver_uuid[16];  /**< opaque fds import only into a device with the same driver UUID */
  uint32_t pci_domain;      /**< PCI address, if `LF_DEVICE_PCI_KNOWN` */
  uint32_t pci_bus;         /**< PCI bus */
  uint32_t pci_device;      /**< PCI device */
  uint32_t pci_function;    /**< PCI function */
  uint32_t numa_node;       /**< OS index of its NUMA node, or ::LF_TOPOLOGY_INDEX_NONE */
  uint32_t memory_type_count; /**< Vulkan memory types */
  uint64_t device_local_bytes; /**< size of its largest device-local heap */
  char name[256];           /**< the device's name, NUL-terminated */
} lf_device_info_t;

/**
 * The Vulkan objects behind a device buffer, for use in the application's own Vulkan code.
 * Set `struct_size = sizeof(lf_vulkan_memory_info_t)` before the call.
 *
 * The handles are borrowed: lavaflow owns them and they stay valid while the buffer lives.
 * The application must not free the memory; it may bind its own `VkBuffer`/`VkImage` to it
 * through `device`, or import an fd from lf_buffer_export_fd() into its own device (which
 * must have the same device and driver UUIDs and use `memory_type_index`).
 */
typedef struct lf_vulkan_memory_info {
  uint32_t struct_size;           /**< in: sizeof(lf_vulkan_memory_info_t) as the caller knows it */
  uint32_t memory_type_index;     /**< the Vulkan memory type of the allocation */
  uint32_t memory_property_flags; /**< its `VkMemoryPropertyFlags` */
  uint32_t handle_types;          /**< `VkExternalMemoryHandleTypeFlags` it can be exported as */
  uint64_t allocation_size;       /**< bytes allocated (`VkMemoryAllocateInfo::allocationSize`) */
  void *instance;                 /**< `VkInstance` */
  void *physical_device;          /**< `VkPhysicalDevice` */
  void *device;                   /**< `VkDevice` */
  uint64_t memory;                /**< `VkDeviceMemory` */
  uint8_t device_uuid[16];        /**< the device's UUID */
  uint8_t driver_uuid[16];        /**< the driver's UUID */
} lf_vulkan_memory_info_t;

LF_EXTERN_C_BEGIN

/**
 * Number of Vulkan devices. Loads Vulkan on the first call for this context.
 * @param context the context (borrowed)
 * @param[out] out_count written on success
 * @return `LF_OK`; `LF_ERR_UNSUPPORTED` when lavaflow was built without Vulkan headers, the
 *         loader is not installed, or no driver is (the message says which).
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_device_count(lf_context_t *context, uint32_t *out_count);

/**
 * One Vulkan device.
 * @param context the context (borrowed)
 * @param index 0..count-1
 * @param[out] out_info caller-provided struct with `struct_size` set; written on success
 * @return `LF_OK`; `LF_ERR_NOT_FOUND` for an index out of range; `LF_ERR_UNSUPPORTED`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_device_get_info(lf_context_t *context, uint32_t index, lf_device_info_t *out_info);

/**
 * The Vulkan objects behind a device buffer.
 * @param buffer a device buffer (borrowed)
 * @param[out] out_info caller-provided struct with `struct_size` set; written on success
 * @return `LF_OK`; `LF_ERR_INVALID_STATE` for a buffer that is not device memory.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_buffer_get_vulkan_info(const lf_buffer_t *buffer, lf_vulkan_memory_info_t *out_info);

/**
 * The name of a device type ("other", "integrated", "discrete", "virtual", "cpu"). Static text.
 * @return static text (borrowed; never NULL); "other" for values it does not know.
 * @threadsafety Any thread, concurrently.
 */
LF_API const char *lf_device_type_name(int32_t type);

LF_EXTERN_C_END

/** @} */

#endif /* LAVAFLOW_DEVICE_H */
