// widgets.h — drawing helpers the labs share: a grid of numbered cells and colour scales.
// Immediate mode like the rest of ImGui: call every frame, read what was clicked from the result.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>
#include <string>

#include <imgui.h>
#include <nlohmann/json.hpp>

#include "../engine/gpu.h"  // Colormap

// What one cell of a grid looks like this frame.
struct GridCell {
    std::string text;          // drawn centred in the cell ("" for none)
    ImU32 fill = 0;            // background colour
    ImU32 text_color = 0;      // 0: black or white, whichever reads on `fill`
    ImU32 border = 0;          // 0: the grid's thin line; otherwise a thick outline
    bool dashed = false;       // a dashed outline (used for padding cells that are not really there)
};

// Where a grid was drawn and what the mouse did to it this frame.
struct GridResult {
    ImVec2 origin;              // screen position of cell (0,0)'s top-left corner
    float cell = 0;             // cell size in pixels
    int hover_row = -1, hover_col = -1;  // cell under the mouse, or -1
    bool clicked = false;       // left button pressed on (hover_row, hover_col) this frame
    bool dragging = false;      // left button held on (hover_row, hover_col), for painting
    ImVec2 cell_min(int row, int col) const { return ImVec2(origin.x + col * cell, origin.y + row * cell); }
    ImVec2 cell_max(int row, int col) const { return ImVec2(origin.x + (col + 1) * cell, origin.y + (row + 1) * cell); }
};

// Draws a rows x cols grid at the cursor and reserves its space; look(row, col) says how each cell looks.
// lines: draw the thin line around each cell (off for pictures drawn pixel by pixel).
GridResult draw_grid(const char* id, int rows, int cols, float cell, const std::function<GridCell(int, int)>& look, bool lines = true);

// Colour scales. `scale` is the value that gets the full colour (e.g. the largest |value| shown).
ImU32 grey_color(float value, float lo, float hi);   // lo -> black, hi -> white
ImU32 signed_color(float value, float scale);        // negative blue, zero white, positive red
ImU32 readable_text_color(ImU32 fill);               // black or white, whichever reads on fill

// The colours shaders/colormap.frag.glsl draws, computed on the CPU (for the CPU backend):
// rgba (H, W, 4) from sample chw (C, H, W), as the shader's modes (Colormap, engine/gpu.h).
void colormap_rgba(std::vector<uint8_t>& rgba, const float* chw, int C, int H, int W, int channel, Colormap mode, float lo, float hi);

// A lab's title and its few lines of introduction, in grey under it (every lab opens with them).
void lab_intro(const char* title, const char* text);

// The verdict on a checked answer, wrapped: green when right, orange when not (every lab's exercise).
void answer_feedback(bool correct, const std::string& text);

// The exercise's "New exercise" button (anchor "new-exercise") and the score under it, or beside it
// when score_beside. Returns whether it was clicked: the lab then starts one with fresh_seed().
bool new_exercise_button(int answered, int correct, bool score_beside = false);
// The last answer's verdict (an ExerciseRecord's last_answer), nothing when there is none.
void last_answer_feedback(const nlohmann::json& last_answer);
// The hints given so far (numbered), and after a wrong answer a "Hint" button while the ladder
// (`steps` long) has more. Returns true when it was clicked: the lab then asks for {"hint": true}.
bool hint_ladder(const nlohmann::json& last_answer, const std::vector<std::string>& hints, int steps = 3);

// A grid of weights edited in place, a small drag field per weight (id: the table's ImGui id).
// Returns true when one changed this frame (never to a value that is not finite).
bool edit_weights(const char* id, std::vector<std::vector<float>>& weights, float speed, float limit);

// A "(?)" that shows a wrapped tooltip on hover, as in imgui_demo.cpp.
void help_marker(const char* text);

// A picture of H x W values, `size` pixels on its longer side: grey from lo (black) to hi (white),
// or, when `signed_scale` > 0, blue-white-red for -signed_scale..signed_scale. A title above it.
void value_picture(const char* id, const char* title, const float* values, int H, int W, float size, float lo, float hi,
                   float signed_scale = 0);
// A heat map laid over a grey picture (both H x W): the picture's grey, tinted red by map/scale.
void heat_picture(const char* id, const char* title, const float* picture, const float* map, int H, int W, float size, float scale);

// One bar per class with its probability (0..1) and name; `mark` (or -1) is drawn in the accent colour.
void probability_bars(const char* id, const std::vector<float>& probabilities, const std::vector<std::string>& names, int mark,
                      float width);

// A chart of a few lines over the same x values (each line's y in [y_lo, y_hi]), a legend under it.
struct ChartLine {
    std::string name;
    std::vector<float> y;  // one per x value; fewer while being computed
};
void line_chart(const char* id, const std::vector<float>& x, const std::vector<ChartLine>& lines, float y_lo, float y_hi, ImVec2 size,
                const char* x_label);
