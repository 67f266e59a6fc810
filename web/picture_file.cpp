#include "picture_file.h"

#include <algorithm>

#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_STDIO  // bytes in memory only: the platform reads the file
#include <stb/stb_image.h>

// The name as the student knows it: "file:cat.png" -> "cat.png".
static std::string shown_name(const std::string& name) { return name.rfind("file:", 0) == 0 ? name.substr(5) : name; }

std::string picture_size_error(const std::string& name, int64_t width, int64_t height) {
    if (width <= 0 || height <= 0)
        return shown_name(name) + " has no pixels (" + std::to_string(width) + " x " + std::to_string(height) + ")";
    if (width * height > kMaxPicturePixels)
        return shown_name(name) + " is " + std::to_string(width) + " x " + std::to_string(height) + " pixels (" +
               std::to_string(width * height / 1'000'000) + " megapixels); a picture may have at most " +
               std::to_string(kMaxPicturePixels / 1'000'000) + " megapixels";
    return "";
}

// Scales an RGBA picture down by averaging the source pixels each destination pixel covers.
static std::vector<uint8_t> scale_down(const uint8_t* rgba, int w, int h, int nw, int nh) {
    std::vector<uint8_t> out(size_t(nw) * size_t(nh) * 4);
    for (int y = 0; y < nh; y++) {
        const int y0 = int(int64_t(y) * h / nh), y1 = std::max(y0 + 1, int(int64_t(y + 1) * h / nh));
        for (int x = 0; x < nw; x++) {
            const int x0 = int(int64_t(x) * w / nw), x1 = std::max(x0 + 1, int(int64_t(x + 1) * w / nw));
            uint32_t sum[4] = {};
            for (int sy = y0; sy < y1; sy++)
                for (int sx = x0; sx < x1; sx++)
                    for (int c = 0; c < 4; c++) sum[c] += rgba[(size_t(sy) * size_t(w) + size_t(sx)) * 4 + size_t(c)];
            const uint32_t n = uint32_t((y1 - y0) * (x1 - x0));
            for (int c = 0; c < 4; c++) out[(size_t(y) * size_t(nw) + size_t(x)) * 4 + size_t(c)] = uint8_t((sum[c] + n / 2) / n);
        }
    }
    return out;
}

// stb_image (Debian's, 2.27) writes past its table when a JPEG's Huffman table (a DHT segment)
// claims more than 256 codes, already while reading the header: found by tests/fuzz/fuzz_picture.cpp.
// Such a file is refused before stb_image sees it. Returns "" or what is wrong.
static std::string check_jpeg_tables(const uint8_t* b, size_t size) {
    if (size < 4 || b[0] != 0xFF) return "";  // not a JPEG (stb_image skips any number of FF bytes before D8)
    // Every DHT marker (FF C4) in the file, wherever it is: stb_image looks for markers byte by byte
    // past anything it does not expect, and a progressive JPEG has tables between its scans. (In the
    // compressed data an FF byte is always followed by 00 or a restart marker, never C4.)
    for (size_t i = 2; i + 4 <= size; i++) {
        if (b[i] != 0xFF || b[i + 1] != 0xC4) continue;
        // read as stb_image reads it: tables (class/id, 16 counts, the symbols) while the segment's
        // length lasts, a count past the end of the file being 0
        auto at = [&](size_t p) -> size_t { return p < size ? b[p] : 0; };
        int64_t left = int64_t(at(i + 2) << 8 | at(i + 3)) - 2;
        for (size_t t = i + 4; left > 0;) {
            if ((at(t) >> 4) > 1 || (at(t) & 15) > 3) break;  // stb_image refuses the header itself
            size_t codes = 0;
            for (size_t k = 1; k <= 16; k++) codes += at(t + k);
            if (codes > 256) return "a Huffman table claims " + std::to_string(codes) + " codes, more than the 256 there can be";
            t += 17 + codes;
            left -= int64_t(17 + codes);
        }
    }
    return "";
}

void decode_picture(Picture& out, const uint8_t* bytes, size_t size) {
    out.rgba.clear();
    out.width = out.height = out.original_width = out.original_height = 0;
    const std::string name = shown_name(out.name);
    if (size == 0) {
        out.error = name + " is empty";
        return;
    }
    if (size > size_t(INT32_MAX)) {
        out.error = name + " is larger than 2 GB";
        return;
    }
    if (std::string e = check_jpeg_tables(bytes, size); !e.empty()) {
        out.error = name + " is damaged (" + e + ")";
        return;
    }
    int w = 0, h = 0, channels = 0;
    if (!stbi_info_from_memory(bytes, int(size), &w, &h, &channels)) {
        out.error = name + " is not a picture this app can read (" + stbi_failure_reason() + ")";
        return;
    }
    if (std::string e = picture_size_error(out.name, w, h); !e.empty()) {
        out.error = e;
        return;
    }
    uint8_t* pixels = stbi_load_from_memory(bytes, int(size), &w, &h, &channels, 4);
    if (!pixels) {
        out.error = name + " is damaged or cut short (" + std::string(stbi_failure_reason()) + ")";
        return;
    }
    out.original_width = w, out.original_height = h;
    const double scale = std::min(1.0, double(kPictureSide) / std::max(w, h));
    out.width = std::max(1, int(w * scale + 0.5)), out.height = std::max(1, int(h * scale + 0.5));
    if (out.width == w && out.height == h) out.rgba.assign(pixels, pixels + size_t(w) * size_t(h) * 4);
    else out.rgba = scale_down(pixels, w, h, out.width, out.height);
    stbi_image_free(pixels);
}
