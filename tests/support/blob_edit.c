#include "blob_edit.h"

uint32_t blob_crc32(const uint8_t *data, size_t size) {
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) {
    crc ^= data[i];
    for (int k = 0; k < 8; ++k) crc = (crc & 1u) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
  }
  return ~crc;
}

uint16_t blob_get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
uint32_t blob_get32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
uint64_t blob_get64(const uint8_t *p) { return blob_get32(p) | (uint64_t)blob_get32(p + 4) << 32; }
void blob_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
void blob_put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; ++i) p[i] = (uint8_t)(v >> (8 * i)); }
void blob_put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; ++i) p[i] = (uint8_t)(v >> (8 * i)); }

size_t blob_section(const uint8_t *blob, size_t size, uint16_t type, uint32_t *out_length) {
  size_t at = BLOB_FIRST_SECTION;
  uint32_t count = blob_get32(blob + BLOB_SECTION_COUNT);
  for (uint32_t i = 0; i < count && at + 8 <= size; ++i) {
    uint32_t length = blob_get32(blob + at + 4);
    if (blob_get16(blob + at) == type) {
      if (out_length) *out_length = length;
      return at + 8;
    }
    at += 8 + length + (8 - length % 8) % 8;
  }
  return 0;
}

void blob_reseal(uint8_t *blob, size_t size) {
  blob_put32(blob + BLOB_TOTAL_SIZE, (uint32_t)size);
  blob_put32(blob + BLOB_CRC, 0);
  blob_put32(blob + BLOB_CRC, blob_crc32(blob, size));
}
