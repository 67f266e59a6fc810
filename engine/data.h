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

struct Dataset {
    int count = 0;                // N images
    int rows = 0, cols = 0;       // image size (28 x 28 for MNIST)
    std::vector<float> images;    // (N, 1, rows, cols), grey values scaled to [0, 1]
    std::vector<int32_t> labels;  // (N), each in [0, classes)
    int classes = 10;
};

// Parses IDX image and label files already in memory (either may be gzipped). Every size is
// checked: wrong magic, a truncated file, or label/image counts that differ give a message
// naming the file and the problem.
Status parse_idx_dataset(Dataset& out, const std::vector<uint8_t>& images_file, const std::vector<uint8_t>& labels_file,
                         const std::string& images_name = "images", const std::string& labels_name = "labels");
// Loads DIR/<prefix>-images-idx3-ubyte[.gz] and DIR/<prefix>-labels-idx1-ubyte[.gz]
// (prefix "train" or "t10k", the names MNIST and Fashion-MNIST use).
Status load_idx_dataset(Dataset& out, const std::string& dir, const std::string& prefix);

// The order to visit the samples in: 0..N-1, shuffled (Fisher-Yates) when rng is given.
std::vector<int32_t> sample_order(int count, Rng* rng);
// Copies samples order[first .. first+n) into a batch. images (n, 1, rows, cols), labels (n).
void gather_batch(float* images, int32_t* labels, const Dataset& data, const std::vector<int32_t>& order, int first, int n);
// Data augmentation: turns each of the n pictures of a batch left-right (a mirror image) with
// probability 1/2, drawn from rng. A shirt seen in the mirror is still a shirt, so the network
// sees more varied pictures of each class than the dataset holds. images (n, 1, rows, cols).
void random_mirror(float* images, int n, int rows, int cols, Rng& rng);
