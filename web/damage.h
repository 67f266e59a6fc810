// damage.h — which parts of the screen a frame changes, so the renderer can draw only those.
//
// Why: where the GPU is emulated in software (SwiftShader: headless Chromium, or a browser on a
// machine without a GPU driver) every pixel a triangle covers costs CPU time. Drawing the training
// lab's whole UI took about 25 ms of the GPU process's time per 1280x800 frame, and at 30 frames a
// second that left training a third of the machine. Most of a frame is the same as the one before,
// so where the back buffer survives the swap (the page asks for preserveDrawingBuffer) the renderer
// clears and draws again only the rectangles this plan names, with only the triangles that touch them.
//
// How: the screen is cut into tiles. Each tile gets a hash of every triangle that touches it (its
// corners' positions, texture coordinates and colours, its texture and that texture's version, its
// clip rectangle), in drawing order. Only those triangles draw in the tile, over the same
// background, so while the framebuffer's size and the UI-to-pixel mapping stay the same, a tile
// whose hash is the same as last frame's shows the same pixels. (A texture the renderer did not
// upload itself, one the GPU backend draws into, counts as changed in every frame.) The changed
// tiles are grouped into a few disjoint rectangles.
#pragma once
#include <cstdint>
#include <vector>

#include <imgui.h>

struct ScreenRect {
    int x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // framebuffer pixels, (0,0) at the top left; x1, y1 one past the end
};

// One draw call of the plan: `count` indices from DamagePlan::indices at `first`, drawn with one
// draw command's texture, scissored to the intersection of the command's clip rectangle and `rect`.
struct DamageDraw {
    int rect = 0;                // index into DamagePlan::rects
    ImTextureID texture = nullptr;
    ScreenRect scissor;          // framebuffer pixels
    uint32_t first = 0, count = 0;
};

struct DamagePlan {
    bool everything = false;            // the whole screen (first frame, new size, or nothing kept)
    std::vector<ScreenRect> rects;      // (R) disjoint; each is cleared, then its draws run in order
    std::vector<DamageDraw> draws;      // grouped by rect, in drawing order within each
    std::vector<ImDrawVert> vertices;   // every draw list's vertices, one after another
    std::vector<ImDrawIdx> indices;     // the triangles of `draws`, as indices into `vertices`
};

struct DamageTracker {
    static constexpr int kTile = 32;    // tile side, framebuffer pixels
    static constexpr int kMaxRects = 12;  // more changed rectangles than this are merged (fewer draw calls)
    int width = 0, height = 0;          // framebuffer size the hashes were made for
    ImVec2 display_pos, display_size, scale;  // and the mapping from UI coordinates to its pixels
    int cols = 0, rows = 0;             // tiles across and down
    std::vector<uint64_t> hashes;       // (rows, cols): last frame's, per tile
    bool have_last = false;             // false: the back buffer does not hold the last frame
};

// The version of a texture's pixels (bumped on every upload), part of each triangle's hash.
using TextureVersion = uint64_t (*)(ImTextureID texture);

// Plans the frame `data` (framebuffer size width x height). keep: the back buffer still holds the
// last frame drawn through this tracker; without it (or after a size change) the plan is the whole
// screen. Updates the tracker's hashes.
void plan_frame(DamagePlan& plan, DamageTracker& tracker, const ImDrawData* data, int width, int height, bool keep,
                TextureVersion texture_version);

// The tile grouping on its own (for the tests): disjoint rectangles, in tiles, that cover every
// `changed` tile of a (rows, cols) grid, at most max_rects of them (merging neighbours covers some
// unchanged tiles too). Scattered changes (more than 4 * max_rects runs) are grouped by rows instead.
std::vector<ScreenRect> group_tiles(const std::vector<uint8_t>& changed, int rows, int cols, int max_rects);
