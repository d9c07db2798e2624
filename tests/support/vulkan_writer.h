/* The application side of the Vulkan test: its own instance and device, importing an
 * exported opaque fd and writing it with a transfer (vkCmdFillBuffer), as a user's own
 * Vulkan code would; or a transfer on lavaflow's device into memory it maps. */
#ifndef LF_TEST_VULKAN_WRITER_H
#define LF_TEST_VULKAN_WRITER_H

#include <stdint.h>

/* Imports `fd` (ownership passes to Vulkan on success) as `size` bytes of memory type
 * `memory_type_index` on the device with `device_uuid`, and fills it with `pattern` on the GPU.
 * Returns 0, or -1 with a message in `error`. */
int vulkan_fill_imported(int fd, uint64_t size, uint32_t memory_type_index, const uint8_t device_uuid[16],
                         uint32_t pattern, char error[256]);

/* Fills `size` bytes of `memory` (a VkDeviceMemory of `handle_types`) with `pattern` on queue
 * family 0 of `device` — lavaflow's own VkDevice, from lf_buffer_get_vulkan_info(), as an
 * application submitting its work there would. Returns 0, or -1 with a message in `error`. */
int vulkan_fill_on_device(void *device, uint64_t memory, uint64_t size, uint32_t handle_types, uint32_t pattern,
                          char error[256]);

#endif
