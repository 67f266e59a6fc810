// image_kernels.cpp — Lab "Image kernels": what a kernel does to a real picture.
//
// The hand lab slid a 3x3 kernel over 25 pixels. Here the same sum runs at every pixel of a photo,
// on the GPU (engine/gpu.h, one shader pass) or on the CPU (engine/conv.h), and the result is shown
// beside the picture. Sobel x lights up vertical edges, Sobel y horizontal ones; together they give
// each pixel an edge strength and direction. Blur kernels average, sharpen kernels exaggerate
// differences. Point at a pixel to see its window, its products and its sum, as in the hand lab.
#include <algorithm>
#include <chrono>
#include <cmath>

#include <imgui.h>

#include "../../engine/conv.h"
#include "../../engine/gpu.h"
#include "../app.h"
#include "../fields.h"
#include "../widgets.h"

namespace {

constexpr int kMaxSide = 512;     // the lab works on pictures of at most 512 pixels a side
constexpr int kMaxKernel = 7;
constexpr float kValueLimit = 1e4f;

struct Preset {
    const char* id;
    const char* name;
    const char* what;  // one line for the student
};

const Preset kPresets[] = {
    {"sobel-x", "Sobel x", "right minus left, weighted 1-2-1: vertical edges"},
    {"sobel-y", "Sobel y", "below minus above: horizontal edges"},
    {"gradient-magnitude", "Gradient magnitude", "sqrt(Sobel x^2 + Sobel y^2): edges in any direction"},
    {"gradient-direction", "Gradient direction", "the direction of the change as a colour, its strength as brightness"},
    {"prewitt-x", "Prewitt x", "like Sobel x without the extra weight in the middle row"},
    {"laplacian", "Laplacian", "neighbours minus centre: outlines, zero on flat areas"},
    {"gaussian", "Gaussian blur", "a weighted average that falls off with distance (sigma)"},
    {"box-blur", "Box blur", "the plain average of the window"},
    {"sharpen", "Sharpen", "the pixel plus how much it differs from its neighbours"},
    {"emboss", "Emboss", "a diagonal difference on grey: the picture looks pressed into metal"},
    {"identity", "Identity", "copies the picture"},
    {"edge", "[1, -1]", "a pixel minus its right neighbour"},
};

Rows sobel_x() { return {{-1, 0, 1}, {-2, 0, 2}, {-1, 0, 1}}; }
Rows sobel_y() { return {{-1, -2, -1}, {0, 0, 0}, {1, 2, 1}}; }

// A Gaussian kernel of the given sigma, 2*ceil(2 sigma)+1 wide (at most 7), summing to 1.
Rows gaussian(float sigma) {
    const int r = std::min(3, int(std::ceil(2.0f * sigma)));
    Rows k(size_t(2 * r + 1), std::vector<float>(size_t(2 * r + 1)));
    float total = 0;
    for (int y = -r; y <= r; y++)
        for (int x = -r; x <= r; x++) total += k[size_t(y + r)][size_t(x + r)] = std::exp(-(x * x + y * y) / (2 * sigma * sigma));
    for (auto& row : k)
        for (float& v : row) v /= total;
    return k;
}

Rows preset_kernel(const std::string& id, float sigma) {
    if (id == "sobel-x" || id == "gradient-magnitude" || id == "gradient-direction") return sobel_x();
    if (id == "sobel-y") return sobel_y();
    if (id == "prewitt-x") return {{-1, 0, 1}, {-1, 0, 1}, {-1, 0, 1}};
    if (id == "laplacian") return {{0, 1, 0}, {1, -4, 1}, {0, 1, 0}};
    if (id == "gaussian") return gaussian(sigma);
    if (id == "box-blur") return Rows(3, std::vector<float>(3, 1.0f / 9.0f));
    if (id == "sharpen") return {{0, -1, 0}, {-1, 5, -1}, {0, -1, 0}};
    if (id == "emboss") return {{-2, -1, 0}, {-1, 1, 1}, {0, 1, 2}};
    if (id == "edge") return {{1, -1}};
    return {{0, 0, 0}, {0, 1, 0}, {0, 0, 0}};  // identity
}

bool is_gradient(const std::string& preset) { return preset == "gradient-magnitude" || preset == "gradient-direction"; }

struct ImageKernelsLab {
    // The picture.
    std::string image = "chelsea";  // a photo's name, "square" (the hand lab's), or "file:<name>"
    std::string pending;            // the picture asked for and not arrived yet ("" when none)
    Picture source;                 // its pixels as they arrived (scaled to fit kMaxSide)
    bool color = false;             // per-channel RGB instead of grey
    Tensor input;                   // (1, C, H, W) with C = 1 (grey) or 3, values 0..1
    // The kernel and how it slides.
    std::string preset = "sobel-x";  // or "custom" after an edit
    Rows kernel = sobel_x();         // (KH, KW)
    float sigma = 1.0f;              // Gaussian blur
    int stride = 1, dilation = 1;
    PaddingMode padding_mode = PaddingMode::same;
    int padding = 1;                 // when padding_mode is number
    float contrast = 1.0f;           // scales the colours of the result
    // What runs and how fast.
    bool want_gpu = true;            // the student's choice; the GPU is used when it is also available
    bool used_gpu = false;           // what the last frame ran on
    double frame_ms = 0;             // time of the last frame's convolution (and colour map)
    // Where the student points: an output pixel, and the view.
    int row = 0, col = 0;
    float zoom = 1.0f;               // 1: the whole picture fits
    float center_x = 0.5f, center_y = 0.5f;  // the view's centre, as a fraction of the picture
    std::string note;                // a one-line message (a picture scaled down, a file refused, ...)
    std::string gpu_problem;         // why the last frame could not run on the GPU, "" when it did
    // Derived (rebuilt when the settings change).
    bool dirty = true;
    Conv2dSpec spec;
    Tensor weight, bias;             // (OC, C/groups, KH, KW), (OC): the layer the CPU runs
    Tensor output;                   // (1, OC, OH, OW) on the CPU path
    std::string message;             // why there is no output, "" when there is
    std::vector<uint8_t> rgba;       // scratch for colour maps
    unsigned input_texture = 0, output_texture = 0;  // UI textures (CPU path and the input)
    bool input_uploaded = false;
    int textures_generation = -1;
    GpuTensor gpu_input, gpu_output;
    GpuConvWeights gpu_weights;
    GpuImage gpu_image;
    bool gpu_input_uploaded = false, gpu_weights_uploaded = false;
};

ImageKernelsLab make_lab();
ImageKernelsLab g_lab = make_lab();
bool g_photo_requested = false;  // the first photo is asked for on the first frame drawn

// ---- the picture --------------------------------------------------------------------------

// The hand lab's 5x5 picture: a white square on black.
Picture square_picture() {
    Picture p;
    p.name = "square";
    p.width = p.height = p.original_width = p.original_height = 5;
    p.rgba.assign(100, 0);
    for (int y = 0; y < 5; y++)
        for (int x = 0; x < 5; x++) {
            const uint8_t v = (y >= 1 && y <= 3 && x >= 1 && x <= 3) ? 255 : 0;
            uint8_t* px = &p.rgba[size_t(y * 5 + x) * 4];
            px[0] = px[1] = px[2] = v;
            px[3] = 255;
        }
    return p;
}

// Averages blocks of pixels so the picture fits kMaxSide (box filter).
Picture fit(const Picture& in) {
    const int factor = (std::max(in.width, in.height) + kMaxSide - 1) / kMaxSide;
    if (factor <= 1) return in;
    Picture out = in;
    out.width = in.width / factor;
    out.height = in.height / factor;
    out.rgba.assign(size_t(out.width) * size_t(out.height) * 4, 0);
    for (int y = 0; y < out.height; y++)
        for (int x = 0; x < out.width; x++)
            for (int ch = 0; ch < 4; ch++) {
                int sum = 0;
                for (int dy = 0; dy < factor; dy++)
                    for (int dx = 0; dx < factor; dx++) sum += in.rgba[(size_t(y * factor + dy) * size_t(in.width) + size_t(x * factor + dx)) * 4 + size_t(ch)];
                out.rgba[(size_t(y) * size_t(out.width) + size_t(x)) * 4 + size_t(ch)] = uint8_t(sum / (factor * factor));
            }
    return out;
}

// The input tensor from the picture: grey (ITU-R BT.601 luma) or the three colour channels.
void make_input(ImageKernelsLab& lab) {
    const Picture& p = lab.source;
    const int C = lab.color ? 3 : 1, H = p.height, W = p.width;
    lab.input.shape = {1, C, H, W};
    lab.input.data.assign(size_t(C) * size_t(H) * size_t(W), 0.0f);
    for (int i = 0; i < H * W; i++) {
        const uint8_t* px = &p.rgba[size_t(i) * 4];
        if (lab.color)
            for (int c = 0; c < 3; c++) lab.input.data[size_t(c) * size_t(H * W) + size_t(i)] = px[c] / 255.0f;
        else
            lab.input.data[size_t(i)] = (0.299f * px[0] + 0.587f * px[1] + 0.114f * px[2]) / 255.0f;
    }
    lab.input_uploaded = lab.gpu_input_uploaded = false;
    lab.dirty = true;
}

void use_picture(ImageKernelsLab& lab, const Picture& picture) {
    lab.source = fit(picture);
    lab.image = picture.name;
    lab.note.clear();
    const int ow = picture.original_width ? picture.original_width : picture.width;
    const int oh = picture.original_height ? picture.original_height : picture.height;
    if (ow != lab.source.width || oh != lab.source.height)
        lab.note = "The picture was scaled down from " + std::to_string(ow) + "x" + std::to_string(oh) + " to " +
                   std::to_string(lab.source.width) + "x" + std::to_string(lab.source.height) + " to fit this lab.";
    lab.row = std::min(lab.row, lab.source.height - 1);
    lab.col = std::min(lab.col, lab.source.width - 1);
    make_input(lab);
}

void image_kernels_picture(const Picture& picture) {
    ImageKernelsLab& lab = g_lab;
    const bool asked = picture.name == lab.pending || (lab.pending == "upload" && picture.name.rfind("file:", 0) == 0);
    const bool dropped = picture.name.rfind("file:", 0) == 0 && std::string(current_lab().id) == "image-kernels";
    if (!asked && !dropped) return;
    lab.pending.clear();
    if (!picture.error.empty()) {
        lab.note = "Picture not changed: " + picture.error + ".";
        return;
    }
    use_picture(lab, picture);
    post_event("image-loaded");
}

void ask_for_picture(ImageKernelsLab& lab, const std::string& name) {
    if (name == "square") {
        lab.pending.clear();
        use_picture(lab, square_picture());
        return;
    }
    lab.pending = name;
    request_picture(name);  // may answer at once (the desktop) or later (the browser)
}

ImageKernelsLab make_lab() {
    ImageKernelsLab lab;
    use_picture(lab, square_picture());  // until the first photo arrives
    lab.image = "square";
    return lab;
}

// ---- computing ------------------------------------------------------------------------------

int channels_out(const ImageKernelsLab& lab) { return is_gradient(lab.preset) ? 2 : lab.input.shape[1]; }

// The layer both backends run: grey -> 1 channel (2 for the gradient: Sobel x and y), or each of
// R, G, B filtered on its own (3 channels; groups 3 on the CPU, a diagonal weight on the GPU).
void rebuild(ImageKernelsLab& lab) {
    const int C = lab.input.shape[1], H = lab.input.shape[2], W = lab.input.shape[3];
    const int KH = int(lab.kernel.size()), KW = int(lab.kernel[0].size());
    lab.spec = Conv2dSpec{};
    lab.spec.rows = make_conv_axis(H, KH, lab.stride, lab.dilation, lab.padding_mode, lab.padding);
    lab.spec.cols = make_conv_axis(W, KW, lab.stride, lab.dilation, lab.padding_mode, lab.padding);
    const int OC = channels_out(lab);
    lab.spec.groups = is_gradient(lab.preset) ? 1 : C;
    lab.weight.shape = {OC, C / lab.spec.groups, KH, KW};
    lab.weight.data.assign(size_t(OC) * size_t(C / lab.spec.groups) * size_t(KH * KW), 0.0f);
    const Rows second = sobel_y();
    for (int oc = 0; oc < OC; oc++)
        for (int ky = 0; ky < KH; ky++)
            for (int kx = 0; kx < KW; kx++)
                lab.weight.data[(size_t(oc) * size_t(KH) + size_t(ky)) * size_t(KW) + size_t(kx)] =
                    (is_gradient(lab.preset) && oc == 1 ? second : lab.kernel)[size_t(ky)][size_t(kx)];
    lab.bias.shape = {OC};
    lab.bias.data.assign(size_t(OC), 0.0f);
    Status s = check_conv2d(lab.input.shape, lab.weight.shape, &lab.bias.shape, lab.spec);
    lab.message = s.ok() ? "" : "No output: " + s.message + ".";
    lab.gpu_weights_uploaded = false;
    lab.dirty = false;
}

// How the result is coloured: mode and range for colormap (shader and CPU alike).
void display_range(const ImageKernelsLab& lab, int& mode, float& lo, float& hi) {
    float sum = 0, sum_abs = 0, min_w = 0;
    for (const auto& row : lab.kernel)
        for (float v : row) { sum += v; sum_abs += std::fabs(v); min_w = std::min(min_w, v); }
    const bool smoothing = std::fabs(sum - 1.0f) < 1e-3f && min_w > -1e-6f;  // blur, identity: results stay in 0..1
    const bool brightness = std::fabs(sum - 1.0f) < 1e-3f;                 // sharpen, emboss: about 0..1
    if (lab.preset == "gradient-direction") { mode = 3; lo = 0; hi = 2.0f / lab.contrast; return; }
    if (lab.preset == "gradient-magnitude") { mode = 4; lo = 0; hi = 2.0f / lab.contrast; return; }
    const bool rgb = lab.input.shape[1] == 3;
    if (smoothing || brightness) {
        mode = rgb ? 0 : 1;
        lo = 0.5f - 0.5f / lab.contrast;
        hi = 0.5f + 0.5f / lab.contrast;
        return;
    }
    // differences: zero in the middle; an eighth of the largest possible value is full colour
    // (edges in photos rarely go from black to white within one window)
    const float range = std::max(sum_abs * 0.125f, 1e-3f) / lab.contrast;
    mode = rgb ? 0 : 2;
    lo = rgb ? -range : 0.0f;
    hi = range;
}

// Runs the convolution and the colour map for this frame on the chosen backend; times it.
void compute_frame(ImageKernelsLab& lab) {
    if (lab.dirty) rebuild(lab);
    if (lab.textures_generation != gpu_generation()) {  // the GL context changed: old textures are gone
        lab.input_texture = lab.output_texture = 0;
        lab.gpu_input = GpuTensor{}, lab.gpu_output = GpuTensor{};
        lab.gpu_weights = GpuConvWeights{};
        lab.gpu_image = GpuImage{};
        lab.input_uploaded = lab.gpu_input_uploaded = lab.gpu_weights_uploaded = false;
        lab.textures_generation = gpu_generation();
    }
    const int C = lab.input.shape[1], H = lab.input.shape[2], W = lab.input.shape[3];
    if (!lab.input_uploaded) {
        colormap_rgba(lab.rgba, lab.input.data.data(), C, H, W, 0, C == 3 ? 0 : 1, 0.0f, 1.0f);
        lab.input_texture = upload_texture(lab.input_texture, lab.rgba.data(), W, H);
        lab.input_uploaded = true;
    }
    if (!lab.message.empty()) return;
    int mode = 1;
    float lo = 0, hi = 1;
    display_range(lab, mode, lo, hi);
    const int OC = lab.weight.shape[0], OH = int(conv_output_size(H, lab.spec.rows)), OW = int(conv_output_size(W, lab.spec.cols));
    const auto start = std::chrono::steady_clock::now();
    GpuContext* g = lab.want_gpu ? gpu() : nullptr;
    lab.used_gpu = false;
    if (g) {
        Status s = ok_status();
        if (!lab.gpu_input_uploaded) {
            s = gpu_tensor(*g, lab.gpu_input, 1, C, H, W, "picture");
            if (s.ok()) gpu_upload(*g, lab.gpu_input, lab.input.data.data());
            lab.gpu_input_uploaded = s.ok();
        }
        if (s.ok() && !lab.gpu_weights_uploaded) {
            // the GPU pass has no groups: per-channel filtering is a weight that is zero off the diagonal
            const int KH = lab.weight.shape[2], KW = lab.weight.shape[3], Cin = C;
            std::vector<float> dense(size_t(OC) * size_t(Cin) * size_t(KH * KW), 0.0f);
            for (int oc = 0; oc < OC; oc++)
                for (int t = 0; t < KH * KW; t++) {
                    const int c = lab.spec.groups == 1 ? -1 : oc;  // groups == C: output oc reads input oc only
                    for (int ci = 0; ci < Cin; ci++)
                        if (c < 0 || ci == c)
                            dense[(size_t(oc) * size_t(Cin) + size_t(ci)) * size_t(KH * KW) + size_t(t)] =
                                lab.weight.data[(size_t(oc) * size_t(lab.weight.shape[1]) + size_t(c < 0 ? ci : 0)) * size_t(KH * KW) + size_t(t)];
                }
            s = gpu_conv_weights(*g, lab.gpu_weights, dense.data(), lab.bias.data.data(), OC, Cin, KH, KW, "image kernel");
            lab.gpu_weights_uploaded = s.ok();
        }
        Conv2dSpec dense_spec = lab.spec;
        dense_spec.groups = 1;
        if (s.ok()) s = gpu_conv2d_forward(*g, lab.gpu_output, lab.gpu_input, lab.gpu_weights, dense_spec, false);
        if (s.ok()) s = gpu_colormap(*g, lab.gpu_image, lab.gpu_output, 0, 0, mode, lo, hi);
        if (s.ok()) {
            gpu_finish(*g, lab.gpu_output);  // wait for the GPU, so the time measured is the work's, not its submission
            lab.used_gpu = true;
            lab.gpu_problem.clear();
        } else {
            lab.gpu_problem = s.message + "; this frame ran on the CPU.";
        }
    }
    if (!lab.used_gpu) {
        lab.output.shape = {1, OC, OH, OW};
        lab.output.data.resize(size_t(OC) * size_t(OH) * size_t(OW));
        conv2d_forward(lab.output.data.data(), lab.input.data.data(), lab.weight.data.data(), lab.bias.data.data(), 1, C, H, W, OC,
                       lab.spec);
        colormap_rgba(lab.rgba, lab.output.data.data(), OC, OH, OW, 0, mode, lo, hi);
        lab.output_texture = upload_texture(lab.output_texture, lab.rgba.data(), OW, OH);
    }
    lab.frame_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// The value of output pixel (row, col), channel 0, from the backend that computed it (the GPU's is read back).
float output_value(ImageKernelsLab& lab, int row, int col) {
    if (lab.used_gpu && gpu()) {
        std::vector<float> all(size_t(lab.gpu_output.C) * size_t(lab.gpu_output.H) * size_t(lab.gpu_output.W));
        gpu_download(*gpu(), all.data(), lab.gpu_output);
        return all[size_t(row) * size_t(lab.gpu_output.W) + size_t(col)];
    }
    return lab.output.data[size_t(row) * size_t(lab.output.shape[3]) + size_t(col)];
}

// The window under output pixel (row, col), channel 0: the engine's terms, as in the hand lab.
std::vector<ConvTerm> window_terms(const ImageKernelsLab& lab, int row, int col) {
    std::vector<ConvTerm> terms;
    if (!lab.message.empty()) return terms;
    Status s = conv2d_window(terms, lab.input, lab.weight, lab.spec, 0, 0, row, col);
    if (!s.ok()) terms.clear();
    return terms;
}

// ---- state and commands ---------------------------------------------------------------------

int output_rows(const ImageKernelsLab& lab) { return lab.message.empty() ? int(conv_output_size(lab.input.shape[2], lab.spec.rows)) : 0; }
int output_cols(const ImageKernelsLab& lab) { return lab.message.empty() ? int(conv_output_size(lab.input.shape[3], lab.spec.cols)) : 0; }

json image_kernels_state() {
    ImageKernelsLab& lab = g_lab;
    if (lab.dirty) rebuild(lab);
    json s;
    s["image"] = lab.image;
    s["loading"] = !lab.pending.empty();
    s["width"] = lab.input.shape[3];
    s["height"] = lab.input.shape[2];
    s["color"] = lab.color;
    s["preset"] = lab.preset;
    s["kernel"] = lab.kernel;
    if (is_gradient(lab.preset)) s["kernel_y"] = sobel_y();
    s["sigma"] = lab.sigma;
    s["stride"] = lab.stride;
    s["dilation"] = lab.dilation;
    const char* modes[] = {"number", "valid", "same", "full"};
    s["padding"] = lab.padding_mode == PaddingMode::number ? json(lab.padding) : json(modes[int(lab.padding_mode)]);
    s["contrast"] = lab.contrast;
    s["backend"] = (lab.want_gpu && gpu()) ? "gpu" : "cpu";
    s["gpu_available"] = gpu() != nullptr;
    s["gpu_note"] = gpu_note();
    s["frame_ms"] = lab.frame_ms;
    s["output_size"] = {output_rows(lab), output_cols(lab), channels_out(lab)};
    s["message"] = lab.message.empty() ? json(nullptr) : json(lab.message);
    s["note"] = lab.note;
    s["zoom"] = lab.zoom;
    s["position"] = {lab.row, lab.col};
    std::vector<ConvTerm> terms = window_terms(lab, lab.row, lab.col);
    if (terms.empty()) {
        s["window"] = nullptr;
    } else {
        json list = json::array();
        float sum = 0;
        for (const ConvTerm& t : terms) {
            list.push_back({{"tap", {t.ky, t.kx}}, {"input", t.input}, {"weight", t.weight}, {"product", t.product}, {"padding", t.padding}});
            sum += t.product;
        }
        s["window"] = {{"terms", list}, {"value", sum}};
        // what the backend that drew the last frame computed there (the GPU's is read back)
        s["output_at"] = lab.frame_ms > 0 && (lab.used_gpu || !lab.output.data.empty()) ? json(output_value(lab, lab.row, lab.col)) : json(nullptr);
    }
    return s;
}

std::string apply(ImageKernelsLab& lab, const json& f) {
    std::string e = check_fields(f, {"image", "color", "preset", "kernel", "sigma", "stride", "padding", "dilation", "contrast", "backend",
                                     "position", "zoom"},
                                 {"lab", "loading", "width", "height", "kernel_y", "gpu_available", "gpu_note", "frame_ms", "output_size",
                                  "message", "note", "window", "output_at"});
    if (!e.empty()) return e;
    if (!(e = read_bool(f, "color", lab.color)).empty()) return e;
    if (f.contains("color")) make_input(lab);
    if (!(e = read_number(f, "sigma", 0.3f, 3.0f, lab.sigma)).empty()) return e;
    std::string preset;
    if (!(e = read_string(f, "preset", preset)).empty()) return e;
    if (!preset.empty()) {
        bool known = false;
        std::string names;
        for (const Preset& p : kPresets) {
            known = known || preset == p.id;
            names += std::string(names.empty() ? "" : ", ") + p.id;
        }
        if (!known) return "no preset \"" + preset.substr(0, 30) + "\"; the presets are " + names;
        lab.preset = preset;
        lab.kernel = preset_kernel(preset, lab.sigma);
    } else if (f.contains("sigma") && lab.preset == "gaussian") {
        lab.kernel = preset_kernel("gaussian", lab.sigma);
    }
    if (f.contains("kernel")) {
        const Rows preset_rows = lab.kernel;
        if (!(e = read_rows(f, "kernel", kMaxKernel, kMaxKernel, kValueLimit, false, lab.kernel)).empty()) return e;
        // A state sent back (a link) names its preset and carries that preset's kernel: it stays the preset.
        bool same = !preset.empty() && lab.kernel.size() == preset_rows.size();
        for (size_t r = 0; same && r < preset_rows.size(); r++) {
            same = lab.kernel[r].size() == preset_rows[r].size();
            for (size_t c = 0; same && c < preset_rows[r].size(); c++) same = std::fabs(lab.kernel[r][c] - preset_rows[r][c]) < 1e-6f;
        }
        if (!same) lab.preset = "custom";
    }
    if (!(e = read_int(f, "stride", 1, 8, lab.stride)).empty()) return e;
    if (!(e = read_int(f, "dilation", 1, 8, lab.dilation)).empty()) return e;
    if (f.contains("padding")) {
        const json& v = f["padding"];
        if (v.is_string() && (v == "valid" || v == "same" || v == "full"))
            lab.padding_mode = v == "valid" ? PaddingMode::valid : v == "same" ? PaddingMode::same : PaddingMode::full;
        else if (!(e = read_int(f, "padding", 0, 16, lab.padding)).empty())
            return e + ", or \"valid\", \"same\", \"full\"";
        else
            lab.padding_mode = PaddingMode::number;
    }
    if (!(e = read_number(f, "contrast", 0.1f, 20.0f, lab.contrast)).empty()) return e;
    if (!(e = read_number(f, "zoom", 1.0f, 64.0f, lab.zoom)).empty()) return e;
    std::string backend;
    if (!(e = read_string(f, "backend", backend)).empty()) return e;
    if (!backend.empty()) {
        if (backend != "cpu" && backend != "gpu") return "\"backend\" must be \"cpu\" or \"gpu\"";
        if (backend == "gpu" && !gpu()) return "the GPU backend is not available: " + gpu_note();
        lab.want_gpu = backend == "gpu";
    }
    lab.dirty = true;
    rebuild(lab);
    if (f.contains("position")) {
        int r = 0, c = 0;
        if (!(e = read_position(f["position"], "position", r, c)).empty()) return e;
        if (r < 0 || r >= output_rows(lab) || c < 0 || c >= output_cols(lab))
            return "position [" + std::to_string(r) + ", " + std::to_string(c) + "] is outside the output (" +
                   std::to_string(output_rows(lab)) + " x " + std::to_string(output_cols(lab)) + ")";
        lab.row = r;
        lab.col = c;
    }
    lab.row = std::clamp(lab.row, 0, std::max(output_rows(lab) - 1, 0));
    lab.col = std::clamp(lab.col, 0, std::max(output_cols(lab) - 1, 0));
    std::string image;
    if (!(e = read_string(f, "image", image)).empty()) return e;
    if (!image.empty() && image != lab.image) {
        const auto& photos = photo_names();
        if (image != "square" && image != "upload" && std::find(photos.begin(), photos.end(), image) == photos.end()) {
            std::string names = "square, upload";
            for (const std::string& p : photos) names += ", " + p;
            return "no picture called \"" + image.substr(0, 30) + "\"; the pictures are " + names;
        }
    }
    return "";
}

std::string image_kernels_command(const json& fields) {
    // Work on a copy of the settings (the pixels and GPU objects stay with the lab).
    ImageKernelsLab& lab = g_lab;
    ImageKernelsLab next;
    next.image = lab.image, next.color = lab.color, next.preset = lab.preset, next.kernel = lab.kernel, next.sigma = lab.sigma;
    next.stride = lab.stride, next.dilation = lab.dilation, next.padding_mode = lab.padding_mode, next.padding = lab.padding;
    next.contrast = lab.contrast, next.want_gpu = lab.want_gpu, next.row = lab.row, next.col = lab.col, next.zoom = lab.zoom;
    next.input = lab.input;  // only its shape matters while checking; pixels are re-made if colour changes
    next.source = lab.source;
    std::string error = apply(next, fields);
    if (!error.empty()) return error;
    const bool recolor = next.color != lab.color;
    lab.color = next.color, lab.preset = next.preset, lab.kernel = next.kernel, lab.sigma = next.sigma, lab.stride = next.stride;
    lab.dilation = next.dilation, lab.padding_mode = next.padding_mode, lab.padding = next.padding, lab.contrast = next.contrast;
    lab.want_gpu = next.want_gpu, lab.row = next.row, lab.col = next.col, lab.zoom = next.zoom;
    if (recolor) make_input(lab);
    lab.dirty = true;
    if (fields.contains("image") && fields["image"].get<std::string>() != lab.image) ask_for_picture(lab, fields["image"].get<std::string>());
    return "";
}

// ---- drawing --------------------------------------------------------------------------------

void draw_controls(ImageKernelsLab& lab) {
    ImGui::TextDisabled("PICTURE");
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10);
    if (ImGui::BeginCombo("##picture", lab.image.rfind("file:", 0) == 0 ? lab.image.substr(5).c_str() : lab.image.c_str())) {
        for (const std::string& name : photo_names())
            if (ImGui::Selectable(name.c_str(), name == lab.image)) ask_for_picture(lab, name);
        if (ImGui::Selectable("square (the hand lab's)", lab.image == "square")) ask_for_picture(lab, "square");
        ImGui::EndCombo();
    }
    ImGui::SameLine();
    if (ImGui::Button("Your own...")) ask_for_picture(lab, "upload");
    ui_anchor("upload");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Choose a picture file, or drop one on the page");
    if (!lab.pending.empty()) ImGui::TextDisabled("loading %s ...", lab.pending.c_str());
    if (ImGui::Checkbox("colour: each of R, G, B on its own", &lab.color)) make_input(lab);
    ImGui::Separator();

    ImGui::TextDisabled("KERNEL");
    const char* shown = "custom";
    for (const Preset& p : kPresets)
        if (lab.preset == p.id) shown = p.name;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 12);
    if (ImGui::BeginCombo("##preset", shown)) {
        for (const Preset& p : kPresets) {
            if (ImGui::Selectable(p.name, lab.preset == p.id)) {
                lab.preset = p.id;
                lab.kernel = preset_kernel(p.id, lab.sigma);
                lab.dirty = true;
            }
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", p.what);
        }
        ImGui::EndCombo();
    }
    for (const Preset& p : kPresets)
        if (lab.preset == p.id) {
            ImGui::PushTextWrapPos(0);
            ImGui::TextDisabled("%s", p.what);
            ImGui::PopTextWrapPos();
        }
    if (lab.preset == "gaussian") {
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
        if (ImGui::SliderFloat("sigma", &lab.sigma, 0.3f, 3.0f, "%.2f")) {
            lab.kernel = gaussian(lab.sigma);
            lab.dirty = true;
        }
    }
    int size[2] = {int(lab.kernel.size()), int(lab.kernel[0].size())};
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
    if (ImGui::SliderInt2("rows, cols", size, 1, kMaxKernel)) {
        lab.kernel.resize(size_t(size[0]), std::vector<float>(lab.kernel[0].size(), 0.0f));
        for (auto& row : lab.kernel) row.resize(size_t(size[1]), 0.0f);
        lab.preset = "custom";
        lab.dirty = true;
    }
    if (ImGui::BeginTable("weights", int(lab.kernel[0].size()), ImGuiTableFlags_SizingFixedFit)) {
        for (size_t r = 0; r < lab.kernel.size(); r++) {
            ImGui::TableNextRow();
            for (size_t c = 0; c < lab.kernel[r].size(); c++) {
                ImGui::TableSetColumnIndex(int(c));
                ImGui::PushID(int(r * 8 + c));
                ImGui::SetNextItemWidth(ImGui::GetFontSize() * 2.6f);
                float w = lab.kernel[r][c];
                if (ImGui::DragFloat("##w", &w, 0.02f, -kValueLimit, kValueLimit, "%.3g") && std::isfinite(w)) {
                    lab.kernel[r][c] = w;
                    lab.preset = "custom";
                    lab.dirty = true;
                }
                ImGui::PopID();
            }
        }
        ImGui::EndTable();
    }
    ImGui::Separator();
    ImGui::TextDisabled("SLIDING");
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    if (ImGui::SliderInt("stride", &lab.stride, 1, 4)) lab.dirty = true;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    if (ImGui::SliderInt("dilation", &lab.dilation, 1, 4)) lab.dirty = true;
    const char* modes[] = {"number", "valid", "same", "full"};
    int mode = int(lab.padding_mode);
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    if (ImGui::Combo("padding", &mode, modes, 4)) { lab.padding_mode = PaddingMode(mode); lab.dirty = true; }
    if (lab.padding_mode == PaddingMode::number) {
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
        if (ImGui::SliderInt("zeros", &lab.padding, 0, 8)) lab.dirty = true;
    }
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    ImGui::SliderFloat("contrast", &lab.contrast, 0.1f, 20.0f, "%.2g", ImGuiSliderFlags_Logarithmic);
    ImGui::Separator();

    ImGui::TextDisabled("COMPUTED ON");
    bool want_gpu = lab.want_gpu;
    if (ImGui::RadioButton("CPU", !want_gpu)) lab.want_gpu = false;
    ui_anchor("backend-cpu");
    ImGui::SameLine();
    ImGui::BeginDisabled(gpu() == nullptr);
    if (ImGui::RadioButton("GPU", want_gpu && gpu())) lab.want_gpu = true;
    ImGui::EndDisabled();
    ui_anchor("backend-gpu");
    ImGui::Text("%.2f ms per frame on the %s", lab.frame_ms, lab.used_gpu ? "GPU" : "CPU");
    ImGui::TextDisabled("%.0f frames per second", double(ImGui::GetIO().Framerate));
    if (!gpu()) {
        ImGui::PushTextWrapPos(0);
        ImGui::TextColored(ImVec4(1.0f, 0.7f, 0.45f, 1), "%s", gpu_note().c_str());
        ImGui::PopTextWrapPos();
    }
}

// The picture or the result, at the shared zoom and pan; returns the hovered pixel (-1 if none).
void draw_view(ImageKernelsLab& lab, const char* id, ImTextureID texture, ImVec2 size, int pic_w, int pic_h, int& hover_x, int& hover_y) {
    const float span = 1.0f / lab.zoom;
    lab.center_x = std::clamp(lab.center_x, span / 2, 1 - span / 2);
    lab.center_y = std::clamp(lab.center_y, span / 2, 1 - span / 2);
    const ImVec2 uv0(lab.center_x - span / 2, lab.center_y - span / 2), uv1(lab.center_x + span / 2, lab.center_y + span / 2);
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    if (texture) ImGui::Image(texture, size, uv0, uv1);
    else ImGui::Dummy(size);
    ui_anchor(id);
    hover_x = hover_y = -1;
    if (ImGui::IsItemHovered()) {
        ImGuiIO& io = ImGui::GetIO();
        const float u = uv0.x + (io.MousePos.x - origin.x) / size.x * span, v = uv0.y + (io.MousePos.y - origin.y) / size.y * span;
        hover_x = std::clamp(int(u * pic_w), 0, pic_w - 1);
        hover_y = std::clamp(int(v * pic_h), 0, pic_h - 1);
        if (io.MouseWheel != 0) {  // zoom about the point under the mouse
            const float old_zoom = lab.zoom;
            lab.zoom = std::clamp(lab.zoom * (io.MouseWheel > 0 ? 1.25f : 0.8f), 1.0f, 64.0f);
            lab.center_x = u + (lab.center_x - u) * old_zoom / lab.zoom;
            lab.center_y = v + (lab.center_y - v) * old_zoom / lab.zoom;
        }
        if (ImGui::IsMouseDragging(ImGuiMouseButton_Left)) {
            const ImVec2 d = io.MouseDelta;
            lab.center_x -= d.x / size.x * span;
            lab.center_y -= d.y / size.y * span;
        }
    }
    ImGui::GetWindowDrawList()->AddRect(origin, ImVec2(origin.x + size.x, origin.y + size.y), IM_COL32(90, 90, 100, 255));
}

void image_kernels_draw() {
    ImageKernelsLab& lab = g_lab;
    if (!g_photo_requested) {  // open on a photo
        g_photo_requested = true;
        if (lab.image == "square" && lab.pending.empty()) ask_for_picture(lab, "chelsea");
    }
    compute_frame(lab);

    lab_intro("Image kernels",
              "The same multiply-and-add as in the hand lab, at every pixel of a photo at once. Sobel x lights up where "
              "the picture gets brighter to the right, Sobel y where it gets brighter downwards; blurs average the "
              "window, sharpening adds back the difference. Point at a pixel to see its window and its sum; scroll "
              "to zoom, drag to move.");
    ImGui::BeginChild("controls", ImVec2(ImGui::GetFontSize() * 16, 0), true);
    draw_controls(lab);
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("views", ImVec2(0, 0), false);
    const int H = lab.input.shape[2], W = lab.input.shape[3];
    const float avail_w = (ImGui::GetContentRegionAvail().x - ImGui::GetStyle().ItemSpacing.x) / 2;
    const float avail_h = ImGui::GetContentRegionAvail().y * 0.62f;
    const float scale = std::min(avail_w / W, avail_h / H);
    const ImVec2 size(W * scale, H * scale);
    int hx = -1, hy = -1, ox = -1, oy = -1;
    ImGui::BeginGroup();
    ImGui::Text("%s  %dx%d%s", lab.image.rfind("file:", 0) == 0 ? lab.image.substr(5).c_str() : lab.image.c_str(), W, H,
                lab.color ? " RGB" : " grey");
    draw_view(lab, "input-view", ImTextureID(intptr_t(lab.input_texture)), size, W, H, hx, hy);
    ImGui::EndGroup();
    ImGui::SameLine();
    ImGui::BeginGroup();
    const int OH = output_rows(lab), OW = output_cols(lab);
    if (lab.message.empty()) {
        ImGui::Text("Result  %dx%d, on the %s", OW, OH, lab.used_gpu ? "GPU" : "CPU");
        const unsigned shown = lab.used_gpu ? lab.gpu_image.texture : lab.output_texture;
        draw_view(lab, "output-view", ImTextureID(intptr_t(shown)), size, OW, OH, ox, oy);
    } else {
        ImGui::Text("Result");
        ImGui::PushTextWrapPos(ImGui::GetCursorPosX() + size.x);
        ImGui::TextColored(ImVec4(1.0f, 0.6f, 0.4f, 1), "%s", lab.message.c_str());
        ImGui::PopTextWrapPos();
    }
    ImGui::EndGroup();
    // pointing at the picture selects the output pixel whose window starts nearest to it
    if (hx >= 0 && OW > 0) {
        lab.col = std::clamp((hx + lab.spec.cols.pad_before) / lab.stride, 0, OW - 1);
        lab.row = std::clamp((hy + lab.spec.rows.pad_before) / lab.stride, 0, OH - 1);
    } else if (ox >= 0) {
        lab.col = ox;
        lab.row = oy;
    }
    for (const std::string* line : {&lab.note, &lab.gpu_problem}) {
        if (line->empty()) continue;
        ImGui::PushTextWrapPos(0);
        ImGui::TextColored(ImVec4(1.0f, 0.75f, 0.45f, 1), "%s", line->c_str());
        ImGui::PopTextWrapPos();
    }
    // the window under the pointer, as in the hand lab
    std::vector<ConvTerm> terms = window_terms(lab, lab.row, lab.col);
    if (!terms.empty()) {
        const int KW = lab.weight.shape[3];
        float sum = 0;
        ImGui::Text("Output pixel [%d, %d]%s: each pixel times the weight on top of it", lab.row, lab.col,
                    lab.input.shape[1] == 3 ? " (red channel)" : "");
        if (ImGui::BeginTable("window", KW, ImGuiTableFlags_Borders | ImGuiTableFlags_SizingFixedFit)) {
            for (size_t i = 0; i < terms.size(); i++) {
                if (i % size_t(KW) == 0) ImGui::TableNextRow();
                ImGui::TableSetColumnIndex(int(i % size_t(KW)));
                const ConvTerm& t = terms[i];
                ImGui::TextColored(t.padding ? ImVec4(0.55f, 0.55f, 0.6f, 1) : ImVec4(1, 1, 1, 1), "%s", format_number(t.input).c_str());
                ImGui::SameLine(0, 3);
                ImGui::TextColored(ImVec4(1.0f, 0.78f, 0.16f, 1), "× %s", format_number(t.weight).c_str());
                ImGui::SameLine(0, 3);
                ImGui::Text("= %s", format_number(t.product).c_str());
                sum += t.product;
            }
            ImGui::EndTable();
        }
        ImGui::Text("Sum: %s", format_number(sum).c_str());
    }
    ImGui::EndChild();
}

}  // namespace

CNNLAB_REGISTER_LAB("image-kernels", "Image kernels", "Sobel, blur and sharpen on real photos, on the GPU or the CPU.",
                    image_kernels_draw, image_kernels_state, image_kernels_command, image_kernels_picture);
