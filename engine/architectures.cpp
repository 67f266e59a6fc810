#include "architectures.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

using json = nlohmann::json;
using std::to_string;

namespace {

const ArchitectureInfo kArchitectures[kArchitectureCount] = {
    {Architecture::lenet5, "lenet5", "LeNet-5", 1998,
     "Convolutions with shared weights and subsampling, learned end to end by backpropagation; it read handwritten digits on bank cheques.",
     99.05, "MNIST test set, LeCun et al. 1998 (0.95% error)", 1, 32},
    {Architecture::alexnet, "alexnet", "AlexNet", 2012,
     "A deep CNN trained on two GPUs with ReLU, dropout and data augmentation: it won ImageNet 2012 by a wide margin.",
     56.52, "ImageNet, torchvision's published weights", 3, 224},
    {Architecture::vgg16, "vgg16", "VGG-16", 2014,
     "Only 3x3 convolutions, stacked deep: two 3x3 layers see what one 5x5 sees, with fewer weights and one more ReLU.",
     71.59, "ImageNet, torchvision's published weights", 3, 224},
    {Architecture::resnet18, "resnet18", "ResNet-18", 2015,
     "Residual connections: each block adds its input to its output, so the gradient reaches early layers and very deep networks train.",
     69.76, "ImageNet, torchvision's published weights", 3, 224},
    {Architecture::resnet50, "resnet50", "ResNet-50", 2015,
     "Bottleneck blocks: a 1x1 convolution shrinks the channels, a 3x3 works on few, another 1x1 widens them again.",
     76.13, "ImageNet, torchvision's published weights", 3, 224},
    {Architecture::densenet121, "densenet121", "DenseNet-121", 2016,
     "Each layer of a block reads the feature maps of every layer before it, concatenated: features are reused, not relearned.",
     74.43, "ImageNet, torchvision's published weights", 3, 224},
    {Architecture::efficientnet_b0, "efficientnet_b0", "EfficientNet-B0", 2019,
     "Inverted-residual blocks with depthwise convolutions and squeeze-and-excitation, found by search, then scaled in depth, width and resolution together.",
     77.69, "ImageNet, torchvision's published weights", 3, 224},
};

// A description being written: layers appended in order, each named; returns the name to refer to.
struct Spec {
    json layers = json::array();
    std::string add(json layer, const std::string& name) {
        layer["name"] = name;
        layers.push_back(std::move(layer));
        return name;
    }
    std::string text(int channels, int side) const {
        return json{{"input", {channels, side, side}}, {"layers", layers}}.dump();
    }
};

json conv(int out, int kernel, int stride = 1, int padding = 0, bool bias = true, int groups = 1) {
    json j = {{"type", "conv"}, {"out", out}, {"kernel", kernel}};
    if (stride != 1) j["stride"] = stride;
    if (padding) j["padding"] = padding;
    if (!bias) j["bias"] = false;
    if (groups != 1) j["groups"] = groups;
    return j;
}
json of_type(const char* type) { return json{{"type", type}}; }
json pool(const char* type, int kernel, int stride, int padding = 0) {
    json j = {{"type", type}, {"kernel", kernel}, {"stride", stride}};
    if (padding) j["padding"] = padding;
    return j;
}
json linear(int out) { return json{{"type", "linear"}, {"out", out}}; }
json adaptive(int size) { return json{{"type", "adaptive_avgpool"}, {"size", size}}; }

std::string lenet5(int side) {
    // LeCun et al. 1998 as it is usually written today: tanh, average pooling, full connections
    // between maps (the paper's C3 linked 6 maps to 16 in a fixed pattern, and its F6 fed RBF units).
    Spec s;
    s.add(conv(6, 5), "conv1");
    s.add(of_type("tanh"), "tanh1");
    s.add(pool("avgpool", 2, 2), "pool1");
    s.add(conv(16, 5), "conv2");
    s.add(of_type("tanh"), "tanh2");
    s.add(pool("avgpool", 2, 2), "pool2");
    s.add(of_type("flatten"), "flatten");
    s.add(linear(120), "fc1");
    s.add(of_type("tanh"), "tanh3");
    s.add(linear(84), "fc2");
    s.add(of_type("tanh"), "tanh4");
    s.add(linear(10), "fc3");
    return s.text(1, side);
}

std::string alexnet(int side) {
    Spec s;
    s.add(conv(64, 11, 4, 2), "features.0");
    s.add(of_type("relu"), "features.1");
    s.add(pool("maxpool", 3, 2), "features.2");
    s.add(conv(192, 5, 1, 2), "features.3");
    s.add(of_type("relu"), "features.4");
    s.add(pool("maxpool", 3, 2), "features.5");
    s.add(conv(384, 3, 1, 1), "features.6");
    s.add(of_type("relu"), "features.7");
    s.add(conv(256, 3, 1, 1), "features.8");
    s.add(of_type("relu"), "features.9");
    s.add(conv(256, 3, 1, 1), "features.10");
    s.add(of_type("relu"), "features.11");
    s.add(pool("maxpool", 3, 2), "features.12");
    s.add(adaptive(6), "avgpool");
    s.add(of_type("flatten"), "flatten");
    s.add(of_type("dropout"), "classifier.0");
    s.add(linear(4096), "classifier.1");
    s.add(of_type("relu"), "classifier.2");
    s.add(of_type("dropout"), "classifier.3");
    s.add(linear(4096), "classifier.4");
    s.add(of_type("relu"), "classifier.5");
    s.add(linear(1000), "classifier.6");
    return s.text(3, side);
}

std::string vgg16(int side) {
    Spec s;
    const int config[] = {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0};  // 0: 2x2 max pooling
    int index = 0;
    for (int c : config) {
        if (c == 0) {
            s.add(pool("maxpool", 2, 2), "features." + to_string(index++));
        } else {
            s.add(conv(c, 3, 1, 1), "features." + to_string(index++));
            s.add(of_type("relu"), "features." + to_string(index++));
        }
    }
    s.add(adaptive(7), "avgpool");
    s.add(of_type("flatten"), "flatten");
    s.add(linear(4096), "classifier.0");
    s.add(of_type("relu"), "classifier.1");
    s.add(of_type("dropout"), "classifier.2");
    s.add(linear(4096), "classifier.3");
    s.add(of_type("relu"), "classifier.4");
    s.add(of_type("dropout"), "classifier.5");
    s.add(linear(1000), "classifier.6");
    return s.text(3, side);
}

// ResNet: basic blocks (two 3x3) for ResNet-18, bottlenecks (1x1, 3x3, 1x1 four times wider) for
// ResNet-50. A block whose stride or channels change carries its input through a 1x1 convolution
// and batch norm ("downsample") before the add. torchvision puts the stride on the 3x3.
std::string resnet(const int (&blocks)[4], bool bottleneck, int side) {
    Spec s;
    s.add(conv(64, 7, 2, 3, false), "conv1");
    s.add(of_type("batchnorm"), "bn1");
    s.add(of_type("relu"), "relu");
    std::string block_input = s.add(pool("maxpool", 3, 2, 1), "maxpool");
    int channels = 64;
    const int expansion = bottleneck ? 4 : 1;
    for (int stage = 0; stage < 4; stage++) {
        const int planes = 64 << stage;
        for (int b = 0; b < blocks[stage]; b++) {
            const std::string p = "layer" + to_string(stage + 1) + "." + to_string(b) + ".";
            const int stride = (b == 0 && stage > 0) ? 2 : 1;
            std::string main_end;
            if (bottleneck) {
                s.add(conv(planes, 1, 1, 0, false), p + "conv1");
                s.add(of_type("batchnorm"), p + "bn1");
                s.add(of_type("relu"), p + "relu1");
                s.add(conv(planes, 3, stride, 1, false), p + "conv2");
                s.add(of_type("batchnorm"), p + "bn2");
                s.add(of_type("relu"), p + "relu2");
                s.add(conv(planes * 4, 1, 1, 0, false), p + "conv3");
                main_end = s.add(of_type("batchnorm"), p + "bn3");
            } else {
                s.add(conv(planes, 3, stride, 1, false), p + "conv1");
                s.add(of_type("batchnorm"), p + "bn1");
                s.add(of_type("relu"), p + "relu1");
                s.add(conv(planes, 3, 1, 1, false), p + "conv2");
                main_end = s.add(of_type("batchnorm"), p + "bn2");
            }
            json join = {{"type", "add"}, {"with", block_input}};
            if (stride != 1 || channels != planes * expansion) {
                json shortcut = conv(planes * expansion, 1, stride, 0, false);
                shortcut["from"] = block_input;
                s.add(shortcut, p + "downsample.0");
                s.add(of_type("batchnorm"), p + "downsample.1");
                join["with"] = main_end;
            }
            s.add(join, p + "add");
            block_input = s.add(of_type("relu"), p + "relu");
            channels = planes * expansion;
        }
    }
    s.add(adaptive(1), "avgpool");
    s.add(of_type("flatten"), "flatten");
    s.add(linear(1000), "fc");
    return s.text(3, side);
}

// DenseNet-121: four dense blocks of 6, 12, 24 and 16 layers; each layer (batch norm, ReLU, 1x1 to
// 128 channels, batch norm, ReLU, 3x3 to 32) adds 32 channels to everything before it in the block;
// between blocks a transition halves the channels (1x1) and the size (2x2 average pooling).
std::string densenet121(int side) {
    Spec s;
    s.add(conv(64, 7, 2, 3, false), "features.conv0");
    s.add(of_type("batchnorm"), "features.norm0");
    s.add(of_type("relu"), "features.relu0");
    std::string features = s.add(pool("maxpool", 3, 2, 1), "features.pool0");
    int channels = 64;
    const int layers[] = {6, 12, 24, 16}, growth = 32, bottleneck = 4 * growth;
    for (int b = 0; b < 4; b++) {
        for (int l = 0; l < layers[b]; l++) {
            const std::string p = "features.denseblock" + to_string(b + 1) + ".denselayer" + to_string(l + 1) + ".";
            s.add(of_type("batchnorm"), p + "norm1");
            s.add(of_type("relu"), p + "relu1");
            s.add(conv(bottleneck, 1, 1, 0, false), p + "conv1");
            s.add(of_type("batchnorm"), p + "norm2");
            s.add(of_type("relu"), p + "relu2");
            const std::string fresh = s.add(conv(growth, 3, 1, 1, false), p + "conv2");
            // everything so far, then the new maps: torch.cat([features..., new], 1)
            features = s.add(json{{"type", "concat"}, {"from", features}, {"with", fresh}}, p + "cat");
            channels += growth;
        }
        if (b < 3) {
            const std::string p = "features.transition" + to_string(b + 1) + ".";
            s.add(of_type("batchnorm"), p + "norm");
            s.add(of_type("relu"), p + "relu");
            s.add(conv(channels / 2, 1, 1, 0, false), p + "conv");
            features = s.add(pool("avgpool", 2, 2), p + "pool");
            channels /= 2;
        }
    }
    s.add(of_type("batchnorm"), "features.norm5");
    s.add(of_type("relu"), "relu");
    s.add(adaptive(1), "avgpool");
    s.add(of_type("flatten"), "flatten");
    s.add(linear(1000), "classifier");
    return s.text(3, side);
}

// torchvision's _make_divisible: the nearest multiple of 8, never more than 10% below v.
int divisible_by_8(double v) {
    int rounded = std::max(8, int(v + 4) / 8 * 8);
    if (rounded < 0.9 * v) rounded += 8;
    return rounded;
}

// The inverted-residual block (MBConv): a 1x1 convolution widens the channels `expand` times, a
// depthwise k x k convolution (one filter per channel: groups = channels) filters each on its own,
// squeeze-and-excitation scales each channel by a gate computed from the whole picture, a 1x1
// convolution narrows them again (no activation), and the input is added when the shapes allow.
// Returns the name of the block's last layer.
std::string inverted_residual(Spec& s, const std::string& p, const std::string& input, int in, int out, int expand, int kernel,
                              int stride) {
    const int wide = divisible_by_8(double(in) * expand);
    int k = 0;  // torchvision numbers the block's parts block.0, block.1, ...
    auto part = [&]() { return p + "block." + to_string(k++); };
    if (wide != in) {
        const std::string q = part();
        s.add(conv(wide, 1, 1, 0, false), q + ".0");
        s.add(of_type("batchnorm"), q + ".1");
        s.add(of_type("silu"), q + ".2");
    }
    const std::string dw = part();
    s.add(conv(wide, kernel, stride, (kernel - 1) / 2, false, wide), dw + ".0");
    s.add(of_type("batchnorm"), dw + ".1");
    const std::string gated = s.add(of_type("silu"), dw + ".2");
    const std::string se = part();
    const int squeeze = std::max(1, in / 4);
    s.add(adaptive(1), se + ".avgpool");
    s.add(conv(squeeze, 1), se + ".fc1");
    s.add(of_type("silu"), se + ".activation");
    s.add(conv(wide, 1), se + ".fc2");
    s.add(of_type("sigmoid"), se + ".scale_activation");
    s.add(json{{"type", "scale"}, {"with", gated}}, se + ".scale");
    const std::string project = part();
    s.add(conv(out, 1, 1, 0, false), project + ".0");
    const std::string end = s.add(of_type("batchnorm"), project + ".1");
    if (stride == 1 && in == out) return s.add(json{{"type", "add"}, {"with", input}}, p + "add");
    return end;
}

}  // namespace

const ArchitectureInfo& architecture_info(Architecture a) { return kArchitectures[int(a)]; }

const ArchitectureInfo* find_architecture(const std::string& key) {
    for (const ArchitectureInfo& a : kArchitectures)
        if (key == a.key) return &a;
    return nullptr;
}

EfficientNetScale compound_scale(double phi) {
    return {std::pow(kEfficientBeta, phi), std::pow(kEfficientAlpha, phi), int(std::lround(224 * std::pow(kEfficientGamma, phi)))};
}

std::string efficientnet_json(const EfficientNetScale& scale) {
    struct Stage {
        int expand, kernel, stride, in, out, blocks;
    };
    const Stage b0[] = {{1, 3, 1, 32, 16, 1}, {6, 3, 2, 16, 24, 2},  {6, 5, 2, 24, 40, 2},   {6, 3, 2, 40, 80, 3},
                        {6, 5, 1, 80, 112, 3}, {6, 5, 2, 112, 192, 4}, {6, 3, 1, 192, 320, 1}};
    Spec s;
    const int stem = divisible_by_8(32 * scale.width);
    s.add(conv(stem, 3, 2, 1, false), "features.0.0");
    s.add(of_type("batchnorm"), "features.0.1");
    std::string last = s.add(of_type("silu"), "features.0.2");
    int channels = stem;
    for (int stage = 0; stage < 7; stage++) {
        const Stage& g = b0[stage];
        const int out = divisible_by_8(g.out * scale.width);
        const int blocks = int(std::ceil(g.blocks * scale.depth));
        for (int b = 0; b < blocks; b++) {
            const std::string p = "features." + to_string(stage + 1) + "." + to_string(b) + ".";
            last = inverted_residual(s, p, last, channels, out, g.expand, g.kernel, b == 0 ? g.stride : 1);
            channels = out;
        }
    }
    s.add(conv(4 * channels, 1, 1, 0, false), "features.8.0");
    s.add(of_type("batchnorm"), "features.8.1");
    s.add(of_type("silu"), "features.8.2");
    s.add(adaptive(1), "avgpool");
    s.add(of_type("flatten"), "flatten");
    s.add(json{{"type", "dropout"}, {"p", 0.2}}, "classifier.0");
    s.add(linear(1000), "classifier.1");
    return s.text(3, scale.resolution);
}

std::string architecture_json(Architecture a, int side) {
    if (side <= 0) side = architecture_info(a).side;
    static const int resnet18_blocks[4] = {2, 2, 2, 2}, resnet50_blocks[4] = {3, 4, 6, 3};
    switch (a) {
        case Architecture::lenet5: return lenet5(side);
        case Architecture::alexnet: return alexnet(side);
        case Architecture::vgg16: return vgg16(side);
        case Architecture::resnet18: return resnet(resnet18_blocks, false, side);
        case Architecture::resnet50: return resnet(resnet50_blocks, true, side);
        case Architecture::densenet121: return densenet121(side);
        case Architecture::efficientnet_b0: return efficientnet_json({1.0, 1.0, side});
    }
    return "";
}

std::vector<LayerReport> layer_reports(const Model& model) {
    std::vector<LayerReport> reports;
    for (size_t i = 0; i < model.layers.size(); i++) {
        const Layer& L = model.layers[i];
        LayerReport r;
        r.layer = int(i);
        r.out_shape = L.out_shape;
        r.params = layer_param_count(model, L);
        r.macs = layer_macs(L);
        const LayerReport in = L.source < 0 ? LayerReport{} : reports[size_t(L.source)];
        r.field = in.field;
        r.jump = in.jump;
        r.gated = in.gated;
        auto grow = [&](const ConvAxis& axis) {  // r += (k - 1) * d * j;  j *= s   (receptive_field.h)
            if (r.field < 0) return;
            r.field += int64_t(axis.kernel - 1) * axis.dilation * r.jump;
            r.jump *= axis.stride;
        };
        switch (L.kind) {
            case LayerKind::conv: grow(L.conv.rows); break;
            case LayerKind::maxpool:
            case LayerKind::avgpool: grow(L.pool.rows); break;
            case LayerKind::adaptive_avgpool:
                if (L.out_shape != L.in_shape) r.field = -1;  // an output the input's size is the identity
                break;
            case LayerKind::global_avgpool:
            case LayerKind::flatten:
            case LayerKind::linear:
            case LayerKind::conv_transpose: r.field = -1; break;
            case LayerKind::add:
            case LayerKind::concat:
            case LayerKind::scale: {
                const LayerReport& other = reports[size_t(L.with)];
                if (L.kind == LayerKind::scale) {  // the map's field; its gate saw everything
                    r.field = other.field;
                    r.jump = other.jump;
                    r.gated = true;
                } else {
                    r.field = (r.field < 0 || other.field < 0) ? -1 : std::max(r.field, other.field);
                    r.jump = std::max(r.jump, other.jump);
                    r.gated = r.gated || other.gated;
                }
                break;
            }
            default: break;  // elementwise: unchanged
        }
        reports.push_back(r);
    }
    return reports;
}
