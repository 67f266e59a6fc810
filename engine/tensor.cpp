#include "tensor.h"

int64_t Tensor::numel() const { return shape_numel(shape); }

std::string shape_string(const std::vector<int>& shape) {
    std::string s = "(";
    for (size_t i = 0; i < shape.size(); i++) {
        if (i) s += ',';
        s += std::to_string(shape[i]);
    }
    return s + ")";
}

int64_t shape_numel(const std::vector<int>& shape) {
    int64_t n = 1;
    for (int extent : shape) {
        if (extent < 0) return -1;
        n *= extent;  // n <= 2^28 and extent < 2^31, so this cannot overflow int64
        if (n > kMaxTensorElements) return -1;
    }
    return n;
}

Status make_tensor(Tensor& out, const std::vector<int>& shape) {
    int64_t n = shape_numel(shape);
    if (n < 0)
        return error_status("tensor shape " + shape_string(shape) +
                            " is invalid or too large (at most " + std::to_string(kMaxTensorElements) +
                            " values)");
    out.shape = shape;
    out.data.assign(size_t(n), 0.0f);
    return ok_status();
}

Status tensor_from_rows(Tensor& out, const std::vector<std::vector<float>>& rows) {
    if (rows.empty() || rows[0].empty()) return error_status("a grid needs at least one row and one column");
    int cols = int(rows[0].size());
    for (size_t r = 0; r < rows.size(); r++)
        if (int(rows[r].size()) != cols)
            return error_status("row " + std::to_string(r + 1) + " has " + std::to_string(rows[r].size()) +
                                " numbers but row 1 has " + std::to_string(cols) + "; every row needs the same length");
    Tensor t;
    Status s = make_tensor(t, {int(rows.size()), cols});
    if (!s.ok()) return s;
    for (size_t r = 0; r < rows.size(); r++)
        for (int c = 0; c < cols; c++) t.data[r * size_t(cols) + size_t(c)] = rows[r][size_t(c)];
    out = std::move(t);
    return ok_status();
}
