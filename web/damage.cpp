#include "damage.h"

#include <algorithm>
#include <cmath>
#include <cstring>

// Order matters (a tile's triangles are blended in drawing order), so each value is folded in
// after the ones before it.
static uint64_t fold(uint64_t hash, uint64_t value) {
    hash = (hash ^ value) * 0x9E3779B97F4A7C15ull;
    return hash ^ (hash >> 29);
}

// A draw command's clip rectangle in framebuffer pixels, inside the screen (empty if it is empty).
static ScreenRect clip_pixels(const ImVec4& clip, ImVec2 origin, ImVec2 scale, int width, int height) {
    ScreenRect r;
    if (!(clip.z > clip.x && clip.w > clip.y)) return r;  // (ImGui makes empty ones by intersecting)
    r.x0 = std::clamp(int(std::floor((clip.x - origin.x) * scale.x)), 0, width);
    r.y0 = std::clamp(int(std::floor((clip.y - origin.y) * scale.y)), 0, height);
    r.x1 = std::clamp(int(std::ceil((clip.z - origin.x) * scale.x)), 0, width);
    r.y1 = std::clamp(int(std::ceil((clip.w - origin.y) * scale.y)), 0, height);
    return r;
}

static bool overlaps(const ScreenRect& a, const ScreenRect& b) {
    return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}
static ScreenRect bounding(const ScreenRect& a, const ScreenRect& b) {
    return {std::min(a.x0, b.x0), std::min(a.y0, b.y0), std::max(a.x1, b.x1), std::max(a.y1, b.y1)};
}
static int64_t area(const ScreenRect& r) { return int64_t(r.x1 - r.x0) * (r.y1 - r.y0); }

std::vector<ScreenRect> group_tiles(const std::vector<uint8_t>& changed, int rows, int cols, int max_rects) {
    // Runs of changed tiles along each row; a run directly under one of the same columns extends it.
    std::vector<ScreenRect> rects;
    std::vector<int> open;  // rects that end at the row above
    for (int y = 0; y < rows; y++) {
        std::vector<int> now;
        for (int x = 0; x < cols;) {
            if (!changed[size_t(y * cols + x)]) { x++; continue; }
            const int start = x;
            while (x < cols && changed[size_t(y * cols + x)]) x++;
            int grown = -1;
            for (int i : open)
                if (rects[size_t(i)].x0 == start && rects[size_t(i)].x1 == x) grown = i;
            if (grown >= 0) rects[size_t(grown)].y1 = y + 1;
            else { grown = int(rects.size()); rects.push_back({start, y, x, y + 1}); }
            now.push_back(grown);
        }
        open = now;
    }
    // Scattered changes: one rectangle per row that has any (its first to its last changed tile),
    // then neighbouring rows merged, the pair that adds the fewest tiles first. Rows do not overlap,
    // nor do merged neighbours, and this stays quick however many runs there were.
    if (int(rects.size()) > 4 * std::max(1, max_rects)) {
        std::vector<ScreenRect> bands;
        for (int y = 0; y < rows; y++) {
            ScreenRect band{cols, y, 0, y + 1};
            for (int x = 0; x < cols; x++)
                if (changed[size_t(y * cols + x)]) band.x0 = std::min(band.x0, x), band.x1 = std::max(band.x1, x + 1);
            if (band.x1 > band.x0) bands.push_back(band);
        }
        while (int(bands.size()) > std::max(1, max_rects)) {
            size_t best = 0;
            int64_t best_extra = INT64_MAX;
            for (size_t i = 0; i + 1 < bands.size(); i++) {
                const int64_t extra = area(bounding(bands[i], bands[i + 1])) - area(bands[i]) - area(bands[i + 1]);
                if (extra < best_extra) best_extra = extra, best = i;
            }
            bands[best] = bounding(bands[best], bands[best + 1]);
            bands.erase(bands.begin() + std::ptrdiff_t(best + 1));
        }
        return bands;
    }
    // Too many: merge the pair whose bounding box adds the fewest tiles, then take in every
    // rectangle that box overlaps, so the rectangles stay disjoint (each pixel is drawn once).
    while (int(rects.size()) > std::max(1, max_rects)) {
        size_t best_a = 0, best_b = 1;
        int64_t best_extra = INT64_MAX;
        for (size_t a = 0; a < rects.size(); a++)
            for (size_t b = a + 1; b < rects.size(); b++) {
                const int64_t extra = area(bounding(rects[a], rects[b])) - area(rects[a]) - area(rects[b]);
                if (extra < best_extra) best_extra = extra, best_a = a, best_b = b;
            }
        ScreenRect merged = bounding(rects[best_a], rects[best_b]);
        rects.erase(rects.begin() + std::ptrdiff_t(best_b));  // (best_b > best_a)
        rects.erase(rects.begin() + std::ptrdiff_t(best_a));
        for (bool grew = true; grew;) {
            grew = false;
            for (size_t i = 0; i < rects.size(); i++)
                if (overlaps(rects[i], merged)) {
                    merged = bounding(merged, rects[i]);
                    rects.erase(rects.begin() + std::ptrdiff_t(i));
                    grew = true;
                    break;
                }
        }
        rects.push_back(merged);
    }
    return rects;
}

void plan_frame(DamagePlan& plan, DamageTracker& tracker, const ImDrawData* data, int width, int height, bool keep,
                TextureVersion texture_version) {
    constexpr int kTile = DamageTracker::kTile;
    plan.everything = false;
    plan.rects.clear();
    plan.draws.clear();
    plan.vertices.clear();
    plan.indices.clear();
    const int cols = (width + kTile - 1) / kTile, rows = (height + kTile - 1) / kTile;
    if (cols <= 0 || rows <= 0) return;

    // Every visible triangle: where it may draw (its corners' box, a pixel wider for rounding,
    // inside its clip rectangle), in tiles, and its hash folded into those tiles.
    struct Triangle {
        uint32_t index;      // of its first corner in the draw list's IdxBuffer
        int list, command;
        int tx0, ty0, tx1, ty1;  // tiles, inclusive
    };
    std::vector<Triangle> triangles;
    std::vector<uint64_t> hashes(size_t(rows) * size_t(cols), 0x51ED270B27A1E3C5ull);
    const ImVec2 origin = data ? data->DisplayPos : ImVec2(0, 0), scale = data ? data->FramebufferScale : ImVec2(1, 1);
    const ImVec2 size = data ? data->DisplaySize : ImVec2(0, 0);
    // a pixel coordinate, kept far inside int's range (a stray huge vertex must not overflow)
    const auto pixel = [](float v) { return v > -1e6f ? (v < 1e6f ? int(v) : 1000000) : -1000000; };  // (NaN: -1e6)
    for (int n = 0; data && n < data->CmdListsCount; n++) {
        const ImDrawList* list = data->CmdLists[n];
        for (int c = 0; c < list->CmdBuffer.Size; c++) {
            const ImDrawCmd& cmd = list->CmdBuffer[c];
            if (cmd.UserCallback) continue;  // (none of ours use callbacks)
            const ScreenRect clip = clip_pixels(cmd.ClipRect, origin, scale, width, height);
            if (clip.x1 <= clip.x0 || clip.y1 <= clip.y0) continue;
            uint64_t command_hash = fold(uint64_t(intptr_t(cmd.GetTexID())), texture_version(cmd.GetTexID()));
            command_hash = fold(command_hash, uint64_t(clip.x0) | uint64_t(clip.y0) << 16 | uint64_t(clip.x1) << 32 | uint64_t(clip.y1) << 48);
            for (uint32_t i = cmd.IdxOffset; i + 2 < cmd.IdxOffset + cmd.ElemCount; i += 3) {
                float lo_x = 1e30f, lo_y = 1e30f, hi_x = -1e30f, hi_y = -1e30f;
                uint64_t hash = command_hash;
                for (uint32_t k = 0; k < 3; k++) {
                    const ImDrawVert& v = list->VtxBuffer[int(cmd.VtxOffset + list->IdxBuffer[int(i + k)])];
                    uint32_t words[5];  // pos.x, pos.y, uv.x, uv.y, col
                    static_assert(sizeof(ImDrawVert) == sizeof words, "ImDrawVert is two float pairs and a colour");
                    std::memcpy(words, &v, sizeof words);
                    if (keep) {
                        hash = fold(hash, uint64_t(words[0]) | uint64_t(words[1]) << 32);
                        hash = fold(hash, uint64_t(words[2]) | uint64_t(words[3]) << 32);
                        hash = fold(hash, words[4]);
                    }
                    lo_x = std::min(lo_x, v.pos.x), hi_x = std::max(hi_x, v.pos.x);
                    lo_y = std::min(lo_y, v.pos.y), hi_y = std::max(hi_y, v.pos.y);
                }
                const int x0 = std::max(clip.x0, pixel(std::floor((lo_x - origin.x) * scale.x)) - 1);
                const int y0 = std::max(clip.y0, pixel(std::floor((lo_y - origin.y) * scale.y)) - 1);
                const int x1 = std::min(clip.x1, pixel(std::ceil((hi_x - origin.x) * scale.x)) + 1);
                const int y1 = std::min(clip.y1, pixel(std::ceil((hi_y - origin.y) * scale.y)) + 1);
                if (x1 <= x0 || y1 <= y0) continue;  // draws nothing
                const Triangle t{i, n, c, x0 / kTile, y0 / kTile, (x1 - 1) / kTile, (y1 - 1) / kTile};
                if (keep)  // (without a kept buffer everything is drawn anyway)
                    for (int ty = t.ty0; ty <= t.ty1; ty++)
                        for (int tx = t.tx0; tx <= t.tx1; tx++) hashes[size_t(ty * cols + tx)] = fold(hashes[size_t(ty * cols + tx)], hash);
                triangles.push_back(t);
            }
        }
    }

    // The changed tiles, grouped into rectangles (in tiles, then in pixels).
    const auto same = [](ImVec2 a, ImVec2 b) { return a.x == b.x && a.y == b.y; };
    plan.everything = !keep || !tracker.have_last || tracker.width != width || tracker.height != height ||
                      !same(tracker.display_pos, origin) || !same(tracker.display_size, size) || !same(tracker.scale, scale);
    std::vector<ScreenRect> tile_rects;
    if (plan.everything) tile_rects.push_back({0, 0, cols, rows});
    else {
        std::vector<uint8_t> changed(hashes.size());
        for (size_t t = 0; t < hashes.size(); t++) changed[t] = hashes[t] != tracker.hashes[t];
        tile_rects = group_tiles(changed, rows, cols, DamageTracker::kMaxRects);
    }
    tracker.width = width, tracker.height = height, tracker.cols = cols, tracker.rows = rows;
    tracker.display_pos = origin, tracker.display_size = size, tracker.scale = scale;
    tracker.hashes = std::move(hashes);
    tracker.have_last = keep;
    for (const ScreenRect& r : tile_rects)
        plan.rects.push_back({r.x0 * kTile, r.y0 * kTile, std::min(r.x1 * kTile, width), std::min(r.y1 * kTile, height)});
    if (plan.rects.empty()) return;

    // The vertices, all lists in one buffer.
    std::vector<uint32_t> first_vertex(size_t(data ? data->CmdListsCount : 0));
    for (int n = 0; data && n < data->CmdListsCount; n++) {
        first_vertex[size_t(n)] = uint32_t(plan.vertices.size());
        const ImDrawList* list = data->CmdLists[n];
        plan.vertices.insert(plan.vertices.end(), list->VtxBuffer.begin(), list->VtxBuffer.end());
    }
    // Per rectangle, in drawing order, the triangles that touch it: one draw per run of triangles
    // from the same command.
    for (int r = 0; r < int(tile_rects.size()); r++) {
        const ScreenRect& tiles = tile_rects[size_t(r)];
        for (const Triangle& t : triangles) {
            if (t.tx1 < tiles.x0 || t.tx0 >= tiles.x1 || t.ty1 < tiles.y0 || t.ty0 >= tiles.y1) continue;
            const ImDrawList* list = data->CmdLists[t.list];
            const ImDrawCmd& cmd = list->CmdBuffer[t.command];
            DamageDraw* draw = plan.draws.empty() ? nullptr : &plan.draws.back();
            const ScreenRect clip = clip_pixels(cmd.ClipRect, origin, scale, width, height);
            const ScreenRect scissor{std::max(clip.x0, plan.rects[size_t(r)].x0), std::max(clip.y0, plan.rects[size_t(r)].y0),
                                     std::min(clip.x1, plan.rects[size_t(r)].x1), std::min(clip.y1, plan.rects[size_t(r)].y1)};
            if (scissor.x1 <= scissor.x0 || scissor.y1 <= scissor.y0) continue;
            const bool same = draw && draw->rect == r && draw->texture == cmd.GetTexID() && draw->scissor.x0 == scissor.x0 &&
                              draw->scissor.y0 == scissor.y0 && draw->scissor.x1 == scissor.x1 && draw->scissor.y1 == scissor.y1;
            if (!same) {
                plan.draws.push_back({r, cmd.GetTexID(), scissor, uint32_t(plan.indices.size()), 0});
                draw = &plan.draws.back();
            }
            for (uint32_t k = 0; k < 3; k++)
                plan.indices.push_back(static_cast<ImDrawIdx>(first_vertex[size_t(t.list)] + cmd.VtxOffset + list->IdxBuffer[int(t.index + k)]));
            draw->count += 3;
        }
    }
}
