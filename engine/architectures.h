// architectures.h — seven landmark CNNs, LeNet-5 to EfficientNet-B0, written in the engine's model
// description (model.h), and what the engine's shape inference says about each of their layers.
//
// Layers are named after torchvision's modules ("layer1.0.conv1", "features.3.0.block.1.0"), so a
// network's tensor names and shapes are exactly the keys of torchvision's state_dict (without
// batch norm's num_batches_tracked), and torchvision's weights load into it (tests compare both).
// Nothing here is a typed table of sizes: every shape, parameter count and multiply-add count comes
// from model_layout. The typed numbers are history: each network's year and its published accuracy.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model.h"
#include "status.h"

enum class Architecture { lenet5, alexnet, vgg16, resnet18, resnet50, densenet121, efficientnet_b0 };
inline constexpr int kArchitectureCount = 7;

struct ArchitectureInfo {
    Architecture id;
    const char* key;       // "resnet18": the name in commands and links
    const char* name;      // "ResNet-18"
    int year;              // of the paper
    const char* idea;      // what it brought, one sentence
    double top1;           // published top-1 accuracy, percent: ImageNet (LeNet-5: MNIST test set)
    const char* top1_source;
    int channels, side;    // the input it was made for: (channels, side, side)
};
const ArchitectureInfo& architecture_info(Architecture a);
const ArchitectureInfo* find_architecture(const std::string& key);  // nullptr when none has that key

// The model description of an architecture for a (channels, side, side) input; side 0: its own
// (224, LeNet-5 32). 1000 classes (LeNet-5: 10).
std::string architecture_json(Architecture a, int side = 0);

// EfficientNet-B0 scaled: channels times `width` (rounded to a multiple of 8 as torchvision does),
// blocks per stage times `depth` (rounded up), the input `resolution` pixels square.
// Compound scaling with coefficient phi: width 1.1^phi, depth 1.2^phi, resolution 224 * 1.15^phi,
// chosen (Tan and Le, 2019) so that 1.2 * 1.1^2 * 1.15^2 ~ 2: each step of phi about doubles the
// multiply-adds (they grow with depth, with width squared and with resolution squared).
struct EfficientNetScale {
    double width = 1.0, depth = 1.0;
    int resolution = 224;
};
inline constexpr double kEfficientAlpha = 1.2, kEfficientBeta = 1.1, kEfficientGamma = 1.15;
EfficientNetScale compound_scale(double phi);  // all three scaled together
std::string efficientnet_json(const EfficientNetScale& scale);

// One layer as the lab lists it.
struct LayerReport {
    int layer = 0;                // index into model.layers
    std::vector<int> out_shape;   // one sample: (C,H,W) or (D)
    int64_t params = 0;           // trainable values of this layer
    int64_t macs = 0;             // multiply-adds of one picture's forward pass
    int64_t field = 1;            // receptive field side in input pixels; -1: the whole picture
    int64_t jump = 1;             // input pixels between neighbouring units
    bool gated = false;           // a squeeze-and-excitation gate (global pooling) lies on the way:
                                  // besides `field`, every unit is scaled by a summary of the whole picture
};
// Every layer of a laid-out model (model_layout), in order. The receptive field follows every path:
// where two paths join (add, concat, scale) it is the larger of the two.
std::vector<LayerReport> layer_reports(const Model& model);
