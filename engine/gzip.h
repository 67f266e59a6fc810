// gzip.h — reading .gz files (the MNIST-format datasets ship gzipped), with no zlib needed, so the
// same code runs natively and in WebAssembly.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "status.h"

bool is_gzip(const uint8_t* data, size_t size);  // starts with the gzip magic bytes 1f 8b
// Unpacks a gzip file's first member; checks its CRC-32 and size. Refuses to produce more than
// max_out bytes (a corrupt or hostile file cannot exhaust memory).
Status gunzip(std::vector<uint8_t>& out, const uint8_t* data, size_t size, size_t max_out);
// The CRC-32 a gzip member ends with (polynomial 0xEDB88320, as zlib's crc32()).
uint32_t crc32(const uint8_t* data, size_t n);
