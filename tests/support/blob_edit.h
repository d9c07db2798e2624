/* An independent reader/editor of identity blobs, written from the table in
 * docs/wire-formats.md (not from the library's code), so that tests check the documented
 * layout and can craft blobs that are invalid in exactly one field. */
#ifndef LF_TEST_BLOB_EDIT_H
#define LF_TEST_BLOB_EDIT_H

#include <stddef.h>
#include <stdint.h>

/* Documented offsets (docs/wire-formats.md, "Identity blob"). */
enum {
  BLOB_MAGIC = 0, BLOB_VERSION = 4, BLOB_HEADER_SIZE = 6, BLOB_TOTAL_SIZE = 8, BLOB_SECTION_COUNT = 12,
  BLOB_CRC = 16, BLOB_FLAGS = 20, BLOB_RESERVED = 24, BLOB_FIRST_SECTION = 32,
  /* host section payload */
  HOST_BOOT_ID = 0, HOST_MACHINE_ID = 16, HOST_HOSTNAME_LENGTH = 32, HOST_HOSTNAME = 34,
  /* process section payload */
  PROC_IPC_NS = 0, PROC_MNT_NS = 8, PROC_PID_NS = 16, PROC_NET_NS = 24, PROC_USER_NS = 32,
  PROC_BASE_DEVICE = 40, PROC_BASE_INODE = 48, PROC_START_TIME = 56, PROC_UID = 64, PROC_GID = 68,
  PROC_PID = 72, PROC_PTRACE_SCOPE = 76, PROC_FLAGS = 80, PROC_BASE_DIR_LENGTH = 84, PROC_BASE_DIR = 86,
  /* location section payload */
  LOC_DIGEST = 0, LOC_SOURCE = 8, LOC_CPU_WORDS = 12, LOC_NUMA_WORDS = 16, LOC_PACKAGE_WORDS = 20,
  LOC_LOCAL_NUMA_WORDS = 24, LOC_LOCAL_PACKAGE_WORDS = 28, LOC_WORDS = 32
};

uint32_t blob_crc32(const uint8_t *data, size_t size);
uint16_t blob_get16(const uint8_t *p);
uint32_t blob_get32(const uint8_t *p);
uint64_t blob_get64(const uint8_t *p);
void blob_put16(uint8_t *p, uint16_t v);
void blob_put32(uint8_t *p, uint32_t v);
void blob_put64(uint8_t *p, uint64_t v);

/* Offset of the payload of the section of `type`, its length in *out_length; 0 if absent. */
size_t blob_section(const uint8_t *blob, size_t size, uint16_t type, uint32_t *out_length);

/* Recomputes total_size (to `size`) and the CRC, as a writer would. */
void blob_reseal(uint8_t *blob, size_t size);

#endif
