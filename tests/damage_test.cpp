// damage_test.cpp — drawing only what changed (web/damage.h): the tile grouping by hand, and a
// frame built from a kept buffer plus the planned rectangles against the same frame drawn whole.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <vector>

#include "../web/damage.h"

// Tiles as text, one string per row: '#' changed.
static std::vector<uint8_t> tiles(const std::vector<const char*>& rows) {
    std::vector<uint8_t> changed;
    for (const char* row : rows)
        for (const char* c = row; *c; c++) changed.push_back(*c == '#');
    return changed;
}

// Checks that the rectangles cover every changed tile once and no tile twice (they must not
// overlap); exact: and no unchanged tile either.
static void check_cover(const std::vector<ScreenRect>& rects, const std::vector<uint8_t>& changed, int rows, int cols, bool exact) {
    std::vector<int> count(size_t(rows * cols), 0);
    for (const ScreenRect& r : rects)
        for (int y = r.y0; y < r.y1; y++)
            for (int x = r.x0; x < r.x1; x++) count[size_t(y * cols + x)]++;
    for (size_t t = 0; t < changed.size(); t++) {
        CHECK(count[t] <= 1);
        if (changed[t] || exact) CHECK(count[t] == changed[t]);
    }
}

TEST_CASE("group_tiles: runs along a row, grown downwards where the next row's run has the same columns") {
    const std::vector<uint8_t> changed = tiles({
        ".##...",
        ".##..#",
        "......",
        "####..",
    });
    const std::vector<ScreenRect> rects = group_tiles(changed, 4, 6, 12);
    // the 2x2 block (columns 1-2, rows 0-1), the single tile (5, 1), the run of 4 on row 3
    REQUIRE(rects.size() == 3);
    CHECK((rects[0].x0 == 1 && rects[0].y0 == 0 && rects[0].x1 == 3 && rects[0].y1 == 2));
    CHECK((rects[1].x0 == 5 && rects[1].y0 == 1 && rects[1].x1 == 6 && rects[1].y1 == 2));
    CHECK((rects[2].x0 == 0 && rects[2].y0 == 3 && rects[2].x1 == 4 && rects[2].y1 == 4));
    check_cover(rects, changed, 4, 6, true);  // exactly the changed tiles
}

TEST_CASE("group_tiles: past the limit, the pair whose box adds the fewest tiles merges, and the box takes in what it overlaps") {
    const std::vector<uint8_t> changed = tiles({
        "#.#...",
        "......",
        ".....#",
    });
    // Three single tiles. Merging (0,0) and (2,0) adds 1 tile (their box is 3x1); any pair with
    // (5,2) adds more (e.g. (2,0)-(5,2): 4x3 = 12 - 2 = 10). So two rectangles are left.
    const std::vector<ScreenRect> two = group_tiles(changed, 3, 6, 2);
    REQUIRE(two.size() == 2);
    CHECK((two[0].x0 == 5 && two[0].y0 == 2 && two[0].x1 == 6 && two[0].y1 == 3));
    CHECK((two[1].x0 == 0 && two[1].y0 == 0 && two[1].x1 == 3 && two[1].y1 == 1));
    // One rectangle: the box of all three, 6x3.
    const std::vector<ScreenRect> one = group_tiles(changed, 3, 6, 1);
    REQUIRE(one.size() == 1);
    CHECK((one[0].x0 == 0 && one[0].y0 == 0 && one[0].x1 == 6 && one[0].y1 == 3));
    // An L-shape of rectangles whose box swallows a third: still disjoint, still covering.
    const std::vector<uint8_t> ell = tiles({
        "##....",
        "#.....",
        "#..#..",
        "####..",
    });
    const std::vector<ScreenRect> merged = group_tiles(ell, 4, 6, 2);
    CHECK(merged.size() <= 2);
    check_cover(merged, ell, 4, 6, false);
}

TEST_CASE("group_tiles: scattered changes are grouped by rows, still disjoint and covering") {
    // a checkerboard: 32 runs of one tile, more than 4 * 2, so rows: each row's span is columns
    // 0-6 or 1-7, and 8 rows merge into 2 rectangles
    std::vector<uint8_t> changed(64);
    for (int y = 0; y < 8; y++)
        for (int x = 0; x < 8; x++) changed[size_t(y * 8 + x)] = (x + y) % 2;
    const std::vector<ScreenRect> rects = group_tiles(changed, 8, 8, 2);
    CHECK(rects.size() == 2);
    check_cover(rects, changed, 8, 8, false);
}

// ---- a frame: quads in draw lists, drawn by a tiny rasterizer ----

struct Quad {
    float x, y, w, h;       // pixels
    ImU32 colour;
    int texture;            // 1..3
    ImVec4 clip;            // its command's clip rectangle
};

// One draw list per call, one command per quad (as ImGui makes when the texture or clip changes).
struct Frame {
    ImDrawList list{nullptr};
    ImDrawList* lists[1] = {&list};
    ImDrawData data;
    Frame(const std::vector<Quad>& quads, int width, int height) {
        for (const Quad& q : quads) {
            ImDrawCmd cmd;
            cmd.ClipRect = q.clip;
            cmd.TextureId = ImTextureID(intptr_t(q.texture));
            cmd.IdxOffset = unsigned(list.IdxBuffer.Size);
            cmd.ElemCount = 6;
            const unsigned base = unsigned(list.VtxBuffer.Size);
            const ImVec2 corners[4] = {{q.x, q.y}, {q.x + q.w, q.y}, {q.x + q.w, q.y + q.h}, {q.x, q.y + q.h}};
            for (const ImVec2& p : corners) list.VtxBuffer.push_back(ImDrawVert{p, ImVec2(0, 0), q.colour});
            for (unsigned k : {0u, 1u, 2u, 0u, 2u, 3u}) list.IdxBuffer.push_back(base + k);
            list.CmdBuffer.push_back(cmd);
        }
        data.Valid = true;
        data.CmdLists = lists;
        data.CmdListsCount = 1;
        data.DisplayPos = ImVec2(0, 0);
        data.DisplaySize = ImVec2(float(width), float(height));
        data.FramebufferScale = ImVec2(1, 1);
    }
};

static std::map<intptr_t, uint64_t> g_versions;  // texture -> version, as the renderer keeps them
static uint64_t version_of(ImTextureID texture) { return g_versions[intptr_t(texture)]; }

// Carries out a plan as the renderer does: per rectangle, clear it, then its draws in order. A
// pixel takes the colour (mixed with the texture's version) of the last triangle whose inside
// holds the pixel's centre, within the draw's scissor.
static void draw_plan(std::vector<uint32_t>& pixels, int width, const DamagePlan& plan) {
    for (size_t r = 0; r < plan.rects.size(); r++) {
        const ScreenRect& rect = plan.rects[r];
        for (int y = rect.y0; y < rect.y1; y++)
            for (int x = rect.x0; x < rect.x1; x++) pixels[size_t(y * width + x)] = 0x202024;
        for (const DamageDraw& draw : plan.draws) {
            if (draw.rect != int(r)) continue;
            const uint32_t texel = uint32_t(version_of(draw.texture) * 2654435761u);
            for (uint32_t i = draw.first; i < draw.first + draw.count; i += 3) {
                const ImDrawVert& a = plan.vertices[plan.indices[i]];
                const ImDrawVert& b = plan.vertices[plan.indices[i + 1]];
                const ImDrawVert& c = plan.vertices[plan.indices[i + 2]];
                const auto edge = [](ImVec2 p, ImVec2 q, float x, float y) { return (q.x - p.x) * (y - p.y) - (q.y - p.y) * (x - p.x); };
                for (int y = draw.scissor.y0; y < draw.scissor.y1; y++)
                    for (int x = draw.scissor.x0; x < draw.scissor.x1; x++) {
                        const float px = float(x) + 0.5f, py = float(y) + 0.5f;
                        const float e0 = edge(a.pos, b.pos, px, py), e1 = edge(b.pos, c.pos, px, py), e2 = edge(c.pos, a.pos, px, py);
                        if ((e0 >= 0 && e1 >= 0 && e2 >= 0) || (e0 <= 0 && e1 <= 0 && e2 <= 0))
                            pixels[size_t(y * width + x)] = a.col ^ texel;
                    }
            }
        }
    }
}

TEST_CASE("plan_frame: a kept frame plus the changed rectangles is the frame drawn whole, over 60 random frames") {
    const int width = 200, height = 130;  // tiles of 32: 7 x 5, the last ones cut short
    std::mt19937 rng(7);
    auto uniform = [&](float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(rng); };
    auto random_quad = [&]() {
        Quad q{uniform(-20, 200), uniform(-20, 130), uniform(1, 60), uniform(1, 40), ImU32(rng() | 0xFF000000u), int(rng() % 3) + 1,
               ImVec4(0, 0, float(width), float(height))};
        if (rng() % 3 == 0) q.clip = ImVec4(uniform(0, 100), uniform(0, 60), uniform(100, 200), uniform(60, 130));  // a child window's
        return q;
    };
    std::vector<Quad> quads;
    for (int i = 0; i < 30; i++) quads.push_back(random_quad());
    g_versions = {{1, 1}, {2, 1}, {3, 1}};

    DamageTracker tracker;
    DamagePlan plan;
    std::vector<uint32_t> kept(size_t(width * height), 0xDEADBEEF);  // the back buffer, kept between frames
    int partial_frames = 0, max_wrong = 0;
    size_t drawn_triangles = 0, all_triangles = 0;
    for (int frame = 0; frame < 60; frame++) {
        // a few changes each frame: a quad moves, changes colour, appears or goes; a texture is uploaded again
        const int changes = frame == 0 ? 0 : int(rng() % 4);
        for (int c = 0; c < changes; c++) {
            const size_t i = rng() % quads.size();
            switch (rng() % 5) {
                case 0: quads[i].x += uniform(-5, 5), quads[i].y += uniform(-5, 5); break;
                case 1: quads[i].colour ^= 0x00FF00u; break;
                case 2: quads.insert(quads.begin() + std::ptrdiff_t(i), random_quad()); break;
                case 3: if (quads.size() > 5) quads.erase(quads.begin() + std::ptrdiff_t(i)); break;
                case 4: g_versions[int(rng() % 3) + 1]++; break;
            }
        }
        Frame f(quads, width, height);
        plan_frame(plan, tracker, &f.data, width, height, true, version_of);
        if (frame == 0) CHECK(plan.everything);
        if (!plan.everything) partial_frames++;
        drawn_triangles += plan.indices.size() / 3;
        all_triangles += quads.size() * 2;
        CHECK(int(plan.rects.size()) <= DamageTracker::kMaxRects);
        draw_plan(kept, width, plan);

        DamageTracker fresh;  // the same frame drawn whole, on a blank buffer
        DamagePlan whole;
        plan_frame(whole, fresh, &f.data, width, height, false, version_of);
        REQUIRE(whole.everything);
        std::vector<uint32_t> expected(size_t(width * height), 0);
        draw_plan(expected, width, whole);
        int wrong = 0;
        for (size_t p = 0; p < expected.size(); p++) wrong += kept[p] != expected[p];
        max_wrong = std::max(max_wrong, wrong);
        if (wrong) std::printf("frame %d: %d of %d pixels differ from the frame drawn whole\n", frame, wrong, width * height);
    }
    CHECK(max_wrong == 0);
    CHECK(partial_frames == 59);
    CHECK(drawn_triangles < all_triangles);  // (it did skip work)
}

TEST_CASE("plan_frame: an unchanged frame draws nothing; a new size or a lost buffer draws everything") {
    const std::vector<Quad> quads = {{10, 10, 20, 20, 0xFF0000FFu, 1, ImVec4(0, 0, 100, 100)},
                                     {70, 70, 10, 10, 0xFF00FF00u, 1, ImVec4(0, 0, 100, 100)}};
    g_versions = {{1, 1}};
    DamageTracker tracker;
    DamagePlan plan;
    Frame f(quads, 100, 100);
    plan_frame(plan, tracker, &f.data, 100, 100, true, version_of);
    CHECK(plan.everything);
    REQUIRE(plan.rects.size() == 1);
    CHECK((plan.rects[0].x1 == 100 && plan.rects[0].y1 == 100));
    CHECK(plan.indices.size() == 12);  // both quads, 2 triangles each
    plan_frame(plan, tracker, &f.data, 100, 100, true, version_of);
    CHECK(plan.rects.empty());
    CHECK(plan.draws.empty());

    // The second quad turns red: its tiles change. It covers pixels 70..80, a pixel more for
    // rounding: 69..81, so tiles (2, 2) only (64..96 in both directions).
    std::vector<Quad> changed = quads;
    changed[1].colour = 0xFF0000FFu;
    Frame g(changed, 100, 100);
    plan_frame(plan, tracker, &g.data, 100, 100, true, version_of);
    CHECK_FALSE(plan.everything);
    REQUIRE(plan.rects.size() == 1);
    CHECK((plan.rects[0].x0 == 64 && plan.rects[0].y0 == 64 && plan.rects[0].x1 == 96 && plan.rects[0].y1 == 96));
    CHECK(plan.indices.size() == 6);  // only the second quad touches that tile

    // The texture is uploaded again: both quads use it, so both their tiles change.
    g_versions[1]++;
    plan_frame(plan, tracker, &g.data, 100, 100, true, version_of);
    CHECK(plan.indices.size() == 12);

    plan_frame(plan, tracker, &g.data, 120, 100, true, version_of);  // the canvas grew
    CHECK(plan.everything);
    plan_frame(plan, tracker, &g.data, 120, 100, true, version_of);
    CHECK(plan.rects.empty());
    g.data.FramebufferScale = ImVec2(2, 2);  // the same pixels, another zoom: every position moves
    g.data.DisplaySize = ImVec2(60, 50);
    plan_frame(plan, tracker, &g.data, 120, 100, true, version_of);
    CHECK(plan.everything);
    plan_frame(plan, tracker, &g.data, 120, 100, false, version_of);  // the buffer was not kept
    CHECK(plan.everything);
}
