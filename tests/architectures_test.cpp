// architectures_test.cpp — the seven landmark networks of engine/architectures.h against
// torchvision 0.14 (tests/torch_architectures.py writes build/reference/architectures.safetensors,
// or $CNNLAB_ARCHITECTURES), and the layers they brought into the engine: SiLU, adaptive average
// pooling, the channel scale of squeeze-and-excitation, and a layer reading an earlier layer ("from").
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "../engine/architectures.h"
#include "../engine/model.h"
#include "../engine/ops.h"
#include "../engine/safetensors.h"
#include "test_util.h"

using json = nlohmann::json;

namespace {

struct Reference {
    NamedTensors file;
    json networks;
    std::string error;
};

const Reference& reference() {
    static Reference r = [] {
        Reference ref;
        const char* env = std::getenv("CNNLAB_ARCHITECTURES");
        const std::string path = env ? env : "build/reference/architectures.safetensors";
        if (Status s = safetensors_load(ref.file, path); !s.ok()) {
            ref.error = s.message + " (scripts/test makes it with tests/torch_architectures.py)";
            return ref;
        }
        ref.networks = json::parse(ref.file.metadata["networks"], nullptr, false);
        if (!ref.networks.is_object()) ref.error = path + ": no network list in its metadata";
        return ref;
    }();
    return r;
}

// The tensors stored under "<key>/" with that prefix taken off: a state_dict to load.
NamedTensors stored_state(const std::string& key) {
    NamedTensors state;
    const std::string prefix = key + "/";
    for (const auto& [name, t] : reference().file.tensors)
        if (name.rfind(prefix, 0) == 0 && name != prefix + "input" && name != prefix + "output")
            state.tensors.emplace_back(name.substr(prefix.size()), t);
    return state;
}

}  // namespace

TEST_CASE("adaptive average pooling by hand: 5 values into 3 overlapping windows") {
    // windows [floor(i*5/3), ceil((i+1)*5/3)): [0,2) [1,4) [3,5)
    //   (1+2)/2 = 1.5,  (2+3+4)/3 = 3,  (4+5)/2 = 4.5
    const std::vector<float> x = {1, 2, 3, 4, 5};  // (1,1,1,5)
    std::vector<float> out(3), dx(5, 0.0f);
    adaptive_avgpool2d_forward(out.data(), x.data(), 1, 1, 1, 5, 1, 3);
    CHECK(max_abs_diff(out, {1.5f, 3.0f, 4.5f}) < 1e-6);
    // backward of dout = (1, 1, 1): each window hands 1/size to its values; 2 and 4 are in two windows
    //   1/2, 1/2 + 1/3, 1/3, 1/3 + 1/2, 1/2
    const std::vector<float> ones = {1, 1, 1};
    adaptive_avgpool2d_backward(dx.data(), ones.data(), 1, 1, 1, 5, 1, 3);
    CHECK(max_abs_diff(dx, {0.5f, 5.0f / 6, 1.0f / 3, 5.0f / 6, 0.5f}) < 1e-6);
}

TEST_CASE("SiLU and the channel scale by hand") {
    // silu(x) = x / (1 + e^-x): silu(0) = 0, silu(1) = 1/(1 + 0.3679) = 0.7311, silu(-1) = -0.2689
    const std::vector<float> x = {0, 1, -1};
    std::vector<float> y(3);
    silu_forward(y.data(), x.data(), 3);
    CHECK(max_abs_diff(y, {0.0f, 0.731059f, -0.268941f}) < 1e-5);
    // two channels of 2 values scaled by gates 0.5 and 2: (1,2) -> (0.5,1), (3,4) -> (6,8)
    const std::vector<float> map = {1, 2, 3, 4}, gate = {0.5f, 2.0f};
    std::vector<float> out(4);
    channel_scale_forward(out.data(), map.data(), gate.data(), 1, 2, 2);
    CHECK(max_abs_diff(out, {0.5f, 1, 6, 8}) < 1e-6);
}

TEST_CASE("a branch from an earlier layer and squeeze-and-excitation, whole model against finite differences") {
    // conv -> silu -> [SE: adaptive pool 1x1, 1x1 conv, silu, 1x1 conv, sigmoid] -> scale the silu's map,
    // a 1x1 shortcut conv reading the input ("from"), add, global pool, linear.
    const std::string spec = R"({"input": [2, 5, 5], "layers": [
        {"type": "conv", "out": 4, "kernel": 3, "padding": 1, "name": "c"},
        {"type": "silu", "name": "map"},
        {"type": "adaptive_avgpool", "size": 1},
        {"type": "conv", "out": 2, "kernel": 1},
        {"type": "silu"},
        {"type": "conv", "out": 4, "kernel": 1},
        {"type": "sigmoid"},
        {"type": "scale", "with": "map", "name": "gated"},
        {"type": "conv", "out": 4, "kernel": 1, "from": "input", "name": "shortcut"},
        {"type": "add", "with": "gated"},
        {"type": "adaptive_avgpool", "size": [2, 3]},
        {"type": "flatten"},
        {"type": "linear", "out": 3}]})";
    Model m;
    Status s = model_from_json(m, spec, 7);
    INFO(s.message);
    REQUIRE(s.ok());
    CHECK(m.layers[8].source == -1);  // the shortcut reads the network's input
    CHECK(m.layers[8].in_shape == std::vector<int>{2, 5, 5});
    CHECK(m.layers[7].out_shape == std::vector<int>{4, 5, 5});
    const int N = 2;
    REQUIRE(ensure_batch(m, N).ok());
    Rng rng(3);
    std::vector<float> x = random_vec(size_t(N) * 50, rng);
    const int32_t labels[N] = {0, 2};
    auto loss = [&] {
        model_forward(m, x.data(), N, false);
        return double(model_loss(m, labels, N));
    };
    loss();
    zero_grad(m);
    model_backward(m, x.data(), labels, N, true);
    const std::vector<float> analytic = m.grads, dinput = m.dinput;
    // every parameter, then every input value, against central differences
    double worst = 0, scale = 1e-3;
    for (float g : analytic) scale = std::fmax(scale, std::fabs(g));
    for (size_t i = 0; i < m.params.size(); i++) {
        const float keep = m.params[i];
        m.params[i] = keep + 1e-2f;
        const double up = loss();
        m.params[i] = keep - 1e-2f;
        const double down = loss();
        m.params[i] = keep;
        worst = std::fmax(worst, std::fabs((up - down) / 2e-2 - analytic[i]));
    }
    INFO("parameters: largest difference " << worst << " against a gradient scale of " << scale);
    CHECK(worst <= 1e-2 * scale);
    double worst_in = 0, scale_in = 1e-3;
    for (float g : dinput) scale_in = std::fmax(scale_in, std::fabs(g));
    for (size_t i = 0; i < x.size(); i++) {
        const float keep = x[i];
        x[i] = keep + 1e-2f;
        const double up = loss();
        x[i] = keep - 1e-2f;
        const double down = loss();
        x[i] = keep;
        worst_in = std::fmax(worst_in, std::fabs((up - down) / 2e-2 - dinput[i]));
    }
    INFO("input: largest difference " << worst_in << " against a gradient scale of " << scale_in);
    CHECK(worst_in <= 1e-2 * scale_in);
}

TEST_CASE("the seven networks laid out: every tensor and output shape is torchvision's") {
    const Reference& ref = reference();
    INFO(ref.error);
    REQUIRE(ref.error.empty());
    for (int a = 0; a < kArchitectureCount; a++) {
        const ArchitectureInfo& info = architecture_info(Architecture(a));
        CAPTURE(info.key);
        REQUIRE(ref.networks.contains(info.key));
        const json& net = ref.networks[info.key];
        Model m;
        Status s = model_layout(m, architecture_json(info.id));
        INFO(s.message);
        REQUIRE(s.ok());
        CHECK(m.params.empty());  // laid out, not built
        CHECK(model_param_count(m) == net["params"].get<int64_t>());
        // the same named tensors, in the same order, with the same shapes
        REQUIRE(m.tensors.size() == net["tensors"].size());
        for (size_t i = 0; i < m.tensors.size(); i++) {
            const std::string theirs = net["tensors"][i][0];
            const std::vector<int> shape = net["tensors"][i][1].get<std::vector<int>>();
            INFO("tensor " << i << ": ours " << m.tensors[i].name << " " << shape_string(m.tensors[i].shape) << ", torchvision's "
                           << theirs << " " << shape_string(shape));
            CHECK(m.tensors[i].name == theirs);
            CHECK(m.tensors[i].shape == shape);
        }
        // every module torchvision recorded has a layer of the same name with the same output shape
        int compared = 0;
        for (auto it = net["outputs"].begin(); it != net["outputs"].end(); ++it) {
            const std::string name = it.key();  // (clang 14 cannot capture a structured binding in INFO)
            const json& shape = it.value();
            const Layer* layer = nullptr;
            for (const Layer& L : m.layers)
                if (L.name == name) layer = &L;
            INFO("module " << name);
            REQUIRE(layer != nullptr);
            CHECK(layer->out_shape == shape.get<std::vector<int>>());
            compared++;
        }
        CHECK(compared >= 7);
    }
}

TEST_CASE("torchvision's weights in the engine give torchvision's outputs (eval mode, 64x64 pictures)") {
    const Reference& ref = reference();
    INFO(ref.error);
    REQUIRE(ref.error.empty());
    for (const char* key : {"lenet5", "resnet18", "densenet121", "efficientnet_b0"}) {
        CAPTURE(key);
        const ArchitectureInfo* info = find_architecture(key);
        REQUIRE(info != nullptr);
        const Tensor* input = ref.file.find(std::string(key) + "/input");
        const Tensor* output = ref.file.find(std::string(key) + "/output");
        REQUIRE(input != nullptr);
        REQUIRE(output != nullptr);
        const int N = input->shape[0], side = input->shape[2];
        Model m;
        Status s = model_from_json(m, architecture_json(info->id, side), 1, ModelUse::inference);
        INFO(s.message);
        REQUIRE(s.ok());
        CHECK(m.grads.empty());
        s = load_model_state(m, stored_state(key));
        INFO(s.message);
        REQUIRE(s.ok());
        REQUIRE(ensure_batch(m, N).ok());
        CHECK(m.dacts[0].empty());  // inference keeps no gradients
        const float* y = model_forward(m, input->data.data(), N, false);
        const std::vector<float> ours(y, y + output->data.size());
        double scale = 0;
        for (float v : output->data) scale = std::fmax(scale, std::fabs(v));
        const double diff = max_abs_diff(ours, output->data);
        INFO("largest difference " << diff << " over " << output->data.size() << " outputs of largest size " << scale);
        CHECK(diff <= 1e-4 * std::fmax(scale, 1.0));
    }
}

TEST_CASE("parameters initialized a few layers at a time are the ones init_params draws") {
    for (const Architecture a : {Architecture::lenet5, Architecture::efficientnet_b0}) {
        Model whole, sliced;
        REQUIRE(model_from_json(whole, architecture_json(a, 64), 9, ModelUse::inference).ok());
        REQUIRE(model_allocate(sliced, architecture_json(a, 64), ModelUse::inference).ok());
        CHECK(std::all_of(sliced.params.begin(), sliced.params.end(), [](float v) { return v == 0.0f; }));
        ParamInit init(9);
        int steps = 1;
        while (init_params_step(sliced, init, 1000)) steps++;
        INFO(steps << " steps");
        CHECK(steps > 2);
        CHECK(sliced.params == whole.params);
        CHECK(sliced.buffers == whole.buffers);
    }
}

TEST_CASE("what the networks cost, and what fits in the page") {
    // LeNet-5's parameters by hand: conv1 6*(1*5*5)+6 = 156, conv2 16*(6*5*5)+16 = 2416,
    // fc1 120*400+120 = 48120, fc2 84*120+84 = 10164, fc3 10*84+10 = 850: 61706 in all.
    Model lenet;
    REQUIRE(model_layout(lenet, architecture_json(Architecture::lenet5)).ok());
    CHECK(model_param_count(lenet) == 61706);
    // its multiply-adds: conv1 6*28*28*25 = 117600, conv2 16*10*10*150 = 240000, fc 48000 + 10080 + 840
    CHECK(model_macs(lenet) == 117600 + 240000 + 48000 + 10080 + 840);
    const std::vector<LayerReport> r = layer_reports(lenet);
    // receptive fields: conv1 5; pool1 5 + 1 = 6 (jump 2); conv2 6 + 4*2 = 14; pool2 14 + 1*2 = 16 (jump 4)
    CHECK(r[0].field == 5);
    CHECK(r[2].field == 6);
    CHECK(r[3].field == 14);
    CHECK(r[5].field == 16);
    CHECK(r[5].jump == 4);
    CHECK(r[7].field == -1);  // fc1 sees the whole picture

    // The published receptive fields of VGG-16 and ResNet-18's last maps (before global pooling): 212 and 435
    for (const std::pair<Architecture, int>& known : {std::pair{Architecture::vgg16, 212}, std::pair{Architecture::resnet18, 435}}) {
        const Architecture a = known.first;
        const int field = known.second;
        Model m;
        REQUIRE(model_layout(m, architecture_json(a)).ok());
        const std::vector<LayerReport> rep = layer_reports(m);
        int64_t last = 0;
        for (const LayerReport& l : rep)
            if (l.field > 0) last = l.field;
        CHECK(last == field);
    }

    // VGG-16 cannot train in the page (its parameters with gradients and Adam's state: 16 bytes each,
    // 2.2 GB) but runs inference (4 bytes each, 553 MB, and one picture's activations)
    Model vgg;
    Status s = model_from_json(vgg, architecture_json(Architecture::vgg16), 1);
    CHECK(!s.ok());
    CHECK(s.message.find("would need") != std::string::npos);
    Model laid;
    REQUIRE(model_layout(laid, architecture_json(Architecture::vgg16)).ok());
    laid.use = ModelUse::inference;
    const int64_t inference = model_memory_bytes(laid, model_param_count(laid), model_buffer_count(laid), 1);
    CHECK(inference > 138357544LL * 4);
    CHECK(inference <= kModelMemoryBudget);
}

TEST_CASE("EfficientNet's compound scaling") {
    // phi = 0 is B0 itself
    CHECK(efficientnet_json(compound_scale(0)) == architecture_json(Architecture::efficientnet_b0));
    // phi = 1: width 1.1, depth 1.2, resolution round(224 * 1.15) = 258
    const EfficientNetScale one = compound_scale(1);
    CHECK(one.width == doctest::Approx(1.1));
    CHECK(one.depth == doctest::Approx(1.2));
    CHECK(one.resolution == 258);
    // each step of phi about doubles the multiply-adds (alpha * beta^2 * gamma^2 = 1.92); the rounding of
    // channels to multiples of 8 and of blocks up to whole ones moves it a little
    Model b0, b1, b2;
    REQUIRE(model_layout(b0, efficientnet_json(compound_scale(0))).ok());
    REQUIRE(model_layout(b1, efficientnet_json(compound_scale(1))).ok());
    REQUIRE(model_layout(b2, efficientnet_json(compound_scale(2))).ok());
    const double r1 = double(model_macs(b1)) / double(model_macs(b0)), r2 = double(model_macs(b2)) / double(model_macs(b0));
    INFO("phi 1: " << r1 << "x B0's multiply-adds, phi 2: " << r2 << "x");
    CHECK(r1 > 1.6);
    CHECK(r1 < 2.6);
    CHECK(r2 > 3.2);
    CHECK(r2 < 5.2);
    CHECK(model_param_count(b1) > model_param_count(b0));
}
