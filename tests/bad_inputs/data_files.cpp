// data_files.cpp — datasets (four IDX files, gzipped or not) as the platform hands them over. They
// arrive as "fashion", which no lab has open (the student's work is on "mnist"): the message is the
// one the app keeps for the dataset, and the datasets already loaded stay.
#include "catalogue.h"

using Files = DatasetFiles;

// A good dataset with one change.
template <typename Change>
static std::string spoiled(Change change) {
    Files d = good_dataset("fashion");
    change(d);
    return deliver(std::move(d));
}

void data_file_cases() {
    bad("idx-empty", "the training images file is empty (0 bytes)",
        "fashion training images: not an IDX file (it should start with two zero bytes)",
        [] { return spoiled([](Files& d) { d.train_images.clear(); }); });
    bad("idx-all-empty", "all four files are empty",
        "fashion training images: not an IDX file (it should start with two zero bytes)",
        [] { return spoiled([](Files& d) { d.train_images.clear(), d.train_labels.clear(), d.test_images.clear(), d.test_labels.clear(); }); });
    bad("idx-wrong-magic", "the training images are a zip file (\"PK\\3\\4\")",
        "fashion training images: not an IDX file (it should start with two zero bytes)",
        [] { return spoiled([](Files& d) { d.train_images[0] = 'P', d.train_images[1] = 'K', d.train_images[2] = 3, d.train_images[3] = 4; }); });
    bad("idx-float-values", "the training images hold float32 values (IDX type 0x0D)",
        "fashion training images: IDX value type 13 is not unsigned bytes (8)",
        [] { return spoiled([](Files& d) { d.train_images[2] = 0x0D; }); });
    bad("idx-labels-as-images", "the training labels file given as the training images",
        "fashion training images: has 1 dimensions; images need 3",
        [] { return spoiled([](Files& d) { d.train_images = d.train_labels; }); });
    bad("idx-header-cut", "the training images cut off after 10 bytes, inside the header",
        "fashion training images: the header is cut short (truncated file)",
        [] { return spoiled([](Files& d) { d.train_images.resize(10); }); });
    bad("idx-truncated", "the training images cut off half way (200 pictures promised, 100 there)",
        "fashion training images: the header promises 156800 values but the file holds 78400 (truncated file)",
        [] { return spoiled([](Files& d) { d.train_images.resize(16 + 100 * 784); }); });
    bad("idx-count-past-file", "the test labels' header says 1,000,000 labels; the file holds 100",
        "fashion test labels: the header promises 1000000 values but the file holds 100 (truncated file)",
        [] { return spoiled([](Files& d) { d.test_labels[4] = 0, d.test_labels[5] = 0x0F, d.test_labels[6] = 0x42, d.test_labels[7] = 0x40; }); });
    bad("idx-extra-bytes", "the training labels with 5 bytes more than their header says",
        "fashion training labels: the header promises 200 values but the file holds 205",
        [] { return spoiled([](Files& d) { d.train_labels.insert(d.train_labels.end(), 5, 1); }); });
    bad("idx-sizes-overflow", "the training images' header says 4294967295 x 4294967295 x 4294967295 (the product overflows 64 bits)",
        "fashion training images: the sizes in its header are too large",
        [] { return spoiled([](Files& d) { d.train_images = idx_file({0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu}, {}); }); });
    bad("idx-sizes-wrap-32", "the training images' header says 65536 x 65536 x 1 (2^32, which wraps to 0 in 32 bits)",
        "fashion training images: the sizes in its header are too large",
        [] { return spoiled([](Files& d) { d.train_images = idx_file({65536, 65536, 1}, {}); }); });
    bad("idx-counts-differ", "200 training images but 150 training labels",
        "fashion training images has 200 images but fashion training labels has 150 labels",
        [] { return spoiled([](Files& d) { d.train_labels = idx_file({150}, std::vector<uint8_t>(150, 1)); }); });
    bad("idx-no-pictures", "training files with 0 pictures and 0 labels",
        "fashion training images: image count and size must be at least 1 (and at most 1024 pixels a side)",
        [] { return spoiled([](Files& d) { d.train_images = idx_file({0, 28, 28}, {}), d.train_labels = idx_file({0}, {}); }); });
    bad("idx-zero-size-pictures", "100 test pictures of 0 x 0 pixels",
        "fashion test images: image count and size must be at least 1 (and at most 1024 pixels a side)",
        [] { return spoiled([](Files& d) { d.test_images = idx_file({100, 0, 0}, {}); }); });
    bad("idx-huge-pictures", "one training picture of 2000 x 2000 pixels (and one label)",
        "fashion training images: image count and size must be at least 1 (and at most 1024 pixels a side)",
        [] { return spoiled([](Files& d) { d.train_images = idx_file({1, 2000, 2000}, std::vector<uint8_t>(4000000)), d.train_labels = idx_file({1}, {0}); }); });
    bad("idx-label-out-of-range", "a training label of 200 in a dataset of 10 classes (picture 7)",
        "fashion training labels: picture 7 has label 200, but the labels of fashion must be 0 to 9",
        [] { return spoiled([](Files& d) { d.train_labels[8 + 7] = 200; }); });
    bad("idx-train-test-sizes-differ", "28x28 training pictures but 14x56 test pictures",
        "the fashion training and test pictures differ in size",
        [] { return spoiled([](Files& d) { d.test_images[11] = 14, d.test_images[15] = 56; }); });
    bad("idx-platform-error", "the download failed (the platform reports an error instead of files)",
        "the fashion dataset could not be loaded: data/fashion/train-images-idx3-ubyte.gz answered 404",
        [] { return spoiled([](Files& d) { d.error = "the fashion dataset could not be loaded: data/fashion/train-images-idx3-ubyte.gz answered 404"; }); });

    // gzip
    bad("gzip-good-but-stored", "gzipped training images made of stored (uncompressed) blocks: a valid gzip file",
        "",
        [] { return spoiled([](Files& d) { d.train_images = gzip_stored(d.train_images); }); });
    bad("gzip-header-only", "a gzip file that ends after its 10-byte header",
        "fashion training images: not a gzip file (or too short to be one)",
        [] { return spoiled([](Files& d) { d.train_images = gzip_stored(d.train_images); d.train_images.resize(10); }); });
    bad("gzip-truncated", "gzipped training images cut off half way",
        "fashion training images: gzip: the compressed data ends early (truncated file)",
        [] { return spoiled([](Files& d) { d.train_images = gzip_stored(d.train_images); d.train_images.resize(d.train_images.size() / 2); }); });
    bad("gzip-bad-method", "a gzip file whose compression method is 7, not deflate (8)",
        "fashion training images: gzip: unknown compression method 7",
        [] { return spoiled([](Files& d) { d.train_images = gzip_stored(d.train_images); d.train_images[2] = 7; }); });
    bad("gzip-corrupt-block-type", "a gzip stream whose first block has the reserved type 3",
        "fashion training images: gzip: an invalid block type (corrupt data)",
        [] { return spoiled([](Files& d) { d.train_images = gzip_stored(d.train_images); d.train_images[10] = 0x06; }); });
    bad("gzip-corrupt-stored-length", "a stored block whose length and its complement disagree",
        "fashion training images: gzip: a stored block's length check fails (corrupt data)",
        [] { return spoiled([](Files& d) { d.train_images = gzip_stored(d.train_images); d.train_images[13] ^= 0x55; }); });
    bad("gzip-bad-checksum", "gzipped training images with one byte of the data changed (the CRC-32 no longer matches)",
        "fashion training images: gzip: the checksum does not match (corrupt data)",
        [] { return spoiled([](Files& d) { d.train_images = gzip_stored(d.train_images); d.train_images[1000] ^= 1; }); });
    bad("gzip-bad-size-record", "gzipped training images whose size record (the last 4 bytes) is wrong",
        "fashion training images: gzip: the unpacked size does not match the file's record (corrupt data)",
        [] { return spoiled([](Files& d) { d.train_images = gzip_stored(d.train_images); d.train_images.back() ^= 0x10; }); });
    bad("gzip-random-bytes", "a gzip header followed by 4000 random bytes",
        "fashion test images: gzip: a back-reference before the start of the data (corrupt data)",
        [] {
            return spoiled([](Files& d) {
                d.test_images = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
                uint32_t x = 12345;
                for (int i = 0; i < 4000; i++) d.test_images.push_back(uint8_t((x = x * 1103515245u + 12345u) >> 24));
            });
        });
    bad("gzip-bomb", "a 1 MB gzip file that would unpack to 1 GB of zeros (made by make_files.py)",
        "fashion training images: gzip: the data unpacks to more than 256 MB",
        [] { return spoiled([](Files& d) { d.train_images = generated_file("bomb-1gb.gz"); }); });

    // and after all that, a good delivery is taken
    bad("idx-good-after-bad", "a good dataset after the broken ones",
        "",
        [] { return spoiled([](Files&) {}); });
}
