// data.h — datasets of small grey images with class labels: reading the IDX files MNIST and
// Fashion-MNIST come in (raw or gzipped), shuffling with a seed, and cutting batches.
//
// IDX: 2 zero bytes, a type byte (0x08 = unsigned bytes), the number of dimensions, then each
// dimension as a big-endian uint32, then the values. Images are (N, rows, cols), labels (N).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "random.h"
#include "status.h"

// The pictures are kept as the files hold them, a byte per pixel (Fashion-MNIST's 70,000 take
// 55 MB, a quarter of what floats would); batches are converted to floats as they are gathered.
struct Dataset {
    int count = 0;                // N images
    int rows = 0, cols = 0;       // image size (28 x 28 for MNIST)
    std::vector<uint8_t> pixels;  // (N, rows, cols) grey values 0..255
    std::vector<int32_t> labels;  // (N), each in [0, classes)
    int classes = 10;
};

// Parses IDX image and label files (either may be gzipped). Every size is checked: wrong magic, a
// truncated file, or label/image counts that differ give a message naming the file and the
// problem. The files are taken by value: moved in, the pictures become the dataset's pixels
// without a second copy.
Status parse_idx_dataset(Dataset& out, std::vector<uint8_t> images_file, std::vector<uint8_t> labels_file,
                         const std::string& images_name = "images", const std::string& labels_name = "labels");
// Loads DIR/<prefix>-images-idx3-ubyte[.gz] and DIR/<prefix>-labels-idx1-ubyte[.gz]
// (prefix "train" or "t10k", the names MNIST and Fashion-MNIST use).
Status load_idx_dataset(Dataset& out, const std::string& dir, const std::string& prefix);

// The order to visit the samples in: 0..N-1, shuffled (Fisher-Yates) when rng is given.
std::vector<int32_t> sample_order(int count, Rng* rng);
// Picture `index` as the network takes it: out (rows, cols), values pixel / 255 in [0, 1].
void picture_values(float* out, const Dataset& data, int index);
// The first `per_class` pictures of each class, in the file's order (fewer where a class has fewer):
// a small labelled set, as a new task often has.
Dataset take_per_class(const Dataset& data, int per_class);
// Copies samples order[first .. first+n) into a batch, as picture_values: images (n, 1, rows, cols), labels (n).
void gather_batch(float* images, int32_t* labels, const Dataset& data, const std::vector<int32_t>& order, int first, int n);
// Data augmentation: turns each of the n pictures of a batch left-right (a mirror image) with
// probability 1/2, drawn from rng. A shirt seen in the mirror is still a shirt, so the network
// sees more varied pictures of each class than the dataset holds. images (n, 1, rows, cols).
void random_mirror(float* images, int n, int rows, int cols, Rng& rng);
