// tensor.h — a float32 tensor: an explicit shape and its values, row-major.
// Images are NCHW: (batch, channels, height, width), the layout PyTorch uses.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "status.h"

// The most values one tensor may hold (2^28 floats = 1 GiB). Sizes come from users (typed
// numbers, URL parameters, files), so a huge request is refused with a message rather than
// attempted.
inline constexpr int64_t kMaxTensorElements = int64_t(1) << 28;

struct Tensor {
    std::vector<int> shape;   // one entry per axis, each >= 0, e.g. (N,C,H,W)
    std::vector<float> data;  // numel() values, last axis fastest

    int dim() const { return int(shape.size()); }
    int64_t numel() const;
    float& at(int64_t flat_index) { return data[size_t(flat_index)]; }
    float at(int64_t flat_index) const { return data[size_t(flat_index)]; }
    bool operator==(const Tensor&) const = default;  // the same shape and values (NaN is never equal)
};

// "(1,1,5,5)" — how shapes are written in every message.
std::string shape_string(const std::vector<int>& shape);

// Number of elements of a shape, or -1 when an axis is negative or the total passes
// kMaxTensorElements (so callers never multiply their way into an overflow).
int64_t shape_numel(const std::vector<int>& shape);

// Makes a zero-filled tensor of the given shape; an error names the shape when it is invalid or too big.
Status make_tensor(Tensor& out, const std::vector<int>& shape);

// Makes a tensor from rows of numbers, shape (rows, cols); the rows must all be the same length.
Status tensor_from_rows(Tensor& out, const std::vector<std::vector<float>>& rows);
