#include "widgets.h"

#include "app.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>

GridResult draw_grid(const char* id, int rows, int cols, float cell, const std::function<GridCell(int, int)>& look, bool lines) {
    GridResult result;
    result.origin = ImGui::GetCursorScreenPos();
    result.cell = cell;
    ImVec2 size(cols * cell, rows * cell);
    ImGui::InvisibleButton(id, ImVec2(std::max(size.x, 1.0f), std::max(size.y, 1.0f)));
    bool hovered = ImGui::IsItemHovered();
    if (hovered || ImGui::IsItemActive()) {
        ImVec2 mouse = ImGui::GetIO().MousePos;
        int col = int(std::floor((mouse.x - result.origin.x) / cell));
        int row = int(std::floor((mouse.y - result.origin.y) / cell));
        if (row >= 0 && row < rows && col >= 0 && col < cols) {
            result.hover_row = row;
            result.hover_col = col;
            result.clicked = ImGui::IsItemClicked(ImGuiMouseButton_Left);
            result.dragging = ImGui::IsItemActive() && ImGui::IsMouseDown(ImGuiMouseButton_Left);
        }
    }
    ImDrawList* draw = ImGui::GetWindowDrawList();
    const float font_size = std::min(ImGui::GetFontSize(), cell * 0.42f);
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
            GridCell g = look(r, c);
            ImVec2 a = result.cell_min(r, c), b = result.cell_max(r, c);
            if (g.fill) draw->AddRectFilled(a, b, g.fill);
            if (g.dashed) {
                // dashes along the four sides
                ImU32 color = IM_COL32(150, 150, 150, 200);
                const int dashes = 4;
                for (int i = 0; i < dashes; i++) {
                    float t0 = float(2 * i) / (2 * dashes) , t1 = float(2 * i + 1) / (2 * dashes);
                    float x0 = a.x + (b.x - a.x) * t0, x1 = a.x + (b.x - a.x) * t1;
                    float y0 = a.y + (b.y - a.y) * t0, y1 = a.y + (b.y - a.y) * t1;
                    draw->AddLine(ImVec2(x0, a.y + 1), ImVec2(x1, a.y + 1), color);
                    draw->AddLine(ImVec2(x0, b.y - 1), ImVec2(x1, b.y - 1), color);
                    draw->AddLine(ImVec2(a.x + 1, y0), ImVec2(a.x + 1, y1), color);
                    draw->AddLine(ImVec2(b.x - 1, y0), ImVec2(b.x - 1, y1), color);
                }
            } else if (lines) {
                draw->AddRect(a, b, IM_COL32(90, 90, 100, 255));
            }
            if (g.border) draw->AddRect(ImVec2(a.x + 1, a.y + 1), ImVec2(b.x - 1, b.y - 1), g.border, 0.0f, 0, 3.0f);
            if (!g.text.empty()) {
                ImU32 text_color = g.text_color ? g.text_color : readable_text_color(g.fill ? g.fill : IM_COL32(30, 30, 35, 255));
                ImVec2 ts = ImGui::GetFont()->CalcTextSizeA(font_size, FLT_MAX, 0.0f, g.text.c_str());
                draw->AddText(ImGui::GetFont(), font_size,
                              ImVec2(a.x + (cell - ts.x) * 0.5f, a.y + (cell - ts.y) * 0.5f), text_color, g.text.c_str());
            }
        }
    }
    if (result.hover_row >= 0) {
        ImVec2 a = result.cell_min(result.hover_row, result.hover_col), b = result.cell_max(result.hover_row, result.hover_col);
        draw->AddRect(a, b, IM_COL32(255, 255, 255, 160), 0.0f, 0, 2.0f);
    }
    return result;
}

ImU32 grey_color(float value, float lo, float hi) {
    float t = hi > lo ? (value - lo) / (hi - lo) : 0.5f;
    t = std::clamp(t, 0.0f, 1.0f);
    int v = int(20 + t * 235);
    return IM_COL32(v, v, v, 255);
}

ImU32 signed_color(float value, float scale) {
    float t = scale > 0 ? std::clamp(value / scale, -1.0f, 1.0f) : 0.0f;
    // white at zero, towards red (positive) or blue (negative)
    auto mix = [](float from, float to, float s) { return int(from + (to - from) * s); };
    float s = std::fabs(t);
    if (t >= 0) return IM_COL32(mix(235, 215, s), mix(235, 60, s), mix(235, 50, s), 255);
    return IM_COL32(mix(235, 50, s), mix(235, 110, s), mix(235, 215, s), 255);
}

ImU32 readable_text_color(ImU32 fill) {
    float r = float((fill >> IM_COL32_R_SHIFT) & 0xFF), g = float((fill >> IM_COL32_G_SHIFT) & 0xFF),
          b = float((fill >> IM_COL32_B_SHIFT) & 0xFF);
    float luminance = 0.299f * r + 0.587f * g + 0.114f * b;
    return luminance > 140 ? IM_COL32(20, 20, 25, 255) : IM_COL32(245, 245, 245, 255);
}

void help_marker(const char* text) {
    ImGui::TextDisabled("(?)");
    if (ImGui::IsItemHovered()) {
        ImGui::BeginTooltip();
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 30.0f);
        ImGui::TextUnformatted(text);
        ImGui::PopTextWrapPos();
        ImGui::EndTooltip();
    }
}

void colormap_rgba(std::vector<uint8_t>& rgba, const float* chw, int C, int H, int W, int channel, Colormap mode, float lo, float hi) {
    rgba.resize(size_t(W) * size_t(H) * 4);
    const size_t plane = size_t(W) * size_t(H);
    const float span = std::max(hi - lo, 1e-20f), top = std::max(hi, 1e-20f);
    auto byte = [](float v) { return uint8_t(std::clamp(v, 0.0f, 1.0f) * 255.0f + 0.5f); };
    for (size_t i = 0; i < plane; i++) {
        float r, g, b;
        const float c = chw[size_t(channel) * plane + i];
        const float v0 = chw[i], v1 = C > 1 ? chw[plane + i] : 0.0f, v2 = C > 2 ? chw[2 * plane + i] : 0.0f;
        if (mode == Colormap::rgb) {
            r = (v0 - lo) / span, g = (v1 - lo) / span, b = (v2 - lo) / span;
        } else if (mode == Colormap::grey) {
            r = g = b = (c - lo) / span;
        } else if (mode == Colormap::diverging) {
            const float s = std::clamp(c / top, -1.0f, 1.0f), t = std::fabs(s);
            const float white = 0.92f;
            r = s >= 0 ? white + (0.84f - white) * t : white + (0.2f - white) * t;
            g = s >= 0 ? white + (0.24f - white) * t : white + (0.43f - white) * t;
            b = s >= 0 ? white + (0.2f - white) * t : white + (0.84f - white) * t;
        } else if (mode == Colormap::magnitude) {
            r = g = b = std::sqrt(v0 * v0 + v1 * v1) / top;
        } else {  // direction: hue from the direction, as hue() in the shader
            const float h = std::atan2(v1, v0) / 6.2831853f + 0.5f, m = std::clamp(std::sqrt(v0 * v0 + v1 * v1) / top, 0.0f, 1.0f);
            auto k = [&](float offset) {
                float x = std::fmod(h * 6.0f + offset, 6.0f);
                return std::clamp(std::fabs(x - 3.0f) - 1.0f, 0.0f, 1.0f);
            };
            r = k(0.0f) * m, g = k(4.0f) * m, b = k(2.0f) * m;
        }
        rgba[4 * i] = byte(r), rgba[4 * i + 1] = byte(g), rgba[4 * i + 2] = byte(b), rgba[4 * i + 3] = 255;
    }
}

void lab_intro(const char* title, const char* text) {
    ImGui::TextUnformatted(title);
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::TextWrapped("%s", text);
    ImGui::PopStyleColor();
}

void answer_feedback(bool correct, const std::string& text) {
    ImGui::PushTextWrapPos(0);
    ImGui::TextColored(correct ? ImVec4(0.4f, 0.85f, 0.5f, 1) : ImVec4(1.0f, 0.7f, 0.45f, 1), "%s", text.c_str());
    ImGui::PopTextWrapPos();
}

bool new_exercise_button(int answered, int correct, bool score_beside) {
    const bool clicked = ImGui::Button("New exercise");
    ui_anchor("new-exercise");
    if (score_beside) ImGui::SameLine();
    ImGui::Text("Score: %d of %d right", correct, answered);
    return clicked;
}

void last_answer_feedback(const nlohmann::json& last_answer) {
    if (!last_answer.is_object()) return;
    answer_feedback(last_answer["correct"].get<bool>(), last_answer["feedback"].get<std::string>());
}

bool hint_ladder(const nlohmann::json& last_answer, const std::vector<std::string>& hints, int steps) {
    for (size_t i = 0; i < hints.size(); i++) {
        ImGui::PushTextWrapPos(0);
        ImGui::TextColored(ImVec4(0.55f, 0.75f, 1.0f, 1), "Hint %d: %s", int(i + 1), hints[i].c_str());
        ImGui::PopTextWrapPos();
    }
    const bool wrong = last_answer.is_object() && !last_answer.value("correct", true) && !last_answer.value("revealed", false);
    if (!wrong || int(hints.size()) >= steps) return false;
    const std::string label = "Hint (" + std::to_string(hints.size() + 1) + " of " + std::to_string(steps) + ")";
    const bool clicked = ImGui::Button(label.c_str());
    ui_anchor("hint");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("A step towards the answer, not the answer: an answer after a hint does not count toward mastery");
    return clicked;
}

bool edit_weights(const char* id, std::vector<std::vector<float>>& weights, float speed, float limit) {
    if (weights.empty() || weights[0].empty()) return false;
    bool changed = false;
    if (ImGui::BeginTable(id, int(weights[0].size()), ImGuiTableFlags_SizingFixedFit)) {
        for (size_t r = 0; r < weights.size(); r++) {
            ImGui::TableNextRow();
            for (size_t c = 0; c < weights[r].size(); c++) {
                ImGui::TableSetColumnIndex(int(c));
                ImGui::PushID(int(r * 64 + c));
                ImGui::SetNextItemWidth(ImGui::GetFontSize() * 2.6f);
                float w = weights[r][c];
                if (ImGui::DragFloat("##w", &w, speed, -limit, limit, "%.3g") && std::isfinite(w)) {
                    weights[r][c] = w;
                    changed = true;
                }
                ImGui::PopID();
            }
        }
        ImGui::EndTable();
    }
    return changed;
}

void value_picture(const char* id, const char* title, const float* values, int H, int W, float size, float lo, float hi,
                   float signed_scale) {
    ImGui::BeginGroup();
    ImGui::TextUnformatted(title);
    if (H > 0 && W > 0 && values) {
        const float span = hi > lo ? hi : lo + 1e-6f;
        draw_grid(id, H, W, size / float(std::max(H, W)), [&](int r, int c) {
            GridCell g;
            const float v = values[r * W + c];
            g.fill = signed_scale > 0 ? signed_color(v, signed_scale) : grey_color(v, lo, span);
            return g;
        }, false);
    }
    ImGui::EndGroup();
}

void heat_picture(const char* id, const char* title, const float* picture, const float* map, int H, int W, float size, float scale) {
    ImGui::BeginGroup();
    ImGui::TextUnformatted(title);
    draw_grid(id, H, W, size / float(std::max(H, W)), [&](int r, int c) {
        GridCell g;
        const float p = std::clamp(picture[r * W + c], 0.0f, 1.0f), h = scale > 0 ? std::clamp(map[r * W + c] / scale, 0.0f, 1.0f) : 0.0f;
        const float grey = 0.35f * p;  // the picture dimmed, so the heat reads on it
        g.fill = ImGui::ColorConvertFloat4ToU32(ImVec4(grey + (1 - grey) * h, grey + 0.55f * h * (1 - h), grey * (1 - h), 1));
        return g;
    }, false);
    ImGui::EndGroup();
}

void probability_bars(const char* id, const std::vector<float>& probabilities, const std::vector<std::string>& names, int mark,
                      float width) {
    ImGui::PushID(id);
    const float label_width = ImGui::GetFontSize() * 5.5f;
    for (size_t k = 0; k < probabilities.size(); k++) {
        ImGui::TextUnformatted(k < names.size() ? names[k].c_str() : "");
        ImGui::SameLine(label_width);
        ImGui::PushStyleColor(ImGuiCol_PlotHistogram, int(k) == mark ? ImVec4(1.0f, 0.55f, 0.2f, 1) : ImVec4(0.35f, 0.6f, 0.9f, 1));
        char text[16];
        std::snprintf(text, sizeof text, "%.0f%%", 100.0 * probabilities[k]);
        ImGui::ProgressBar(probabilities[k], ImVec2(std::max(width - label_width, 40.0f), ImGui::GetFontSize() * 0.95f), text);
        ImGui::PopStyleColor();
    }
    ImGui::PopID();
}

void line_chart(const char* id, const std::vector<float>& x, const std::vector<ChartLine>& lines, float y_lo, float y_hi, ImVec2 size,
                const char* x_label) {
    static const ImU32 colors[] = {IM_COL32(70, 150, 230, 255), IM_COL32(235, 110, 60, 255), IM_COL32(90, 190, 110, 255),
                                   IM_COL32(180, 100, 210, 255), IM_COL32(220, 190, 60, 255), IM_COL32(120, 120, 120, 255)};
    ImGui::PushID(id);
    ImDrawList* draw = ImGui::GetWindowDrawList();
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    const float left = ImGui::CalcTextSize("100%").x + 6, bottom = ImGui::GetFontSize() + 4;
    const ImVec2 a(origin.x + left, origin.y + 4), b(origin.x + size.x - 4, origin.y + size.y - bottom);
    draw->AddRect(a, b, IM_COL32(150, 150, 150, 120));
    const float x_lo = x.empty() ? 0 : x.front(), x_hi = x.empty() ? 1 : std::max(x.back(), x.front() + 1e-6f);
    auto at = [&](float xv, float yv) {
        return ImVec2(a.x + (b.x - a.x) * (xv - x_lo) / (x_hi - x_lo), b.y - (b.y - a.y) * (std::clamp(yv, y_lo, y_hi) - y_lo) / (y_hi - y_lo));
    };
    for (int t = 0; t <= 4; t++) {
        const float yv = y_lo + (y_hi - y_lo) * float(t) / 4;
        const ImVec2 p = at(x_lo, yv);
        draw->AddLine(p, ImVec2(b.x, p.y), IM_COL32(150, 150, 150, 50));
        char text[16];
        std::snprintf(text, sizeof text, "%.0f%%", 100.0 * yv);
        draw->AddText(ImVec2(origin.x, p.y - ImGui::GetFontSize() / 2), ImGui::GetColorU32(ImGuiCol_TextDisabled), text);
    }
    for (float xv : x) {
        char text[16];
        std::snprintf(text, sizeof text, "%g", xv);
        const ImVec2 p = at(xv, y_lo);
        draw->AddText(ImVec2(p.x - ImGui::CalcTextSize(text).x / 2, b.y + 2), ImGui::GetColorU32(ImGuiCol_TextDisabled), text);
    }
    for (size_t l = 0; l < lines.size(); l++) {
        const ImU32 color = colors[l % std::size(colors)];
        for (size_t i = 0; i < lines[l].y.size() && i < x.size(); i++) {
            const ImVec2 p = at(x[i], lines[l].y[i]);
            draw->AddCircleFilled(p, 2.5f, color);
            if (i > 0) draw->AddLine(at(x[i - 1], lines[l].y[i - 1]), p, color, 2.0f);
        }
    }
    ImGui::Dummy(size);
    ImGui::TextDisabled("%s", x_label);
    for (size_t l = 0; l < lines.size(); l++) {
        if (l) ImGui::SameLine();
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colors[l % std::size(colors)]), "- %s", lines[l].name.c_str());
    }
    ImGui::PopID();
}
