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
#include "../lab_kit.h"
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

// What the student chose: the kernel, how it slides, how the result is shown, where they point.
struct ImageKernelsSettings {
    bool color = false;              // per-channel RGB instead of grey
    std::string preset = "sobel-x";  // or "custom" after an edit
    Rows kernel = sobel_x();         // (KH, KW)
    float sigma = 1.0f;              // Gaussian blur
    int stride = 1, dilation = 1;
    PaddingMode padding_mode = PaddingMode::same;
    int padding = 1;                 // when padding_mode is number
    float contrast = 1.0f;           // scales the colours of the result
    Backend backend = Backend::gpu;  // the GPU is used when it is also available
    float zoom = 1.0f;               // 1: the whole picture fits
    int row = 0, col = 0;            // the output pixel pointed at
    bool operator==(const ImageKernelsSettings&) const = default;
};

struct ImageKernelsLab {
    ImageKernelsSettings settings;
    // The picture.
    std::string image = "chelsea";  // a photo's name, "square" (the hand lab's), or "file:<name>"
    Picture source;                 // its pixels as they arrived (scaled to fit kMaxSide)
    Tensor input;                   // (1, C, H, W) with C = 1 (grey) or 3, values 0..1
    // What ran and how fast.
    bool used_gpu = false;           // what the last frame ran on
    double frame_ms = 0;             // time of the last frame's convolution (and colour map)
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
    const int C = lab.settings.color ? 3 : 1, H = p.height, W = p.width;
    lab.input.shape = {1, C, H, W};
    lab.input.data.assign(size_t(C) * size_t(H) * size_t(W), 0.0f);
    for (int i = 0; i < H * W; i++) {
        const uint8_t* px = &p.rgba[size_t(i) * 4];
        if (lab.settings.color)
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
    lab.settings.row = std::min(lab.settings.row, lab.source.height - 1);
    lab.settings.col = std::min(lab.settings.col, lab.source.width - 1);
    make_input(lab);
}

void image_kernels_picture(const Picture& picture) {
    ImageKernelsLab& lab = g_lab;
    if (!picture.error.empty()) {
        lab.note = "Picture not changed: " + picture.error + ".";
        return;
    }
    use_picture(lab, picture);
    post_event("image-loaded");
}

void ask_for_picture(ImageKernelsLab& lab, const std::string& name) {
    if (name == "square") {
        cancel_picture_request("image-kernels");  // a photo still on its way is not wanted any more
        use_picture(lab, square_picture());
        return;
    }
    request_picture("image-kernels", name);  // may answer at once (the desktop) or later (the browser)
}

ImageKernelsLab make_lab() {
    ImageKernelsLab lab;
    use_picture(lab, square_picture());  // until the first photo arrives
    lab.image = "square";
    return lab;
}

// ---- computing ------------------------------------------------------------------------------

int channels_out(const ImageKernelsLab& lab) { return is_gradient(lab.settings.preset) ? 2 : lab.input.shape[1]; }

// The layer both backends run: grey -> 1 channel (2 for the gradient: Sobel x and y), or each of
// R, G, B filtered on its own (3 channels; groups 3 on the CPU, a diagonal weight on the GPU).
void rebuild(ImageKernelsLab& lab) {
    const int C = lab.input.shape[1], H = lab.input.shape[2], W = lab.input.shape[3];
    const int KH = int(lab.settings.kernel.size()), KW = int(lab.settings.kernel[0].size());
    lab.spec = Conv2dSpec{};
    lab.spec.rows = make_conv_axis(H, KH, lab.settings.stride, lab.settings.dilation, lab.settings.padding_mode, lab.settings.padding);
    lab.spec.cols = make_conv_axis(W, KW, lab.settings.stride, lab.settings.dilation, lab.settings.padding_mode, lab.settings.padding);
    const int OC = channels_out(lab);
    lab.spec.groups = is_gradient(lab.settings.preset) ? 1 : C;
    lab.weight.shape = {OC, C / lab.spec.groups, KH, KW};
    lab.weight.data.assign(size_t(OC) * size_t(C / lab.spec.groups) * size_t(KH * KW), 0.0f);
    const Rows second = sobel_y();
    for (int oc = 0; oc < OC; oc++)
        for (int ky = 0; ky < KH; ky++)
            for (int kx = 0; kx < KW; kx++)
                lab.weight.data[(size_t(oc) * size_t(KH) + size_t(ky)) * size_t(KW) + size_t(kx)] =
                    (is_gradient(lab.settings.preset) && oc == 1 ? second : lab.settings.kernel)[size_t(ky)][size_t(kx)];
    lab.bias.shape = {OC};
    lab.bias.data.assign(size_t(OC), 0.0f);
    Status s = check_conv2d(lab.input.shape, lab.weight.shape, &lab.bias.shape, lab.spec);
    lab.message = s.ok() ? "" : "No output: " + s.message + ".";
    lab.gpu_weights_uploaded = false;
    lab.dirty = false;
}

// How the result is coloured: mode and range for colormap (shader and CPU alike).
void display_range(const ImageKernelsLab& lab, Colormap& mode, float& lo, float& hi) {
    float sum = 0, sum_abs = 0, min_w = 0;
    for (const auto& row : lab.settings.kernel)
        for (float v : row) { sum += v; sum_abs += std::fabs(v); min_w = std::min(min_w, v); }
    const bool smoothing = std::fabs(sum - 1.0f) < 1e-3f && min_w > -1e-6f;  // blur, identity: results stay in 0..1
    const bool brightness = std::fabs(sum - 1.0f) < 1e-3f;                 // sharpen, emboss: about 0..1
    if (lab.settings.preset == "gradient-direction") { mode = Colormap::direction; lo = 0; hi = 2.0f / lab.settings.contrast; return; }
    if (lab.settings.preset == "gradient-magnitude") { mode = Colormap::magnitude; lo = 0; hi = 2.0f / lab.settings.contrast; return; }
    const bool rgb = lab.input.shape[1] == 3;
    if (smoothing || brightness) {
        mode = rgb ? Colormap::rgb : Colormap::grey;
        lo = 0.5f - 0.5f / lab.settings.contrast;
        hi = 0.5f + 0.5f / lab.settings.contrast;
        return;
    }
    // differences: zero in the middle; an eighth of the largest possible value is full colour
    // (edges in photos rarely go from black to white within one window)
    const float range = std::max(sum_abs * 0.125f, 1e-3f) / lab.settings.contrast;
    mode = rgb ? Colormap::rgb : Colormap::diverging;
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
        colormap_rgba(lab.rgba, lab.input.data.data(), C, H, W, 0, C == 3 ? Colormap::rgb : Colormap::grey, 0.0f, 1.0f);
        lab.input_texture = upload_texture(lab.input_texture, lab.rgba.data(), W, H);
        lab.input_uploaded = true;
    }
    if (!lab.message.empty()) return;
    Colormap mode = Colormap::grey;
    float lo = 0, hi = 1;
    display_range(lab, mode, lo, hi);
    const int OC = lab.weight.shape[0], OH = int(conv_output_size(H, lab.spec.rows)), OW = int(conv_output_size(W, lab.spec.cols));
    const auto start = std::chrono::steady_clock::now();
    GpuContext* g = lab.settings.backend == Backend::gpu ? gpu() : nullptr;
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
float output_value(const ImageKernelsLab& lab, int row, int col) {
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

// "preset": a kernel by name; "sigma" (read before it) remakes the Gaussian.
std::string read_preset(const json& f, ImageKernelsSettings& s) {
    std::string preset;
    if (std::string e = read_string(f, "preset", preset); !e.empty()) return e;
    if (preset == "custom") {  // a state sent back: its "kernel" field holds the student's own weights
        if (!f.contains("kernel")) return "\"preset\": \"custom\" needs the kernel itself in \"kernel\"";
        s.preset = preset;
    } else if (!preset.empty()) {
        bool known = false;
        std::string names;
        for (const Preset& p : kPresets) {
            known = known || preset == p.id;
            names += std::string(names.empty() ? "" : ", ") + p.id;
        }
        if (!known) return "no preset \"" + preset.substr(0, 30) + "\"; the presets are " + names;
        s.preset = preset;
        s.kernel = preset_kernel(preset, s.sigma);
    } else if (f.contains("sigma") && s.preset == "gaussian") {
        s.kernel = gaussian(s.sigma);
    }
    return "";
}

// "kernel": your own weights. A state sent back (a link) names its preset and carries that
// preset's kernel: it stays the preset; any other kernel is "custom".
std::string read_kernel(const json& f, ImageKernelsSettings& s) {
    if (!f.contains("kernel")) return "";
    const Rows preset_rows = s.kernel;
    if (std::string e = read_rows(f, "kernel", kMaxKernel, kMaxKernel, kValueLimit, false, s.kernel); !e.empty()) return e;
    bool same = s.kernel.size() == preset_rows.size();
    for (size_t r = 0; same && r < preset_rows.size(); r++) {
        same = s.kernel[r].size() == preset_rows[r].size();
        for (size_t c = 0; same && c < preset_rows[r].size(); c++) same = std::fabs(s.kernel[r][c] - preset_rows[r][c]) < 1e-6f;
    }
    if (!same) s.preset = "custom";
    return "";
}

// "backend": the choice; the state shows what runs ("gpu" only while the GPU is there).
std::string read_backend(const json& f, ImageKernelsSettings& s) {
    Backend backend = s.backend;
    if (std::string e = read_choice(f, "backend", kBackends, backend); !e.empty()) return e;
    if (f.contains("backend") && backend == Backend::gpu && !gpu()) return "the GPU backend is not available: " + gpu_note();
    s.backend = backend;
    return "";
}

const Field<ImageKernelsSettings> kSettingFields[] = {
    flag_field("color", &ImageKernelsSettings::color),
    number_field("sigma", &ImageKernelsSettings::sigma, 0.3f, 3.0f),
    {"preset", read_preset, [](const ImageKernelsSettings& s) { return json(s.preset); }},
    {"kernel", read_kernel, [](const ImageKernelsSettings& s) { return json(s.kernel); }},
    whole_field("stride", &ImageKernelsSettings::stride, 1, 8),
    whole_field("dilation", &ImageKernelsSettings::dilation, 1, 8),
    {"padding", [](const json& f, ImageKernelsSettings& s) { return read_padding(f, 0, 16, s.padding_mode, s.padding); },
     [](const ImageKernelsSettings& s) { return padding_json(s.padding_mode, s.padding); }},
    number_field("contrast", &ImageKernelsSettings::contrast, 0.1f, 20.0f),
    number_field("zoom", &ImageKernelsSettings::zoom, 1.0f, 64.0f),
    {"backend", read_backend, [](const ImageKernelsSettings& s) { return json(s.backend == Backend::gpu && gpu() ? "gpu" : "cpu"); }},
};

json window_json(const ImageKernelsLab& lab) {
    const int row = lab.settings.row, col = lab.settings.col;
    std::vector<ConvTerm> terms = window_terms(lab, row, col);
    if (terms.empty()) return nullptr;
    json list = json::array();
    float sum = 0;
    for (const ConvTerm& t : terms) {
        list.push_back({{"tap", {t.ky, t.kx}}, {"input", t.input}, {"weight", t.weight}, {"product", t.product}, {"padding", t.padding}});
        sum += t.product;
    }
    return {{"terms", list}, {"value", sum}};
}

// What the lab shows of the picture and the result (read-only in the state).
const Output<ImageKernelsLab> kOutputs[] = {
    {"image", [](const ImageKernelsLab& lab) { return json(lab.image); }},
    {"position", [](const ImageKernelsLab& lab) { return json{lab.settings.row, lab.settings.col}; }},
    {"loading", [](const ImageKernelsLab&) { return json(!picture_pending("image-kernels").empty()); }},
    {"width", [](const ImageKernelsLab& lab) { return json(lab.input.shape[3]); }},
    {"height", [](const ImageKernelsLab& lab) { return json(lab.input.shape[2]); }},
    {"kernel_y", [](const ImageKernelsLab& lab) { return is_gradient(lab.settings.preset) ? json(sobel_y()) : json(nullptr); }},
    {"gpu_available", [](const ImageKernelsLab&) { return json(gpu() != nullptr); }},
    {"gpu_note", [](const ImageKernelsLab&) { return json(gpu_note()); }},
    {"frame_ms", [](const ImageKernelsLab& lab) { return json(lab.frame_ms); }},
    {"output_size", [](const ImageKernelsLab& lab) { return json{output_rows(lab), output_cols(lab), channels_out(lab)}; }},
    {"message", [](const ImageKernelsLab& lab) { return text_or_null(lab.message); }},
    {"note", [](const ImageKernelsLab& lab) { return json(lab.note); }},
    {"window", window_json},  // the products under the pixel pointed at
    {"output_at", [](const ImageKernelsLab& lab) {  // what the last frame's backend computed there (the GPU's is read back)
         const bool computed = lab.frame_ms > 0 && (lab.used_gpu || !lab.output.data.empty());
         return computed && !window_terms(lab, lab.settings.row, lab.settings.col).empty()
                    ? json(output_value(lab, lab.settings.row, lab.settings.col)) : json(nullptr);
     }},
};

json image_kernels_state() {
    ImageKernelsLab& lab = g_lab;
    if (lab.dirty) rebuild(lab);
    json s;
    write_fields(s, kSettingFields, lab.settings);
    write_outputs(s, kOutputs, lab);
    return s;
}

// "image": a shipped photo, "square" (the hand lab's) or "upload" (the student's own file).
std::string read_picture_name(const json& f, std::string& out) {
    std::string image;
    if (std::string e = read_string(f, "image", image); !e.empty()) return e;
    if (image.empty() || image == g_lab.image) return "";
    const auto& photos = photo_names();
    if (image != "square" && image != "upload" && std::find(photos.begin(), photos.end(), image) == photos.end()) {
        std::string names = "square, upload";
        for (const std::string& p : photos) names += ", " + p;
        return "no picture called \"" + image.substr(0, 30) + "\"; the pictures are " + names;
    }
    out = image;
    return "";
}

// The settings, checked against the picture the lab holds (its size decides the output's).
std::string apply_settings(ImageKernelsSettings& s, const json& f) {
    if (std::string e = read_fields(f, kSettingFields, s); !e.empty()) return e;
    const int H = g_lab.input.shape[2], W = g_lab.input.shape[3], KH = int(s.kernel.size()), KW = int(s.kernel[0].size());
    const ConvAxis rows = make_conv_axis(H, KH, s.stride, s.dilation, s.padding_mode, s.padding);
    const ConvAxis cols = make_conv_axis(W, KW, s.stride, s.dilation, s.padding_mode, s.padding);
    const bool fits = check_conv_axis(H, rows, "rows").ok() && check_conv_axis(W, cols, "columns").ok();
    const int OH = fits ? int(conv_output_size(H, rows)) : 0, OW = fits ? int(conv_output_size(W, cols)) : 0;
    if (std::string e = read_cell(f, "position", OH, OW, "output", s.row, s.col); !e.empty()) return e;
    s.row = std::clamp(s.row, 0, std::max(OH - 1, 0));
    s.col = std::clamp(s.col, 0, std::max(OW - 1, 0));
    return "";
}

// Kept settings: the input is remade when the colour changed, the layer at the next frame.
void use_settings(ImageKernelsSettings& s) {
    if (g_lab.input.shape[1] != (s.color ? 3 : 1)) make_input(g_lab);
    g_lab.dirty = true;
}

// The pixels and GPU objects stay with the lab: a command works on a copy of the settings.
std::string image_kernels_command(const json& fields) {
    if (std::string e = check_command(fields, kSettingFields, {"image", "position"}, kOutputs); !e.empty()) return e;
    std::string picture;
    if (std::string e = read_picture_name(fields, picture); !e.empty()) return e;
    if (std::string e = command_on_copy("image-kernels", g_lab.settings, fields, apply_settings, use_settings); !e.empty()) return e;
    if (!picture.empty()) ask_for_picture(g_lab, picture);
    return "";
}

// A change made in the lab's own controls goes through the command path like one from the page.
void ui_command(const json& fields) {
    std::string e = image_kernels_command(fields);
    if (!e.empty()) g_lab.note = "Not changed: " + e + ".";
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
    if (const std::string asked = picture_pending("image-kernels"); !asked.empty()) ImGui::TextDisabled("loading %s ...", asked.c_str());
    bool color = lab.settings.color;
    if (ImGui::Checkbox("colour: each of R, G, B on its own", &color)) ui_command({{"color", color}});
    ImGui::Separator();

    ImGui::TextDisabled("KERNEL");
    const char* shown = "custom";
    for (const Preset& p : kPresets)
        if (lab.settings.preset == p.id) shown = p.name;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 12);
    if (ImGui::BeginCombo("##preset", shown)) {
        for (const Preset& p : kPresets) {
            if (ImGui::Selectable(p.name, lab.settings.preset == p.id)) {
                lab.settings.preset = p.id;
                lab.settings.kernel = preset_kernel(p.id, lab.settings.sigma);
                lab.dirty = true;
            }
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", p.what);
        }
        ImGui::EndCombo();
    }
    for (const Preset& p : kPresets)
        if (lab.settings.preset == p.id) {
            ImGui::PushTextWrapPos(0);
            ImGui::TextDisabled("%s", p.what);
            ImGui::PopTextWrapPos();
        }
    if (lab.settings.preset == "gaussian") {
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8);
        if (ImGui::SliderFloat("sigma", &lab.settings.sigma, 0.3f, 3.0f, "%.2f")) {
            lab.settings.kernel = gaussian(lab.settings.sigma);
            lab.dirty = true;
        }
    }
    int size[2] = {int(lab.settings.kernel.size()), int(lab.settings.kernel[0].size())};
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
    if (ImGui::SliderInt2("rows, cols", size, 1, kMaxKernel)) {
        lab.settings.kernel.resize(size_t(size[0]), std::vector<float>(lab.settings.kernel[0].size(), 0.0f));
        for (auto& row : lab.settings.kernel) row.resize(size_t(size[1]), 0.0f);
        lab.settings.preset = "custom";
        lab.dirty = true;
    }
    if (edit_weights("weights", lab.settings.kernel, 0.02f, kValueLimit)) {
        lab.settings.preset = "custom";
        lab.dirty = true;
    }
    ImGui::Separator();
    ImGui::TextDisabled("SLIDING");
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    if (ImGui::SliderInt("stride", &lab.settings.stride, 1, 4)) lab.dirty = true;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    if (ImGui::SliderInt("dilation", &lab.settings.dilation, 1, 4)) lab.dirty = true;
    const char* modes[] = {"number", "valid", "same", "full"};
    int mode = int(lab.settings.padding_mode);
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    if (ImGui::Combo("padding", &mode, modes, 4)) { lab.settings.padding_mode = PaddingMode(mode); lab.dirty = true; }
    if (lab.settings.padding_mode == PaddingMode::number) {
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
        if (ImGui::SliderInt("zeros", &lab.settings.padding, 0, 8)) lab.dirty = true;
    }
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    ImGui::SliderFloat("contrast", &lab.settings.contrast, 0.1f, 20.0f, "%.2g", ImGuiSliderFlags_Logarithmic);
    ImGui::Separator();

    ImGui::TextDisabled("COMPUTED ON");
    const bool want_gpu = lab.settings.backend == Backend::gpu;
    if (ImGui::RadioButton("CPU", !want_gpu)) lab.settings.backend = Backend::cpu;
    ui_anchor("backend-cpu");
    ImGui::SameLine();
    ImGui::BeginDisabled(gpu() == nullptr);
    if (ImGui::RadioButton("GPU", want_gpu && gpu())) lab.settings.backend = Backend::gpu;
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
    const float span = 1.0f / lab.settings.zoom;
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
            const float old_zoom = lab.settings.zoom;
            lab.settings.zoom = std::clamp(lab.settings.zoom * (io.MouseWheel > 0 ? 1.25f : 0.8f), 1.0f, 64.0f);
            lab.center_x = u + (lab.center_x - u) * old_zoom / lab.settings.zoom;
            lab.center_y = v + (lab.center_y - v) * old_zoom / lab.settings.zoom;
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
        if (lab.image == "square" && picture_pending("image-kernels").empty()) ask_for_picture(lab, "chelsea");
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
                lab.settings.color ? " RGB" : " grey");
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
        lab.settings.col = std::clamp((hx + lab.spec.cols.pad_before) / lab.settings.stride, 0, OW - 1);
        lab.settings.row = std::clamp((hy + lab.spec.rows.pad_before) / lab.settings.stride, 0, OH - 1);
    } else if (ox >= 0) {
        lab.settings.col = ox;
        lab.settings.row = oy;
    }
    for (const std::string* line : {&lab.note, &lab.gpu_problem}) {
        if (line->empty()) continue;
        ImGui::PushTextWrapPos(0);
        ImGui::TextColored(ImVec4(1.0f, 0.75f, 0.45f, 1), "%s", line->c_str());
        ImGui::PopTextWrapPos();
    }
    // the window under the pointer, as in the hand lab
    std::vector<ConvTerm> terms = window_terms(lab, lab.settings.row, lab.settings.col);
    if (!terms.empty()) {
        const int KW = lab.weight.shape[3];
        float sum = 0;
        ImGui::Text("Output pixel [%d, %d]%s: each pixel times the weight on top of it", lab.settings.row, lab.settings.col,
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

CNNLAB_REGISTER_LAB(.id = "image-kernels", .name = "Image kernels",
                    .summary = "Sobel, blur and sharpen on real photos, on the GPU or the CPU.", .draw = image_kernels_draw,
                    .state = image_kernels_state, .command = image_kernels_command, .on_picture = image_kernels_picture);
