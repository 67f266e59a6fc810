// fuzz_picture.cpp — libFuzzer harness: any bytes as a picture file, decoded as the desktop does
// (web/picture_file.h: stb_image behind our size limits). A picture that decodes must have pixels
// that match its size, at most 1024 a side.
#include <cstddef>
#include <cstdint>

#include "../../web/picture_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Picture p;
    p.name = "file:fuzz.png";
    decode_picture(p, data, size);
    if (p.error.empty() && (p.width < 1 || p.height < 1 || p.width > kPictureSide || p.height > kPictureSide ||
                            p.rgba.size() != size_t(p.width) * size_t(p.height) * 4))
        __builtin_trap();
    return 0;
}
