#include "ready_network.h"

#include <chrono>
#include <cmath>
#include <list>

#include <imgui.h>

#include "../engine/train_run.h"
#include "fields.h"

const char* dataset_title(const std::string& name) { return name == "mnist" ? "MNIST digits" : "Fashion-MNIST"; }

std::string class_name(const std::string& dataset, int k) {
    static const char* fashion[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
    if (dataset == "fashion" && k >= 0 && k < 10) return fashion[k];
    return std::to_string(k);
}

const LoadedDataset* dataset_for(const std::string& name, std::string& note, bool retry) {
    static std::vector<std::string> asked;  // the names asked for once
    note.clear();
    if (const LoadedDataset* d = loaded_dataset(name)) return d;
    const bool first = std::find(asked.begin(), asked.end(), name) == asked.end();
    const float loading = dataset_loading(name);
    if (loading >= 0) {
        note = std::string("Fetching ") + dataset_title(name) + ": " + std::to_string(int(std::lround(100.0 * loading))) + "%";
        return nullptr;
    }
    if (!first && !retry && !dataset_error(name).empty()) {
        note = std::string(dataset_title(name)) + " could not be loaded: " + dataset_error(name);
        return nullptr;
    }
    if (first) asked.push_back(name);
    request_dataset("", name);  // no lab is told (app.h): the callers look again; perhaps it is here at once
    if (const LoadedDataset* d = loaded_dataset(name)) return d;
    note = dataset_error(name).empty() ? std::string("Fetching ") + dataset_title(name) + "..."
                                       : std::string(dataset_title(name)) + " could not be loaded: " + dataset_error(name);
    return nullptr;
}

namespace {

constexpr int kReadyBatch = 32;

struct ReadyTraining {
    std::string dataset;
    int variant = 0;
    const LoadedDataset* data = nullptr;  // once here
    Model model;                          // the seed net being trained
    TrainRun run;
    int64_t steps = 0;                    // one epoch: ceil(pictures / batch)
    bool done = false;
    YourNetwork network;                  // once done
};
std::list<ReadyTraining> g_ready;  // a list: a YourNetwork handed out never moves

ReadyTraining& entry(const std::string& dataset, int variant) {
    for (ReadyTraining& r : g_ready)
        if (r.dataset == dataset && r.variant == variant) return r;
    ReadyTraining& r = g_ready.emplace_back();
    r.dataset = dataset;
    r.variant = variant;
    return r;
}

}  // namespace

const YourNetwork* ready_network(const std::string& dataset, int variant, std::string& note) {
    ReadyTraining& r = entry(dataset, variant);
    if (r.done) {
        note.clear();
        return &r.network;
    }
    if (!r.data) {
        r.data = dataset_for(dataset, note);
        if (!r.data) return nullptr;
        if (r.data->train.rows != 28 || r.data->train.cols != 28 || r.data->train.classes != 10 || r.data->test.count < 1) {
            note = std::string(dataset_title(dataset)) + " is not 28x28 pictures of 10 classes: the ready network cannot learn it";
            r.data = nullptr;
            return nullptr;
        }
        Status s = model_from_json(r.model, seed_model_json(), 1 + uint64_t(variant) * 1000);
        if (s.ok()) s = ensure_batch(r.model, kReadyBatch);
        if (!s.ok()) {
            note = s.message;
            r.data = nullptr;
            return nullptr;
        }
        const TrainRecipe recipe = {.optimizer = {.kind = OptimizerKind::adam, .lr = 0.002f}, .batch = kReadyBatch, .epochs = 1,
                                    .seed = 21 + uint64_t(variant)};
        train_run_start(r.run, recipe, int64_t(r.model.params.size()));
        r.steps = (r.data->train.count + kReadyBatch - 1) / kReadyBatch;
    }
    note = "Training the ready network on " + std::string(dataset_title(dataset)) + ": step " + std::to_string(r.run.step) + " of " +
           std::to_string(r.steps);
    return nullptr;
}

bool ready_networks_work(double budget_ms) {
    const auto start = std::chrono::steady_clock::now();
    bool more = false;
    for (ReadyTraining& r : g_ready) {
        if (r.done || !r.data) continue;
        do {
            (void)train_run_step(r.run, r.model, r.data->train);  // Adam 0.002 on the seed net does not diverge
        } while (r.run.step < r.steps && std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() < budget_ms);
        if (r.run.step < r.steps) return true;
        const double accuracy = dataset_accuracy(r.model, r.data->test, 1000, kReadyBatch);  // (ImGui wraps after a '.', so no decimals in the words)
        r.network = {.description = seed_model_json(), .weights = model_state(r.model), .dataset = r.dataset,
                     .about = std::string("the ready network") + (r.variant ? " (a second one, from other starting weights)" : "") +
                              ": the seed net trained in the page for one epoch of " + dataset_title(r.dataset) + ", " +
                              std::to_string(int(std::lround(accuracy * 1000))) + " of its first 1000 test pictures right"};
        r.done = true;
        r.model = Model{};  // its weights live on in the network
        post_event("network-ready");
        more = true;  // the labs waiting for it have work now
    }
    return more;
}

const YourNetwork* network_in_use(bool yours, const std::string& ready_dataset, std::string& note) {
    if (yours && your_network()) {
        note = "Your network: " + your_network()->about + ".";
        return your_network();
    }
    const YourNetwork* ready = ready_network(ready_dataset, 0, note);
    if (ready) note = (yours ? "You have not trained a network yet (the training lab), so this is " : "This is ") + ready->about + ".";
    return ready;
}

Status build_network(Model& out, const YourNetwork& net) {
    Status s = model_from_json(out, net.description, 1);
    if (s.ok()) s = load_model_state(out, net.weights);
    if (s.ok() && (out.input_shape != std::vector<int>{1, 28, 28} || output_size(out) != 10))
        s = error_status("it does not take 28x28 grey pictures to 10 classes");
    return s;
}

Model* network_model(NetworkModel& cache, const YourNetwork& net) {
    if (cache.from != &net || cache.version != net.version) {
        cache.from = &net;
        cache.version = net.version;
        const Status s = build_network(cache.model, net);
        cache.error = s.ok() ? "" : "The network could not be used: " + s.message;
    }
    return cache.error.empty() ? &cache.model : nullptr;
}

void draw_network_choice(const char* title, NetworkChoice network, DatasetChoice dataset,
                         std::span<const Choice<DatasetChoice>> datasets, const char* dataset_field, bool yours_in_use,
                         const std::string& note, void (*command)(const json& fields)) {
    ImGui::TextDisabled("%s", title);
    for (const Choice<NetworkChoice>& c : kNetworkChoices) {
        if (c.value != kNetworkChoices[0].value) ImGui::SameLine();
        if (ImGui::RadioButton(c.name, network == c.value)) command({{"network", c.name}});
    }
    if (!yours_in_use)
        for (const Choice<DatasetChoice>& c : datasets) {
            if (&c != &datasets.front()) ImGui::SameLine();
            if (ImGui::RadioButton(c.value == DatasetChoice::mnist ? "digits" : "Fashion-MNIST", dataset == c.value))
                command({{dataset_field, c.name}});
        }
    ImGui::PushTextWrapPos(0);
    ImGui::TextDisabled("%s", note.c_str());
    ImGui::PopTextWrapPos();
}
