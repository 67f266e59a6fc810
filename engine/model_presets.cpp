#include "model_presets.h"

const std::vector<ModelPreset>& model_presets() {
    static const std::vector<ModelPreset> presets = {
        {"seed", "Seed net", "two small convolutions (4 and 8 kernels), two poolings, two linear layers: 13k parameters",
         R"([{"type":"conv","name":"conv1","out":4,"kernel":3,"padding":1},{"type":"relu"},{"type":"maxpool","kernel":2},
         {"type":"conv","name":"conv2","out":8,"kernel":3,"padding":1},{"type":"relu"},{"type":"maxpool","kernel":2},
         {"type":"flatten"},{"type":"linear","name":"fc1","out":32},{"type":"relu"},{"type":"linear","name":"fc2","out":10}])",
         R"({"optimizer": "adam", "lr": 0.002, "batch": 32, "epochs": 5, "schedule": "constant"})"},
        {"seed-bn", "Seed net + batch norm", "the seed net with batch normalisation after each convolution",
         R"([{"type":"conv","name":"conv1","out":4,"kernel":3,"padding":1},{"type":"batchnorm","name":"bn1"},{"type":"relu"},{"type":"maxpool","kernel":2},
         {"type":"conv","name":"conv2","out":8,"kernel":3,"padding":1},{"type":"batchnorm","name":"bn2"},{"type":"relu"},{"type":"maxpool","kernel":2},
         {"type":"flatten"},{"type":"linear","name":"fc1","out":32},{"type":"relu"},{"type":"linear","name":"fc2","out":10}])",
         R"({"optimizer": "adam", "lr": 0.002, "batch": 32, "epochs": 5, "schedule": "constant"})"},
        {"residual", "Small residual net", "a residual block (the input added back after two convolutions) and global average pooling",
         R"([{"type":"conv","name":"conv1","out":8,"kernel":3,"padding":1},{"type":"batchnorm","name":"bn1"},{"type":"relu","name":"block_in"},
         {"type":"conv","name":"conv2","out":8,"kernel":3,"padding":1},{"type":"batchnorm","name":"bn2"},{"type":"relu"},
         {"type":"conv","name":"conv3","out":8,"kernel":3,"padding":1},{"type":"batchnorm","name":"bn3"},{"type":"add","with":"block_in"},{"type":"relu"},
         {"type":"maxpool","kernel":2},{"type":"conv","name":"conv4","out":16,"kernel":3,"padding":1},{"type":"relu"},
         {"type":"global_avgpool"},{"type":"linear","name":"fc","out":10}])",
         R"({"optimizer": "adam", "lr": 0.002, "batch": 32, "epochs": 5, "schedule": "constant"})"},
        {"wide", "Wider CNN", "32 and 64 kernels with batch norm, dropout and one linear layer: 50k parameters",
         R"([{"type":"conv","name":"conv1","out":32,"kernel":3,"padding":1},{"type":"batchnorm","name":"bn1"},{"type":"relu"},{"type":"maxpool","kernel":2},
         {"type":"conv","name":"conv2","out":64,"kernel":3,"padding":1},{"type":"batchnorm","name":"bn2"},{"type":"relu"},{"type":"maxpool","kernel":2},
         {"type":"flatten"},{"type":"dropout","p":0.3},{"type":"linear","name":"fc","out":10}])",
         R"({"optimizer": "adam", "lr": 0.002, "batch": 32, "epochs": 8, "schedule": "cosine"})"},
        {"deep", "Deeper CNN (best)", "three convolutions (16, 32 and 64 kernels) with batch norm and one linear layer, trained with label "
         "smoothing: 55k parameters, half the wider net's arithmetic, and the most accurate",
         R"([{"type":"conv","name":"conv1","out":16,"kernel":3,"padding":1},{"type":"batchnorm","name":"bn1"},{"type":"relu"},{"type":"maxpool","kernel":2},
         {"type":"conv","name":"conv2","out":32,"kernel":3,"padding":1},{"type":"batchnorm","name":"bn2"},{"type":"relu"},{"type":"maxpool","kernel":2},
         {"type":"conv","name":"conv3","out":64,"kernel":3,"padding":1},{"type":"batchnorm","name":"bn3"},{"type":"relu"},
         {"type":"flatten"},{"type":"linear","name":"fc","out":10}])",
         R"({"optimizer": "adam", "lr": 0.002, "batch": 16, "epochs": 6, "schedule": "cosine", "label_smoothing": 0.1})"},
        {"mlp", "MLP (no convolution)", "every pixel connected to every hidden unit: compare its parameter count",
         R"([{"type":"flatten"},{"type":"linear","name":"fc1","out":128},{"type":"relu"},{"type":"linear","name":"fc2","out":10}])",
         R"({"optimizer": "adam", "lr": 0.002, "batch": 32, "epochs": 5, "schedule": "constant"})"},
    };
    return presets;
}

std::string preset_model_json(const std::string& id) {
    for (const ModelPreset& p : model_presets())
        if (id == p.id) return std::string(R"({"input": [1, 28, 28], "layers": )") + p.layers + "}";
    return "";
}
