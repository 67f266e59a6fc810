// ready_network.h — what the labs on the student's own network (adversarial, explain, transfer)
// share: the datasets they wait for, the names of the classes, and a ready network for a student who
// has trained none.
//
// The ready network is the seed net (engine/model.h: seed_model_json) trained in the page for one
// epoch of a dataset by the one training loop (engine/train_run.h), Adam 0.002, batch 32, with fixed
// seeds: the same weights on every load, natively and in the browser, so a link to a state shows
// the same numbers. It takes a few seconds (Fashion-MNIST: 1,875 steps); the app keeps it once made.
// A "variant" is the same recipe from other starting weights (and another order of the pictures):
// a second network for the attack made on one network and tried on another.
#pragma once
#include <span>
#include <string>

#include "../engine/model.h"
#include "app.h"
#include "lab_kit.h"

// The dataset `name` ("fashion", "mnist"): asked for when it is not here yet, and returned once it
// is; else nullptr, with `note` saying where it is ("Fetching Fashion-MNIST: 40%", or why it could
// not be loaded). A failed load is tried again only when `retry` is set.
const LoadedDataset* dataset_for(const std::string& name, std::string& note, bool retry = false);

// "Fashion-MNIST", "MNIST digits".
const char* dataset_title(const std::string& name);
// Class k of a dataset as people say it: "Trouser", "7".
std::string class_name(const std::string& dataset, int k);

// The ready network for a dataset (variant 0, or 1 for a second one): nullptr until it is trained,
// with `note` saying how far it is; the first call starts it (and asks for the dataset).
const YourNetwork* ready_network(const std::string& dataset, int variant, std::string& note);
// Trains the ready networks asked for whose data is here, for about budget_ms (at least a step of
// one). Returns true while one has more to do. A lab waiting for one calls it from its work().
bool ready_networks_work(double budget_ms);

// What such a lab works on, as its settings say: "network": "yours" or "ready", and the ready
// network's "dataset".
enum class NetworkChoice { yours, ready };
constexpr Choice<NetworkChoice> kNetworkChoices[] = {{NetworkChoice::yours, "yours"}, {NetworkChoice::ready, "ready"}};
enum class DatasetChoice { fashion, mnist };
constexpr Choice<DatasetChoice> kDatasetChoices[] = {{DatasetChoice::fashion, "fashion"}, {DatasetChoice::mnist, "mnist"}};
inline std::string dataset_name(DatasetChoice d) { return choice_name(kDatasetChoices, d); }

// The network a lab works on: the student's (your_network()) when `yours` is asked for and there is
// one, else the ready one. `note` says which ("yours: the seed preset trained ..." / "the ready
// network: ..."), or why there is none yet (nullptr then).
const YourNetwork* network_in_use(bool yours, const std::string& ready_dataset, std::string& note);

// The settings' block naming the network: `title`, the "network" radio buttons, the ready
// network's datasets (in `datasets`' order, as the field `dataset_field`) unless yours is in use,
// and `note` saying which network it is. Choices go through `command`, as the lab's own widgets do.
void draw_network_choice(const char* title, NetworkChoice network, DatasetChoice dataset,
                         std::span<const Choice<DatasetChoice>> datasets, const char* dataset_field, bool yours_in_use,
                         const std::string& note, void (*command)(const json& fields));

// A network's model: its description built and its weights loaded. The labs on your network take
// 28x28 grey pictures to 10 classes; anything else is refused with a message.
Status build_network(Model& out, const YourNetwork& net);
// A lab's model of the network it works on, built again only when the network changes (another
// one, or a new version of yours): too large to copy with every command, so a lab keeps it apart.
struct NetworkModel {
    const YourNetwork* from = nullptr;  // what `model` was built from
    int version = -1;
    Model model;
    std::string error;                  // why it could not be used ("The network could not be used: ...")
};
// The model of `net`, nullptr (with cache.error) when it cannot be used.
Model* network_model(NetworkModel& cache, const YourNetwork& net);
