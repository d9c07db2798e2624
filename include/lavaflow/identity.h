/**
 * @file identity.h
 * @brief The identity of an endpoint: which host, which namespaces, which user, which
 *        process, and where on the hardware it runs.
 *
 * Peers exchange identities to decide how they can communicate (see scope.h). An identity
 * is a snapshot taken when it is created; it serializes to a versioned, little-endian
 * blob of at most ::LF_IDENTITY_BLOB_MAX_SIZE bytes (format: docs/wire-formats.md) that
 * can travel over anything (MPI_Allgather, a socket, a file) and parses back with full
 * validation.
 *
 * Identities are immutable: every function here is thread-safe.
 */
#ifndef LAVAFLOW_IDENTITY_H
#define LAVAFLOW_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "context.h"
#include "export.h"
#include "status.h"

/**
 * @addtogroup scope
 * @{
 */

/** An endpoint identity (opaque handle). */
typedef struct lf_identity lf_identity_t;

/** Upper bound of a serialized identity: a buffer this large always suffices. */
#define LF_IDENTITY_BLOB_MAX_SIZE 32768

/** Bits of ::lf_identity_params_t::field_mask. */
enum lf_identity_param_field {
  LF_IDENTITY_PARAM_FIELD_CPUSET = 1u << 0, /**< `cpuset` */
  LF_IDENTITY_PARAM_FIELD_FLAGS = 1u << 1   /**< `flags` */
};

/** Bits of ::lf_identity_params_t::flags. */
enum lf_identity_flag {
  /** Use the calling thread's binding instead of the process's (ignored with a cpuset). */
  LF_IDENTITY_FLAG_THREAD_BINDING = 1u << 0
};

/**
 * Parameters of lf_identity_create(). Zeroed (or NULL) means: this process, where it is
 * bound to run.
 */
typedef struct lf_identity_params {
  uint64_t field_mask; /**< bitwise OR of ::lf_identity_param_field; unknown bits are rejected */
  /**
   * Describe an endpoint of this process running on these PUs instead of the current
   * binding: a list of OS indices such as "0-3,8" (borrowed). It must be non-empty and
   * inside the topology's PUs. Used to describe where a thread will run, and in tests.
   */
  const char *cpuset;
  uint64_t flags;      /**< bitwise OR of ::lf_identity_flag values */
} lf_identity_params_t;

/** Bits of ::lf_identity_info_t::flags: which facts are known and how it was made. */
enum lf_identity_info_flag {
  LF_IDENTITY_KNOWN_BOOT_ID = 1u << 0,    /**< `boot_id` was read */
  LF_IDENTITY_KNOWN_MACHINE_ID = 1u << 1, /**< `machine_id` was read */
  LF_IDENTITY_KNOWN_NAMESPACES = 1u << 2, /**< the namespace ids were read */
  LF_IDENTITY_KNOWN_BASE_DIR = 1u << 3,   /**< the base directory's device and inode were read */
  LF_IDENTITY_KNOWN_START_TIME = 1u << 4, /**< `start_time_ticks` was read */
  LF_IDENTITY_DUMPABLE = 1u << 5,         /**< the process is dumpable (CMA can read it) */
  LF_IDENTITY_CAP_SYS_PTRACE = 1u << 6,   /**< the process has CAP_SYS_PTRACE */
  LF_IDENTITY_THREAD_BINDING = 1u << 7,   /**< the cpuset is a thread's binding */
  LF_IDENTITY_CPUSET_GIVEN = 1u << 8      /**< the cpuset was given in params */
};

/**
 * The facts of an identity. Set `struct_size = sizeof(lf_identity_info_t)` before the call;
 * the library fills in at most that many bytes.
 */
typedef struct lf_identity_info {
  uint32_t struct_size;       /**< in: sizeof(lf_identity_info_t) as the caller knows it */
  uint32_t flags;             /**< bitwise OR of ::lf_identity_info_flag values */
  uint8_t boot_id[16];        /**< kernel boot id (/proc/sys/kernel/random/boot_id) */
  uint8_t machine_id[16];     /**< /etc/machine-id (containers may have their own) */
  uint64_t ipc_namespace;     /**< inode of /proc/self/ns/ipc (0 if unknown) */
  uint64_t mnt_namespace;     /**< inode of /proc/self/ns/mnt */
  uint64_t pid_namespace;     /**< inode of /proc/self/ns/pid */
  uint64_t net_namespace;     /**< inode of /proc/self/ns/net */
  uint64_t user_namespace;    /**< inode of /proc/self/ns/user */
  uint64_t base_dir_device;   /**< st_dev of the shared-memory base directory */
  uint64_t base_dir_inode;    /**< st_ino of the shared-memory base directory */
  uint64_t start_time_ticks;  /**< process start time, clock ticks after boot */
  uint64_t topology_digest;   /**< ::lf_topology_info_t::digest of the topology used */
  uint32_t uid;               /**< real user id */
  uint32_t gid;               /**< real group id */
  uint32_t pid;               /**< process id in its pid namespace */
  uint32_t ptrace_scope;      /**< Yama ptrace_scope 0..3 (0 when Yama is absent) */
  uint32_t pu_count;          /**< PUs in the cpuset */
  uint32_t numa_node_count;   /**< NUMA nodes the cpuset touches */
  uint32_t package_count;     /**< packages the cpuset touches */
  int32_t topology_source;    /**< an ::lf_topology_source_kind_t value */
} lf_identity_info_t;

/** Text facts of an identity, for lf_identity_get_text(). */
typedef enum lf_identity_text {
  LF_IDENTITY_TEXT_HOSTNAME = 1,   /**< the host name (never proof of the same host) */
  LF_IDENTITY_TEXT_CPUSET = 2,     /**< PUs, as a list of OS indices ("0-3,8") */
  LF_IDENTITY_TEXT_NUMA_NODES = 3, /**< NUMA nodes the cpuset touches (OS indices) */
  LF_IDENTITY_TEXT_PACKAGES = 4,   /**< packages the cpuset touches (logical indices) */
  LF_IDENTITY_TEXT_BASE_DIR = 5,   /**< the shared-memory base directory path */
  LF_IDENTITY_TEXT_BOOT_ID = 6,    /**< the boot id as a UUID string */
  LF_IDENTITY_TEXT_MACHINE_ID = 7, /**< the machine id as 32 hex digits */
  LF_IDENTITY_TEXT_LOCAL_NUMA_NODES = 8, /**< NUMA nodes the whole cpuset lies in (each holds all its PUs;
                                              several with memory-side nodes; may be empty): what scope compares */
  LF_IDENTITY_TEXT_LOCAL_PACKAGES = 9    /**< packages the whole cpuset lies in (logical indices; may be empty) */
} lf_identity_text_t;

LF_EXTERN_C_BEGIN

/**
 * Take the identity of this process (or of an endpoint of it on the given PUs).
 * Reads /proc and the base directory; costs tens of microseconds.
 * @param context the context (borrowed)
 * @param params NULL for defaults (borrowed)
 * @param[out] out_identity returned: destroy with lf_identity_destroy(); written on success
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` for a bad cpuset (syntax, empty, outside the
 *         topology) or unknown bits; `LF_ERR_SYSTEM` if the binding cannot be read;
 *         `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_identity_create(lf_context_t *context, const lf_identity_params_t *params,
                                      lf_identity_t **out_identity);

/**
 * Parse a serialized identity, validating everything: length, magic, format version,
 * checksum, section layout and every value.
 * @param context the context (borrowed); the identity keeps it alive
 * @param blob the bytes (borrowed), `blob_size` of them
 * @param blob_size the blob's length in bytes
 * @param[out] out_identity returned: destroy with lf_identity_destroy(); written on success
 * @return `LF_OK`; `LF_ERR_CORRUPT` for anything invalid, including an unknown format
 *         version (the message says what and where); `LF_ERR_INVALID_ARGUMENT` for NULL.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_identity_create_from_blob(lf_context_t *context, const void *blob,
                                                size_t blob_size, lf_identity_t **out_identity);

/**
 * Release an identity.
 * @param identity the identity, or NULL (a no-op)
 * @return `LF_OK` or `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread; calls already running with the handle on other threads finish
 * first.
 */
LF_API lf_status_t lf_identity_destroy(lf_identity_t *identity);

/**
 * Serialize an identity.
 * @param identity the identity (borrowed)
 * @param buffer caller-owned; may be NULL when `buffer_size` is 0
 * @param buffer_size bytes available at `buffer`
 * @param[out] out_size the blob's size; written on `LF_OK` and on `LF_ERR_BUFFER_TOO_SMALL`
 *             (so a caller can ask for the size first)
 * @return `LF_OK`, `LF_ERR_BUFFER_TOO_SMALL`, `LF_ERR_INVALID_HANDLE`, `LF_ERR_INVALID_ARGUMENT`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_identity_serialize(const lf_identity_t *identity, void *buffer,
                                         size_t buffer_size, size_t *out_size);

/**
 * The facts of an identity.
 * @param identity the identity (borrowed)
 * @param[out] out_info caller-provided struct with `struct_size` set; written on success
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (NULL, `struct_size` too small);
 *        `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_identity_get_info(const lf_identity_t *identity, lf_identity_info_t *out_info);

/**
 * One text fact of an identity (text output rules: see lf_topology_get_cpuset()).
 * @param identity the identity (borrowed)
 * @param which an ::lf_identity_text_t value
 * @param buffer caller-owned, may be NULL when `buffer_size` is 0
 * @param buffer_size bytes available at `buffer`
 * @param[out] out_length the text's length without its NUL (may be NULL)
 * @return `LF_OK`; `LF_ERR_BUFFER_TOO_SMALL` (`*out_length` says how much is needed);
 *        `LF_ERR_INVALID_ARGUMENT` (an unknown `which`, NULL); `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_identity_get_text(const lf_identity_t *identity, int32_t which,
                                        char *buffer, size_t buffer_size, size_t *out_length);

LF_EXTERN_C_END

/** @} */

#endif /* LAVAFLOW_IDENTITY_H */
