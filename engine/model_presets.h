// model_presets.h — the named networks the labs offer and cnnlab-train accepts (--model NAME).
#pragma once
#include <string>
#include <vector>

struct ModelPreset {
    const char* id;      // "seed", "wide", ...
    const char* name;    // for people: "Seed net"
    const char* what;    // one line about it
    const char* layers;  // the "layers" list of a model description (engine/model.h), for 1x28x28 input and 10 classes
    const char* recipe;  // the training settings it is meant for, as the training lab's fields:
                         // {"optimizer", "lr", "batch", "epochs", "schedule"[, "augment"][, "label_smoothing"]}
};

const std::vector<ModelPreset>& model_presets();
// The full description {"input": [1, 28, 28], "layers": ...} of a preset, or "" for an unknown id.
std::string preset_model_json(const std::string& id);
