// frame_check.cpp — reads a frame the desktop build saved (--screenshot) and checks that it shows
// the hand-convolution lab, not a blank or an error: enough distinct colours and drawn area, the
// yellow kernel window, and the red and blue of positive and negative output cells.
//   frame_check FRAME.png  -> prints each check, exits 1 if any failed
#include <cstdio>
#include <cstdlib>
#include <set>

#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>

static int passed = 0, failed = 0;
static void check(bool ok, const char* what, double seen, double wanted) {
    std::printf("%s %s: %g (wanted >= %g)\n", ok ? "PASS" : "FAIL", what, seen, wanted);
    (ok ? passed : failed)++;
}

int main(int argc, char** argv) {
    if (argc != 2) { std::fprintf(stderr, "usage: frame_check FRAME.png\n"); return 2; }
    int w = 0, h = 0, n = 0;
    unsigned char* px = stbi_load(argv[1], &w, &h, &n, 3);
    if (!px) { std::printf("FAIL cannot read %s: %s\n", argv[1], stbi_failure_reason()); std::printf("frame_check: 0 passed, 1 failed\n"); return 1; }
    std::set<int> colours;
    long drawn = 0, window = 0, red = 0, blue = 0;
    for (long i = 0; i < long(w) * h; i++) {
        int r = px[3 * i], g = px[3 * i + 1], b = px[3 * i + 2];
        colours.insert((r << 16) | (g << 8) | b);
        if (std::abs(r - 28) + std::abs(g - 28) + std::abs(b - 36) > 30) drawn++;  // not the background (0.11, 0.11, 0.14)
        if (r > 240 && g > 185 && g < 215 && b < 70) window++;                       // kernel window (255,200,40)
        if (r > 200 && g < 90 && b < 80) red++;                                       // strongly positive output
        if (r < 80 && g < 130 && b > 200) blue++;                                     // strongly negative output
    }
    check(w >= 640 && h >= 400, "frame width", w, 640);
    check(colours.size() >= 200, "distinct colours", double(colours.size()), 200);
    check(drawn >= long(w) * h / 10, "pixels drawn on the background", double(drawn), double(long(w) * h / 10));
    check(window >= 200, "pixels of the yellow kernel window", double(window), 200);
    check(red >= 300, "pixels of positive (red) output cells", double(red), 300);
    check(blue >= 300, "pixels of negative (blue) output cells", double(blue), 300);
    stbi_image_free(px);
    std::printf("frame_check: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
