#include "data.h"

#include <algorithm>

#include "gzip.h"
#include "safetensors.h"  // read_file

using std::to_string;

namespace {

constexpr size_t kMaxDatasetBytes = size_t(256) << 20;  // an unpacked IDX file: at most 256 MB

uint32_t big_endian_u32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

// Unpacks (if gzipped) and checks an IDX file of unsigned bytes with `dims` dimensions; its values
// are what is left of `file` once the header is cut off (in place).
Status read_idx(std::vector<uint8_t>& raw, std::vector<uint32_t>& shape, std::vector<uint8_t>& file, int dims,
                const std::string& name) {
    if (is_gzip(file.data(), file.size())) {
        std::vector<uint8_t> unpacked;
        if (Status s = gunzip(unpacked, file.data(), file.size(), kMaxDatasetBytes); !s.ok()) return error_status(name + ": " + s.message);
        file = std::move(unpacked);
    }
    const std::vector<uint8_t>& b = file;
    if (b.size() < 4 || b[0] != 0 || b[1] != 0)
        return error_status(name + ": not an IDX file (it should start with two zero bytes)");
    if (b[2] != 0x08) return error_status(name + ": IDX value type " + to_string(b[2]) + " is not unsigned bytes (8)");
    if (b[3] != dims)
        return error_status(name + ": has " + to_string(b[3]) + " dimensions; " + (dims == 3 ? "images" : "labels") + " need " +
                            to_string(dims));
    const size_t header = 4 + 4 * size_t(dims);
    if (b.size() < header) return error_status(name + ": the header is cut short (truncated file)");
    shape.clear();
    uint64_t values = 1;
    for (int d = 0; d < dims; d++) {
        shape.push_back(big_endian_u32(&b[4 + 4 * size_t(d)]));
        values *= shape.back();
        if (values > kMaxDatasetBytes) return error_status(name + ": the sizes in its header are too large");
    }
    if (b.size() - header != values)
        return error_status(name + ": the header promises " + to_string(values) + " values but the file holds " +
                            to_string(b.size() - header) + (b.size() - header < values ? " (truncated file)" : ""));
    file.erase(file.begin(), file.begin() + long(header));
    raw = std::move(file);
    return ok_status();
}

}  // namespace

Status parse_idx_dataset(Dataset& out, std::vector<uint8_t> images_file, std::vector<uint8_t> labels_file,
                         const std::string& images_name, const std::string& labels_name) {
    std::vector<uint8_t> pixels, labels;
    std::vector<uint32_t> image_shape, label_shape;
    if (Status s = read_idx(pixels, image_shape, images_file, 3, images_name); !s.ok()) return s;
    if (Status s = read_idx(labels, label_shape, labels_file, 1, labels_name); !s.ok()) return s;
    if (image_shape[0] != label_shape[0])
        return error_status(images_name + " has " + to_string(image_shape[0]) + " images but " + labels_name + " has " +
                            to_string(label_shape[0]) + " labels");
    if (image_shape[0] == 0 || image_shape[1] == 0 || image_shape[2] == 0 || image_shape[1] > 1024 || image_shape[2] > 1024)
        return error_status(images_name + ": image count and size must be at least 1 (and at most 1024 pixels a side)");
    Dataset d;
    d.count = int(image_shape[0]);
    d.rows = int(image_shape[1]);
    d.cols = int(image_shape[2]);
    int max_label = 0;
    for (size_t i = 0; i < labels.size(); i++) max_label = labels[i] > max_label ? labels[i] : max_label;
    d.classes = max_label < 10 ? 10 : max_label + 1;
    d.pixels = std::move(pixels);
    d.labels.assign(labels.begin(), labels.end());
    out = std::move(d);
    return ok_status();
}

Status load_idx_dataset(Dataset& out, const std::string& dir, const std::string& prefix) {
    std::vector<uint8_t> files[2];
    std::string names[2] = {dir + "/" + prefix + "-images-idx3-ubyte", dir + "/" + prefix + "-labels-idx1-ubyte"};
    for (int i = 0; i < 2; i++) {
        Status s = read_file(files[i], names[i] + ".gz", kMaxDatasetBytes);
        if (s.ok()) names[i] += ".gz";
        else if (!(s = read_file(files[i], names[i], kMaxDatasetBytes)).ok())
            return error_status("cannot read " + names[i] + "(.gz): is --data the folder with the IDX files?");
    }
    return parse_idx_dataset(out, std::move(files[0]), std::move(files[1]), names[0], names[1]);
}

std::vector<int32_t> sample_order(int count, Rng* rng) {
    std::vector<int32_t> order(size_t(count > 0 ? count : 0));
    for (int i = 0; i < count; i++) order[size_t(i)] = i;
    if (rng)
        for (int i = count - 1; i > 0; i--) std::swap(order[size_t(i)], order[size_t(rng->uniform_int(0, i))]);
    return order;
}

void picture_values(float* out, const Dataset& data, int index) {
    const size_t pixels = size_t(data.rows) * size_t(data.cols);
    const uint8_t* p = data.pixels.data() + size_t(index) * pixels;
    for (size_t k = 0; k < pixels; k++) out[k] = float(p[k]) / 255.0f;
}

void gather_batch(float* images, int32_t* labels, const Dataset& data, const std::vector<int32_t>& order, int first, int n) {
    const size_t pixels = size_t(data.rows) * size_t(data.cols);
    for (int i = 0; i < n; i++) {
        const int s = order[size_t(first + i)];
        picture_values(images + size_t(i) * pixels, data, s);
        labels[i] = data.labels[size_t(s)];
    }
}

void random_mirror(float* images, int n, int rows, int cols, Rng& rng) {
    for (int i = 0; i < n; i++) {
        if (rng.uniform() >= 0.5f) continue;
        float* picture = images + int64_t(i) * rows * cols;
        for (int y = 0; y < rows; y++) std::reverse(picture + int64_t(y) * cols, picture + int64_t(y + 1) * cols);
    }
}

Dataset take_per_class(const Dataset& data, int per_class) {
    Dataset out;
    out.rows = data.rows, out.cols = data.cols, out.classes = data.classes;
    std::vector<int> taken(static_cast<size_t>(std::max(data.classes, 1)), 0);
    const size_t picture = size_t(data.rows) * size_t(data.cols);
    for (int i = 0; i < data.count; i++) {
        const int32_t label = data.labels[size_t(i)];
        if (label < 0 || label >= data.classes || taken[size_t(label)] >= per_class) continue;
        taken[size_t(label)]++;
        out.labels.push_back(label);
        out.pixels.insert(out.pixels.end(), data.pixels.begin() + int64_t(i * picture), data.pixels.begin() + int64_t((i + 1) * picture));
        out.count++;
    }
    return out;
}
