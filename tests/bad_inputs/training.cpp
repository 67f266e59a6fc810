// training.cpp — the training lab's settings out of range or of the wrong type, and commands that
// arrive while it trains. The student's trained network stays as it was.
#include "catalogue.h"

static std::string train(const std::string& fields) { return command_error("{\"lab\": \"train\", " + fields + "}"); }

void training_cases() {
    bad("train-lr-nan", "a learning rate of NaN (not JSON: the page's JSON.stringify sends it as null)",
        "the command is not valid JSON",
        [] { return train("\"lr\": NaN"); }, "train");
    bad("train-lr-null", "a learning rate of null",
        "\"lr\" must be a number",
        [] { return train("\"lr\": null"); }, "train");
    bad("train-lr-1e30", "a learning rate of 1e30",
        "\"lr\" must be a number between 1e-06 and 1000000",
        [] { return train("\"lr\": 1e30"); }, "train");
    bad("train-lr-zero", "a learning rate of 0",
        "\"lr\" must be a number between 1e-06 and 1000000",
        [] { return train("\"lr\": 0"); }, "train");
    bad("train-lr-negative", "a learning rate of -0.1",
        "\"lr\" must be a number between 1e-06 and 1000000",
        [] { return train("\"lr\": -0.1"); }, "train");
    bad("train-lr-string", "a learning rate of \"fast\"",
        "\"lr\" must be a number",
        [] { return train("\"lr\": \"fast\""); }, "train");
    bad("train-batch-zero", "a batch of 0",
        "\"batch\" must be between 1 and 512 (it is 0)",
        [] { return train("\"batch\": 0"); }, "train");
    bad("train-batch-huge", "a batch of 100,000",
        "\"batch\" must be between 1 and 512 (it is 100000)",
        [] { return train("\"batch\": 100000"); }, "train");
    bad("train-batch-fraction", "a batch of 2.5",
        "\"batch\" must be a whole number between 1 and 512",
        [] { return train("\"batch\": 2.5"); }, "train");
    bad("train-epochs-1e9", "1e9 epochs",
        "\"epochs\" must be between 1 and 100 (it is 1e+09)",
        [] { return train("\"epochs\": 1e9"); }, "train");
    bad("train-epochs-zero", "0 epochs",
        "\"epochs\" must be between 1 and 100 (it is 0)",
        [] { return train("\"epochs\": 0"); }, "train");
    bad("train-label-smoothing-2", "label smoothing of 2",
        "\"label_smoothing\" must be a number between 0 and 1",
        [] { return train("\"label_smoothing\": 2"); }, "train");
    bad("train-label-smoothing-negative", "label smoothing of -0.5",
        "\"label_smoothing\" must be a number between 0 and 1",
        [] { return train("\"label_smoothing\": -0.5"); }, "train");
    bad("train-seed-negative", "a seed of -1",
        "\"seed\" must be between 0 and 1000000 (it is -1)",
        [] { return train("\"seed\": -1"); }, "train");
    bad("train-optimizer-unknown", "the optimizer \"rmsprop\"",
        "\"optimizer\" must be \"sgd\" or \"adam\"",
        [] { return train("\"optimizer\": \"rmsprop\""); }, "train");
    bad("train-schedule-unknown", "the schedule \"exponential\"",
        "\"schedule\" must be \"constant\" or \"cosine\"",
        [] { return train("\"schedule\": \"exponential\""); }, "train");
    bad("train-augment-number", "augment 3",
        "\"augment\" must be \"none\" or \"mirror\"",
        [] { return train("\"augment\": 3"); }, "train");
    bad("train-sample-past-test-set", "sample 1,000,000 (the test set has 100 pictures)",
        "\"sample\" must be between 0 and 59999 (it is 1e+06)",
        [] { return train("\"sample\": 1000000"); }, "train");
    bad("train-sample-in-range-past-set", "sample 500 (a valid index in general, but this test set has 100)",
        "\"sample\" must be a test image index below 100",
        [] { return train("\"sample\": 500"); }, "train");
    bad("train-dataset-unknown", "the dataset \"imagenet\"",
        "\"dataset\" must be \"fashion\" or \"mnist\"",
        [] { return train("\"dataset\": \"imagenet\""); }, "train");
    bad("train-model-unknown", "the model preset \"giant\"",
        "no model preset \"giant\"; the presets are seed, seed-bn, residual, wide, deep, mlp",
        [] { return train("\"model\": \"giant\""); }, "train");
    bad("train-model-number", "\"model\": 42",
        "\"model\" must be a preset name or a description {\"layers\": [...]}",
        [] { return train("\"model\": 42"); }, "train");
    bad("train-layers-not-list", "\"layers\": \"conv, relu\"",
        "\"layers\" must be a list of layers",
        [] { return train("\"layers\": \"conv, relu\""); }, "train");
    bad("train-action-unknown", "the action \"fly\"",
        "\"action\" must be start, pause, step, reset, save, load or evaluate",
        [] { return train("\"action\": \"fly\""); }, "train");
    bad("train-backend-unknown", "the backend \"tpu\"",
        "\"backend\" must be \"cpu\" or \"gpu\"",
        [] { return train("\"backend\": \"tpu\""); }, "train");
    bad("train-bad-command-while-training", "a batch of 0 sent while the lab trains: refused, and training goes on",
        "\"batch\" must be between 1 and 512 (it is 0)",
        [] {
            std::string e = train("\"action\": \"start\"");
            if (!e.empty()) return "start was refused: " + e;
            const std::string message = train("\"batch\": 0");
            const bool still = find_lab("train")->state().value("running", false);
            train("\"action\": \"pause\"");
            return still ? message : "training stopped: " + message;
        }, "train");
    bad("train-bad-model-while-training", "a network that cannot be built, sent while the lab trains",
        "\"model\" must be a preset name or a description {\"layers\": [...]}",
        [] {
            std::string e = train("\"action\": \"start\"");
            if (!e.empty()) return "start was refused: " + e;
            const std::string message = train("\"model\": {\"layers\": 5}");
            const bool still = find_lab("train")->state().value("running", false);
            train("\"action\": \"pause\"");
            return still ? message : "training stopped: " + message;
        }, "train");

    // Networks the lab takes as its new settings and explains (the layer editor goes through such
    // states): the lab shows why it cannot train them and still draws their layers; your network,
    // the answers and the storage stay. They come last: each replaces the lab's network.
    auto network = [](const std::string& layers) {
        const std::string e = train("\"model\": {\"layers\": " + layers + "}");
        const json s = find_lab("train")->state();
        if (!e.empty()) return "refused: " + e;
        return s.contains("message") && s["message"].is_string() ? s["message"].get<std::string>() : "(no message)";
    };
    bad("train-layer-out-string", "a layer whose \"out\" is the string \"8\" (drawn in the layer list afterwards)",
        "model: layer 0 (0, conv): \"out\" must be a whole number from 1 to 65536",
        [=] { return network(R"([{"type": "conv", "out": "8", "kernel": 3}, {"type": "flatten"}, {"type": "linear", "out": 10}])"); }, "train", true);
    bad("train-layer-type-number", "a layer whose type is the number 5",
        "model: layer 0 must be an object with a \"type\"",
        [=] { return network(R"([{"type": 5}, {"type": "flatten"}, {"type": "linear", "out": 10}])"); }, "train", true);
    bad("train-layer-not-object", "a layer that is the number 7",
        "model: layer 0 must be an object with a \"type\"",
        [=] { return network(R"([7, {"type": "flatten"}, {"type": "linear", "out": 10}])"); }, "train", true);
    bad("train-network-too-big", "a 1x1 convolution to 512 channels and five ReLUs after it: little arithmetic, but 19 MB of activations a picture",
        "model: a batch of 50 would need 920 MB for this network; a network may use at most 768 MB",
        [=] {
            return network(R"([{"type": "conv", "out": 512, "kernel": 1}, {"type": "relu"}, {"type": "relu"}, {"type": "relu"}, {"type": "relu"},
                               {"type": "relu"}, {"type": "global_avgpool"}, {"type": "linear", "out": 10}])");
        }, "train", true);
    bad("train-network-too-slow", "five 512-channel convolutions on 28x28: 7.4 billion multiply-adds a picture, too slow to train in the page",
        "model: one picture takes 7402 million multiply-adds through this network; the lab trains networks of up to 20 million, so that a training step stays under a second in the page",
        [=] {
            return network(R"([{"type": "conv", "out": 512, "kernel": 3, "padding": 1}, {"type": "conv", "out": 512, "kernel": 3, "padding": 1},
                               {"type": "conv", "out": 512, "kernel": 3, "padding": 1}, {"type": "conv", "out": 512, "kernel": 3, "padding": 1},
                               {"type": "conv", "out": 512, "kernel": 3, "padding": 1}, {"type": "global_avgpool"}, {"type": "linear", "out": 10}])");
        }, "train", true);
}
