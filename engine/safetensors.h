// safetensors.h — reading and writing the file format PyTorch users share weights in
// (https://github.com/huggingface/safetensors): an 8-byte little-endian header length L, L bytes of
// JSON {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
// "__metadata__": {"key": "value"}}, then the raw little-endian data the offsets point into.
// CNN Lab reads and writes float32 ("F32") tensors. Tensors of other dtypes are listed (name and
// dtype) but not loaded, so a PyTorch state_dict with an int64 counter such as
// "bn.num_batches_tracked" still loads; asking for such a tensor gives a message naming its dtype.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "status.h"
#include "tensor.h"

struct NamedTensors {
    std::vector<std::pair<std::string, Tensor>> tensors;  // in file order (offsets ascending)
    std::map<std::string, std::string> metadata;          // the header's "__metadata__" strings
    std::map<std::string, std::string> other_dtypes;      // tensors not loaded: name -> dtype ("I64", "F16", ...)

    const Tensor* find(const std::string& name) const;
};

// Parses a whole file already in memory. Every offset, shape and size is checked against the
// buffer before anything is allocated, so a broken or hostile file gives a message, not a crash.
Status safetensors_parse(NamedTensors& out, const uint8_t* data, size_t size);
Status safetensors_load(NamedTensors& out, const std::string& path);
// Serializes (header padded with spaces to a multiple of 8 bytes, as the reference writer does).
std::vector<uint8_t> safetensors_serialize(const NamedTensors& in);
Status safetensors_save(const std::string& path, const NamedTensors& in);

// Reads a whole file; refuses files over max_bytes.
Status read_file(std::vector<uint8_t>& out, const std::string& path, size_t max_bytes);
