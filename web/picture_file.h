// picture_file.h — a picture file (PNG, JPEG, GIF, BMP ...) turned into the Picture the labs take,
// as the desktop does it with stb_image. The browser decodes with its own decoders; both keep to
// the same limits: a picture's header is read first, and one with more than kMaxPicturePixels is
// refused before any pixel is decoded; larger than kPictureSide a side, it is scaled down to fit.
#pragma once
#include <cstddef>
#include <cstdint>

#include "app.h"

constexpr int64_t kMaxPicturePixels = 50'000'000;  // 50 megapixels: 200 MB of RGBA while decoding
constexpr int kPictureSide = 1024;                 // the longest side a lab gets (the browser scales the same)

// Decodes `bytes` into out.rgba (out.name is the caller's, and names the file in messages). On
// failure out.error says why and out has no pixels. An animated GIF gives its first frame.
void decode_picture(Picture& out, const uint8_t* bytes, size_t size);
// The message for a picture of width x height that is too large ("" when it is not).
std::string picture_size_error(const std::string& name, int64_t width, int64_t height);
