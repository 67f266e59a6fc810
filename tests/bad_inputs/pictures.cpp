// pictures.cpp — picture files as the desktop decodes them (web/picture_file.h), and pictures as a
// platform hands them over. A refused picture goes to the image-kernel lab, which keeps the
// student's kernel and the picture it had, and says why in its note; an awkward picture that can be
// read is checked by its pixels.
#include "../../web/picture_file.h"
#include "catalogue.h"

// Decodes a file as the desktop does; a refused one is dropped on the image-kernel lab, whose note
// is then the message.
static std::string drop_file(const std::string& name, const std::vector<uint8_t>& bytes) {
    Picture p;
    p.name = "file:" + name;
    decode_picture(p, bytes.data(), bytes.size());
    if (p.error.empty()) return "(decoded " + std::to_string(p.width) + "x" + std::to_string(p.height) + ")";
    api_command({{"lab", "image-kernels"}});
    picture_arrived(p);
    return find_lab("image-kernels")->state().value("note", "");
}

// Decodes a file that should be read; checks its size and the first pixel's colour.
static std::string decoded(const std::string& file, int width, int height, std::vector<int> first_rgba) {
    const std::vector<uint8_t> bytes = generated_file(file);
    Picture p;
    p.name = "file:" + file;
    decode_picture(p, bytes.data(), bytes.size());
    if (!p.error.empty()) return p.error;
    if (p.width != width || p.height != height) return "decoded as " + std::to_string(p.width) + "x" + std::to_string(p.height);
    for (int c = 0; c < 4; c++)
        if (std::abs(p.rgba[size_t(c)] - first_rgba[size_t(c)]) > 3)  // JPEG may round a little
            return "the first pixel is " + std::to_string(p.rgba[0]) + "," + std::to_string(p.rgba[1]) + "," + std::to_string(p.rgba[2]) +
                   "," + std::to_string(p.rgba[3]);
    return "";
}

// A picture as a platform might hand it over, wrongly: given straight to picture_arrived.
static std::string hand_over(int width, int height, size_t bytes, int original_width = 0, int original_height = 0) {
    Picture p;
    p.name = "file:handed.png";
    p.width = width, p.height = height, p.original_width = original_width, p.original_height = original_height;
    p.rgba.assign(bytes, 128);
    api_command({{"lab", "image-kernels"}});
    picture_arrived(p);
    return find_lab("image-kernels")->state().value("note", "");
}

void picture_cases() {
    const std::string head = "Picture not changed: ";
    bad("picture-not-a-picture", "a text file named notes.png",
        head + "not-a-picture.png is not a picture this app can read (unknown image type).",
        [] { return drop_file("not-a-picture.png", generated_file("not-a-picture.png")); }, "image-kernels");
    bad("picture-empty", "an empty file named empty.png",
        head + "empty.png is empty.",
        [] { return drop_file("empty.png", {}); }, "image-kernels");
    bad("picture-0x0", "a PNG whose header says 0 x 0 pixels",
        "Picture not changed: zero.png is not a picture this app can read (unknown image type).",
        [] { return drop_file("zero.png", generated_file("zero.png")); }, "image-kernels");
    bad("picture-20000x20000", "a 400 KB PNG of 20000 x 20000 pixels (400 megapixels; it would take 1.6 GB decoded)",
        head + "huge.png is 20000 x 20000 pixels (400 megapixels); a picture may have at most 50 megapixels.",
        [] { return drop_file("huge.png", generated_file("huge.png")); }, "image-kernels");
    bad("picture-truncated-png", "a PNG cut off half way",
        "Picture not changed: truncated.png is damaged or cut short (ID).",
        [] { return drop_file("truncated.png", generated_file("truncated.png")); }, "image-kernels");
    bad("picture-jpeg-huffman-overflow", "a JPEG whose Huffman table claims more than 256 codes (found by fuzz_picture: stb_image wrote past its table)",
        "Picture not changed: huffman.jpg is damaged (a Huffman table claims 585 codes, more than the 256 there can be).",
        [] {
            std::vector<uint8_t> bytes;
            if (Status s = read_file(bytes, "tests/fuzz/picture/crash-jpeg-huffman-over-256.jpg", 1 << 20); !s.ok()) return s.message;
            return drop_file("huffman.jpg", bytes);
        }, "image-kernels");
    bad("picture-truncated-jpeg", "a JPEG cut off half way",
        "Picture not changed: truncated.jpg is damaged or cut short (expected marker).",
        [] { return drop_file("truncated.jpg", generated_file("truncated.jpg")); }, "image-kernels");
    bad("picture-animated-gif", "an animated GIF of two frames (red, then blue): the first frame is taken",
        "",
        [] { return decoded("animated.gif", 8, 6, {255, 0, 0, 255}); });
    bad("picture-16-bit-png", "a 16-bit greyscale PNG (white left half): read as 8 bits",
        "",
        [] { return decoded("grey16.png", 8, 6, {255, 255, 255, 255}); });
    bad("picture-cmyk-jpeg", "a CMYK JPEG (red left half): converted to RGB",
        "",
        [] { return decoded("cmyk.jpg", 8, 6, {255, 0, 0, 255}); });
    bad("picture-good-png", "a good PNG (8 x 6, red left half)",
        "",
        [] { return decoded("good.png", 8, 6, {255, 0, 0, 255}); });
    bad("picture-handed-0x0", "a platform hands over a picture of 0 x 0 pixels",
        head + "handed.png has no pixels (0 x 0).",
        [] { return hand_over(0, 0, 0); }, "image-kernels");
    bad("picture-handed-short", "a platform hands over 10 x 10 pixels with only 100 bytes",
        head + "file:handed.png: the picture's pixels do not match its size.",
        [] { return hand_over(10, 10, 100); }, "image-kernels");
    bad("picture-handed-unscaled", "a platform hands over 2000 x 10 pixels, not scaled to 1024",
        head + "file:handed.png was not scaled down to 1024 pixels a side.",
        [] { return hand_over(2000, 10, 2000 * 10 * 4); }, "image-kernels");
    bad("picture-handed-original-huge", "a platform hands over a picture scaled from 20000 x 20000",
        head + "handed.png is 20000 x 20000 pixels (400 megapixels); a picture may have at most 50 megapixels.",
        [] { return hand_over(1024, 1024, 1024 * 1024 * 4, 20000, 20000); }, "image-kernels");
}
