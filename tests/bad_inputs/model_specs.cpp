// model_specs.cpp — network descriptions (engine/model.h) that cannot be built: what the training
// lab's layer editor, a link, a course page or cnnlab-train --model FILE.json may hand the engine.
// Each gets a message naming the layer and what is wrong, before any memory is taken for it.
#include "../../engine/model.h"
#include "catalogue.h"

// Builds a description of a (1,28,28) input with these layers; returns the engine's message.
static std::string build(const std::string& layers, const std::string& input = "[1, 28, 28]") {
    Model m;
    Status s = model_from_json(m, "{\"input\": " + input + ", \"layers\": " + layers + "}", 1);
    return s.message;
}
static std::string build_text(const std::string& description) {
    Model m;
    return model_from_json(m, description, 1).message;
}

static std::string repeated(const std::string& piece, int times, const std::string& between = ",") {
    std::string out;
    for (int i = 0; i < times; i++) out += (i ? between : "") + piece;
    return out;
}

void model_spec_cases() {
    const std::string tail = R"(, {"type": "flatten"}, {"type": "linear", "out": 10}])";
    bad("model-out-zero", "a conv layer with 0 output channels",
        "model: layer 0 (0, conv): \"out\" must be a whole number from 1 to 65536",
        [=] { return build(R"([{"type": "conv", "out": 0, "kernel": 3})" + tail); });
    bad("model-out-negative", "a conv layer with -3 output channels",
        "model: layer 0 (0, conv): \"out\" must be a whole number from 1 to 65536",
        [=] { return build(R"([{"type": "conv", "out": -3, "kernel": 3})" + tail); });
    bad("model-out-huge", "a linear layer with 1e9 outputs",
        "model: layer 1 (1, linear): \"out\" must be a whole number from 1 to 1048576",
        [] { return build(R"([{"type": "flatten"}, {"type": "linear", "out": 1000000000}])"); });
    bad("model-kernel-larger-than-input", "a 30x30 kernel on a 28x28 picture",
        "model: layer 0 (0, conv): the kernel window covers 30 rows but the padded input has only 28 (28), so the window never fits: no output. Use a smaller kernel or dilation, or more padding",
        [=] { return build(R"([{"type": "conv", "out": 4, "kernel": 30})" + tail); });
    bad("model-kernel-zero", "a kernel of size 0",
        "model: layer 0 (0, conv): \"kernel\" must be a whole number from 1 to 64",
        [=] { return build(R"([{"type": "conv", "out": 4, "kernel": 0})" + tail); });
    bad("model-stride-zero", "stride 0",
        "model: layer 0 (0, conv): \"stride\" must be a whole number from 1 to 64",
        [=] { return build(R"([{"type": "conv", "out": 4, "kernel": 3, "stride": 0})" + tail); });
    bad("model-padding-negative", "padding -1",
        "model: layer 0 (0, conv): \"padding\" must be a whole number from 0 to 64",
        [=] { return build(R"([{"type": "conv", "out": 4, "kernel": 3, "padding": -1})" + tail); });
    bad("model-dilation-zero", "dilation 0",
        "model: layer 0 (0, conv): \"dilation\" must be a whole number from 1 to 64",
        [=] { return build(R"([{"type": "conv", "out": 4, "kernel": 3, "dilation": 0})" + tail); });
    bad("model-groups-not-dividing", "3 groups for 1 input channel",
        "model: layer 0 (0, conv): 3 groups must divide both the 1 input channels and the 6 output channels",
        [=] { return build(R"([{"type": "conv", "out": 6, "kernel": 3, "groups": 3})" + tail); });
    bad("model-pool-too-big", "a 40x40 max pool on 28x28",
        "model: layer 0 (0, maxpool): the kernel window covers 40 rows but the padded input has only 28 (28), so the window never fits: no output. Use a smaller kernel or dilation, or more padding",
        [=] { return build(R"([{"type": "maxpool", "kernel": 40})" + tail); });
    bad("model-dropout-p-2", "dropout with p = 2",
        "model: layer 0 (0, dropout): \"p\" must be a number from 0 to 0.99",
        [=] { return build(R"([{"type": "dropout", "p": 2})" + tail); });
    bad("model-unknown-layer", "a layer of type \"attention\"",
        "model: layer 0: unknown type \"attention\"; the types are conv, conv_transpose, maxpool, avgpool, global_avgpool, flatten, linear, dropout, relu, leaky_relu, sigmoid, tanh, batchnorm, layernorm, instancenorm, add, concat, silu, adaptive_avgpool, scale",
        [=] { return build(R"([{"type": "attention"})" + tail); });
    bad("model-layer-not-object", "a layer that is the string \"conv\"",
        "model: layer 0 must be an object with a \"type\"",
        [=] { return build(R"(["conv")" + tail); });
    bad("model-string-for-number", "\"out\": \"8\" (a string for a number)",
        "model: layer 0 (0, conv): \"out\" must be a whole number from 1 to 65536",
        [=] { return build(R"([{"type": "conv", "out": "8", "kernel": 3})" + tail); });
    bad("model-fraction-for-whole", "\"kernel\": 2.5",
        "model: layer 0 (0, conv): \"kernel\" must be a whole number from 1 to 64",
        [=] { return build(R"([{"type": "conv", "out": 8, "kernel": 2.5})" + tail); });
    bad("model-linear-before-flatten", "a linear layer on a (1,28,28) picture",
        "model: layer 0 (0, linear): needs a flat input (D) but gets (1,28,28); put a flatten layer before it",
        [] { return build(R"([{"type": "linear", "out": 10}])"); });
    bad("model-ends-unflat", "a network ending in a conv layer",
        "model: the last layer's output (4,26,26) must be flat (one score per class): end with flatten and linear",
        [] { return build(R"([{"type": "conv", "out": 4, "kernel": 3}])"); });
    bad("model-add-forward", "an add layer joining a layer that comes after it",
        "model: layer 1 (1, add): \"with\": no earlier layer is called 3",
        [=] { return build(R"([{"type": "conv", "out": 1, "kernel": 3, "padding": 1}, {"type": "add", "with": 3}, {"type": "relu"})" + tail); });
    bad("model-add-shapes-differ", "an add layer joining outputs of different shapes",
        "model: layer 2 (2, add): adds layer 0's output (4,26,26) to its input (4,24,24), but the shapes differ",
        [=] { return build(R"([{"type": "conv", "name": "a", "out": 4, "kernel": 3}, {"type": "conv", "out": 4, "kernel": 3}, {"type": "add", "with": "a"})" + tail); });
    bad("model-name-twice", "two layers named \"conv1\"",
        "model: layer 1: the name \"conv1\" is used twice",
        [=] { return build(R"([{"type": "conv", "name": "conv1", "out": 4, "kernel": 3}, {"type": "conv", "name": "conv1", "out": 4, "kernel": 3})" + tail); });
    bad("model-no-layers", "an empty layer list",
        "model: \"layers\" must be a non-empty list",
        [] { return build("[]"); });
    bad("model-layers-not-list", "\"layers\": {\"type\": \"conv\"}",
        "model: \"layers\" must be a non-empty list",
        [] { return build(R"({"type": "conv"})"); });
    bad("model-input-zero", "an input of [0, 28, 28]",
        "model: \"input\" sizes must be whole numbers from 1 to 4096",
        [] { return build(R"([{"type": "flatten"}, {"type": "linear", "out": 10}])", "[0, 28, 28]"); });
    bad("model-input-missing", "a description without \"input\"",
        "model: \"input\" must be [channels, height, width]",
        [] { return build_text(R"({"layers": [{"type": "flatten"}, {"type": "linear", "out": 10}]})"); });
    bad("model-not-json", "a description that is not JSON",
        "model: the description is not valid JSON",
        [] { return build_text("conv 3x3, relu, pool"); });
    bad("model-10000-layers", "10,000 relu layers",
        "model: at most 2048 layers",
        [] { return build("[" + repeated(R"({"type": "relu"})", 10000) + R"(, {"type": "flatten"}, {"type": "linear", "out": 10}])"); });
    bad("model-nested-100000", "a description nested 100,000 levels deep",
        "model: the description is nested 100001 levels deep; at most 64 are allowed",
        [] { return build_text("{\"input\": [1, 28, 28], \"layers\": " + std::string(100000, '[') + std::string(100000, ']') + "}"); });
    // 159 M parameters, 16 bytes each to train (gradients and Adam's two averages): 2.4 GB
    bad("model-too-many-parameters", "a linear layer of 784 x 200,000 (157 million parameters)",
        "model: the network would need 2428 MB for its parameters and one picture's activations; a network may use at most 768 MB",
        [] { return build(R"([{"type": "flatten"}, {"type": "linear", "out": 200000}, {"type": "linear", "out": 10}])"); });
    bad("model-too-big-for-the-page", "a 1x1 conv to 1024 channels on 64x64 and 24 ReLUs after it (25 maps of 4M values: 800 MB for one picture)",
        "model: the network would need 801 MB for its parameters and one picture's activations; a network may use at most 768 MB",
        [] {
            return build(R"([{"type": "conv", "out": 1024, "kernel": 1}, )" + repeated(R"({"type": "relu"})", 24) +
                         R"(, {"type": "global_avgpool"}, {"type": "linear", "out": 10}])", "[1, 64, 64]");
        });
    bad("model-activation-too-large", "a 4096 x 4096 input with 64 channels out of its first layer",
        "model: layer 0 (0, conv): the output would be too large",
        [] { return build(R"([{"type": "conv", "out": 64, "kernel": 3}, {"type": "global_avgpool"}, {"type": "linear", "out": 10}])", "[1, 4096, 4096]"); });
    bad("model-batch-too-big", "the seed net asked for a batch of 100,000",
        "model: a batch of 100000 is more than 4096 pictures",
        [] {
            Model m;
            if (Status s = model_from_json(m, seed_model_json(), 1); !s.ok()) return s.message;
            return ensure_batch(m, 100000).message;
        });
    bad("model-batch-over-budget", "a wide network (two 256-channel convs on 28x28) asked for a batch of 4096",
        "model: a batch of 4096 would need 12574 MB for this network; a network may use at most 768 MB",
        [=] {
            Model m;
            Status s = model_from_json(m, R"({"input": [1, 28, 28], "layers": [{"type": "conv", "out": 256, "kernel": 3, "padding": 1},
                                      {"type": "conv", "out": 256, "kernel": 3, "padding": 1}, {"type": "global_avgpool"}, {"type": "linear", "out": 10}]})", 1);
            if (!s.ok()) return s.message;
            return ensure_batch(m, 4096).message;
        });
}
