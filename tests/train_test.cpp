// train_test.cpp — the training lab through the page's API, with the MNIST digits delivered as the
// platform would deliver them: training lowers the loss and beats chance, impossible networks and
// diverging runs are explained, model files load only into the network they fit, and the lab
// trains exactly as cnnlab-train does.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>

#include "../engine/data.h"
#include "../engine/model.h"
#include "../engine/safetensors.h"
#include "../engine/train_cli.h"
#include "../web/app.h"
#include "lab_test_util.h"

static json train(const json& c) {
    json command = c;
    command["lab"] = "train";
    json reply = api_command(command);
    INFO("command " << command.dump() << " -> " << reply.dump().substr(0, 400));
    REQUIRE_FALSE(reply.contains("error"));
    return reply;
}

static std::string train_error(const json& c) {
    json command = c;
    command["lab"] = "train";
    return api_command(command).value("error", "");
}

// What the browser or the desktop would hand over: the four gzipped IDX files.
static void deliver_mnist() { deliver_dataset("mnist", "mnist"); }

TEST_CASE("training the seed net on MNIST lowers the loss and beats chance") {
    json s = train({{"dataset", "mnist"}, {"model", "seed"}, {"optimizer", "adam"}, {"lr", 0.003}, {"batch", 32}, {"seed", 3}, {"action", "reset"}});
    CHECK(s["params"] == 13242);
    CHECK(s["shapes"][6]["shape"] == json::array({392}));
    deliver_mnist();
    s = api_state();
    REQUIRE(s["data_loaded"] == true);
    train({{"action", "step"}});
    const double first_loss = api_state()["train_loss"].get<double>();
    CHECK(first_loss > 1.5);  // about ln(10) = 2.3 for an untrained net
    for (int i = 0; i < 120; i++) train({{"action", "step"}});
    s = train({{"action", "evaluate"}});
    CHECK(s["step"] == 121);
    INFO("loss " << first_loss << " -> " << s["train_loss"] << ", test accuracy " << s["test_accuracy"]);
    CHECK(s["train_loss"].get<double>() < first_loss * 0.5);
    CHECK(s["test_accuracy"].get<double>() > 0.6);  // chance is 0.1
    const json probs = s["sample_probs"];
    double total = 0;
    for (const auto& p : probs) total += p.get<double>();
    CHECK(total == doctest::Approx(1.0).epsilon(1e-4));
    // The setting reaches the loss: with label smoothing 1 the target is 1/10 for every class, and the
    // cross-entropy against it, mean_k -log p_k, is at least ln 10 = 2.3026 (equal only for p uniform),
    // where the trained net's plain loss was below half of 2.3.
    s = train({{"label_smoothing", 1}, {"action", "step"}});
    CHECK(s["train_loss"].get<double>() > 2.3026);
    CHECK(train({{"label_smoothing", 0}})["label_smoothing"].get<double>() == 0.0);
}

TEST_CASE("an impossible network is explained and never trained") {
    json s = train({{"model", {{"layers", json::parse(R"([{"type":"conv","out":4,"kernel":30},{"type":"flatten"},{"type":"linear","out":10}])")}}}});
    CHECK(s["params"].is_null());
    CHECK(s["message"].get<std::string>().find("layer 0 (0, conv): the kernel window covers 30 rows") != std::string::npos);
    CHECK(train_error({{"action", "start"}}).find("the network cannot be built") == 0);
    s = train({{"model", {{"layers", json::parse(R"([{"type":"flatten"},{"type":"linear","out":7}])")}}}});
    CHECK(s["message"].get<std::string>().find("needs 10") != std::string::npos);
    CHECK(train_error({{"model", "giant"}}).find("no model preset \"giant\"") == 0);
    CHECK(train_error({{"lr", "fast"}}).find("\"lr\" must be a number") == 0);
    CHECK(train_error({{"action", "fly"}}).find("\"action\" must be") == 0);
    CHECK(train_error({{"backend", "gpu"}}).find("there is no GPU to train on here") == 0);  // the tests have no GL context
    CHECK(train_error({{"backend", "tpu"}}).find("\"backend\" must be \"cpu\" or \"gpu\"") == 0);
    train({{"model", "seed"}});
    CHECK(api_state()["message"].is_null());
}

TEST_CASE("a diverging run stops with an explanation") {
    train({{"model", "seed"}, {"optimizer", "sgd"}, {"lr", 100000.0}, {"action", "reset"}});
    std::string message;
    for (int i = 0; i < 30 && message.empty(); i++) {
        json reply = api_command({{"lab", "train"}, {"action", "step"}});
        json s = api_state();
        if (!s["message"].is_null()) message = s["message"].get<std::string>();
    }
    INFO(message);
    CHECK(message.find("the loss became") != std::string::npos);
    CHECK(message.find("Lower the learning rate") != std::string::npos);
    CHECK(api_state()["running"] == false);
    CHECK(train_error({{"action", "start"}}).find("Training stopped") == 0);  // reset first
    json s = train({{"optimizer", "adam"}, {"lr", 0.002}, {"action", "reset"}});
    CHECK(s["message"].is_null());
    CHECK(s["step"] == 0);
}

TEST_CASE("model files: the same network's weights load and predict the same; another network's are refused") {
    train({{"model", "seed"}, {"dataset", "mnist"}, {"action", "reset"}});
    for (int i = 0; i < 20; i++) train({{"action", "step"}});
    const json before = api_state()["sample_probs"];
    // the file the lab would save: this network's weights
    Model m;
    REQUIRE(model_from_json(m, seed_model_json(), 77).ok());
    std::vector<uint8_t> other = safetensors_serialize(model_state(m));  // the seed net, other weights
    train({{"action", "reset"}});
    file_arrived(OpenedFile{"model", "other.safetensors", other, ""});
    json s = api_state();
    CHECK(s["note"] == "Loaded other.safetensors.");
    // a file for a different network: rejected, weights unchanged
    const json probs = s["sample_probs"];
    Model mlp;
    REQUIRE(model_from_json(mlp, R"({"input":[1,28,28],"layers":[{"type":"flatten"},{"type":"linear","name":"fc1","out":10}]})", 1).ok());
    file_arrived(OpenedFile{"model", "mlp.safetensors", safetensors_serialize(model_state(mlp)), ""});
    s = api_state();
    CHECK(s["note"].get<std::string>().find("does not fit the current network") != std::string::npos);
    CHECK(s["sample_probs"] == probs);
    file_arrived(OpenedFile{"model", "junk.safetensors", {1, 2, 3}, ""});
    CHECK(api_state()["note"].get<std::string>().find("too short for a header") != std::string::npos);
    (void)before;
    api_command({{"lab", "hand-conv"}});
}

// IDX files as the platform hands them over (uncompressed is accepted too): `count` pictures of
// 28x28 where class k (k = index % 10) is a bright horizontal band at rows 2k+3 .. 2k+5, an easy
// pattern that a few steps learn.
static void idx_pair(std::vector<uint8_t>& images, std::vector<uint8_t>& labels, int count) {
    auto be32 = [](std::vector<uint8_t>& out, uint32_t v) { for (int b = 3; b >= 0; b--) out.push_back(uint8_t(v >> (8 * b))); };
    images.clear(), labels.clear();
    be32(images, 0x803), be32(images, uint32_t(count)), be32(images, 28), be32(images, 28);
    be32(labels, 0x801), be32(labels, uint32_t(count));
    for (int i = 0; i < count; i++) {
        const int k = i % 10;
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++) images.push_back(y >= 2 * k + 3 && y <= 2 * k + 5 ? 200 : uint8_t((x * 7 + y * 13 + i) % 40));
        labels.push_back(uint8_t(k));
    }
}

// Draws frames until `done(state)` holds (at most `limit` frames); returns the last state.
template <typename Done>
static json frames_until(Done done, int limit = 2000) {
    json s = api_state();
    for (int frame = 0; frame < limit && !done(s); frame++) {
        draw_app_frames(1);
        s = api_state();
    }
    return s;
}

static bool measuring_midway(const json& s) {
    return !s["measuring"].is_null() && s["measuring"]["done"].get<int>() > 0 &&
           s["measuring"]["done"].get<int>() < s["measuring"]["total"].get<int>();
}

TEST_CASE("the measurement after each epoch is spread over frames; pausing, evaluating or stepping meanwhile keeps the epoch" * doctest::test_suite("long training")) {
    train({{"dataset", "mnist"}, {"model", "seed"}, {"optimizer", "adam"}, {"lr", 0.01}, {"batch", 32}, {"epochs", 3}, {"seed", 5}, {"action", "reset"}});
    DatasetFiles d;
    d.name = "mnist";
    idx_pair(d.train_images, d.train_labels, 160);  // 5 steps of 32 per epoch
    idx_pair(d.test_images, d.test_labels, 20000);  // enough that measuring takes several frames
    dataset_arrived(d);
    ImGui::CreateContext();  // frames are drawn without a GPU
    ImGui::GetIO().IniFilename = nullptr;
    unsigned char* pixels;
    int w, h;
    ImGui::GetIO().Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
    g_events.clear();
    app_platform().post_event = record_event;
    struct Cleanup {  // also when a REQUIRE stops the test half-way
        ~Cleanup() {
            app_platform().post_event = nullptr;
            ImGui::DestroyContext();
        }
    } cleanup;
    REQUIRE(api_state()["data_loaded"] == true);
    auto epochs_done = [] { return std::count(g_events.begin(), g_events.end(), "epoch-done"); };

    // epoch 1: 5 steps, then the 20,000 test pictures a slice per frame
    train({{"action", "start"}});
    json s = frames_until(measuring_midway);
    REQUIRE(measuring_midway(s));
    CHECK(s["step"] == 5);
    CHECK(s["epoch"] == 0);  // the epoch ends when its measurement does
    CHECK(s["measuring"]["total"] == 20000);
    // paused half-way: it goes on in the frames that follow, and then the epoch is done
    s = train({{"action", "pause"}});
    CHECK(s["running"] == false);
    CHECK_FALSE(s["measuring"].is_null());
    s = frames_until([](const json& t) { return t["measuring"].is_null(); });
    CHECK(s["epoch"] == 1);
    CHECK(s["step"] == 5);
    CHECK(epochs_done() == 1);
    CHECK(s["test_curve"].size() == 1);
    const double measured = s["test_accuracy"].get<double>();
    CHECK(measured > 0.2);  // above chance (0.1) after 5 steps; what matters here is that it is measured once, right
    s = train({{"action", "evaluate"}});  // the same weights measured at once: the same number
    CHECK(s["test_accuracy"].get<double>() == measured);

    // epoch 2: an evaluate command half-way through the epoch's measurement finishes it first
    train({{"action", "start"}});
    s = frames_until([](const json& t) { return measuring_midway(t) && t["step"] == 10; });
    REQUIRE(measuring_midway(s));
    s = train({{"action", "evaluate"}});
    CHECK(s["epoch"] == 2);
    CHECK(epochs_done() == 2);
    CHECK(s["measuring"].is_null());

    // epoch 3, the last: training stops by itself once it is measured
    train({{"action", "start"}});
    s = frames_until([](const json& t) { return !t["running"].get<bool>(); });
    CHECK(s["epoch"] == 3);
    CHECK(s["step"] == 15);
    CHECK(s["measuring"].is_null());
    CHECK(epochs_done() == 3);
    CHECK(s["test_curve"].size() == 5);  // 3 epochs and 2 evaluate commands

    // a step that ends an epoch is measured before the command answers
    train({{"epochs", 5}});
    for (int i = 0; i < 5; i++) s = train({{"action", "step"}});
    CHECK(s["epoch"] == 4);
    CHECK(s["measuring"].is_null());
    CHECK(epochs_done() == 4);
}

TEST_CASE("the cosine schedule: the rate each step uses falls from the chosen one to 0 over the epochs") {
    train({{"dataset", "mnist"}, {"model", "seed"}, {"optimizer", "adam"}, {"lr", 0.01}, {"batch", 32}, {"epochs", 2}, {"seed", 5},
           {"schedule", "constant"}, {"action", "reset"}});
    DatasetFiles d;
    d.name = "mnist";
    idx_pair(d.train_images, d.train_labels, 160);  // 5 steps of 32 per epoch: 10 in the run
    idx_pair(d.test_images, d.test_labels, 100);
    dataset_arrived(d);
    json s = train({{"action", "step"}});
    CHECK(s["lr_now"].get<double>() == doctest::Approx(0.01));  // constant: the chosen rate throughout
    s = train({{"schedule", "cosine"}, {"action", "reset"}});
    CHECK(s["schedule"] == "cosine");
    CHECK(s["lr_now"].get<double>() == doctest::Approx(0.01));  // step 0: cos 0 = 1, the full rate
    for (int i = 0; i < 5; i++) s = train({{"action", "step"}});
    CHECK(s["lr_now"].get<double>() == doctest::Approx(0.005));  // step 5 of 10: 0.01 * (1 + cos(pi/2)) / 2
    // the schedule counts pictures, so a new batch size keeps the run on the same curve
    CHECK(train({{"batch", 16}})["lr_now"].get<double>() == doctest::Approx(0.005));  // 160 of 320 pictures
    train({{"batch", 32}});
    for (int i = 0; i < 4; i++) s = train({{"action", "step"}});
    CHECK(s["lr_now"].get<double>() == doctest::Approx(0.01 * (1 + std::cos(3.14159265 * 0.9)) / 2));  // 0.000245
    s = train({{"action", "step"}});
    CHECK(s["epoch"] == 2);
    CHECK(s["lr_now"].get<double>() == 0.0);  // the run is over: a further step moves nothing
    const json probs = s["sample_probs"];
    s = train({{"action", "step"}});
    CHECK(s["sample_probs"] == probs);
    CHECK(train_error({{"schedule", "linear"}}) == "\"schedule\" must be \"constant\" or \"cosine\"");
    // each preset names the settings it trains well with
    s = train({{"model", "wide"}});
    CHECK(s["recipe"]["schedule"] == "cosine");
    CHECK(s["recipe"]["augment"] == "none");                    // a recipe is a whole set of settings:
    CHECK(s["recipe"]["label_smoothing"].get<double>() == 0.0); // what it leaves out is off
    CHECK(s["schedule"] == "cosine");  // (what this test chose: the model alone changes no setting)
    s = train({{"model", "seed"}, {"schedule", "constant"}});
    CHECK(s["recipe"]["schedule"] == "constant");
    // data augmentation: mirrored training pictures, or none
    CHECK(s["augment"] == "none");
    CHECK(train({{"augment", "mirror"}})["augment"] == "mirror");
    CHECK(train_error({{"augment", "rotate"}}) == "\"augment\" must be \"none\" or \"mirror\"");
    CHECK(train({{"augment", "none"}})["augment"] == "none");
    // label smoothing: the loss's target is (1-eps)*onehot + eps/10 (the engine's loss is checked against PyTorch's)
    CHECK(s["label_smoothing"].get<double>() == 0.0);
    CHECK(train({{"label_smoothing", 0.1}})["label_smoothing"].get<double>() == doctest::Approx(0.1));
    CHECK(train_error({{"label_smoothing", 1.5}}) == "\"label_smoothing\" must be a number between 0 and 1");
    CHECK(train_error({{"label_smoothing", "a lot"}}) == "\"label_smoothing\" must be a number");
    CHECK(train({{"label_smoothing", 0}})["label_smoothing"].get<double>() == 0.0);
    CHECK(train({{"model", "deep"}})["recipe"]["label_smoothing"].get<double>() == doctest::Approx(0.1));  // the best preset's recipe uses it
    (void)train({{"model", "seed"}});
}

TEST_CASE("the real digits again, for whatever runs next") {
    deliver_mnist();
    api_command({{"lab", "hand-conv"}});
}

// One training loop (engine/train_run.h) serves every trainer: the command line and the lab's
// command path, given the same recipe and seed, end with the same weights, bit for bit. The run
// crosses an epoch's end (a new order of the pictures) with every per-step choice switched on:
// shuffling, mirrored pictures, the cosine schedule and label smoothing.
static std::vector<uint8_t> g_saved;
static std::string keep_saved(const std::string&, const std::vector<uint8_t>& bytes) {
    g_saved = bytes;
    return "";
}

TEST_CASE("cnnlab-train and the training lab's commands give bit-identical weights for the same recipe and seed") {
    Dataset mnist;
    REQUIRE(load_idx_dataset(mnist, "build/datasets/mnist", "train").ok());
    const int batch = 128, steps = (mnist.count + batch - 1) / batch + 5;  // one epoch and 5 steps of the next
    const std::string saved = "build/train_run_test.safetensors", steps_text = std::to_string(steps);
    const char* argv[] = {"cnnlab-train", "--data", "build/datasets/mnist", "--model", "seed", "--optimizer", "adam", "--lr", "0.003",
                          "--batch", "128", "--epochs", "2", "--cosine", "--mirror", "--label-smoothing", "0.1", "--seed", "3",
                          "--steps", steps_text.c_str(), "--log-every", "1000000", "--save", saved.c_str()};
    REQUIRE(train_cli(int(std::size(argv)), argv) == 0);
    NamedTensors from_cli;
    REQUIRE(safetensors_load(from_cli, saved).ok());

    train({{"dataset", "mnist"}, {"model", "seed"}, {"optimizer", "adam"}, {"lr", 0.003}, {"batch", batch}, {"epochs", 2},
           {"schedule", "cosine"}, {"augment", "mirror"}, {"label_smoothing", 0.1}, {"seed", 3}, {"action", "reset"}});
    deliver_mnist();
    for (int i = 0; i < steps; i++) train({{"action", "step"}});
    CHECK(api_state()["step"] == steps);
    app_platform().save_file = keep_saved;
    train({{"action", "save"}});
    app_platform().save_file = nullptr;
    NamedTensors from_lab;
    REQUIRE(safetensors_parse(from_lab, g_saved.data(), g_saved.size()).ok());

    REQUIRE(from_lab.tensors.size() == from_cli.tensors.size());
    for (const auto& named : from_lab.tensors) {
        const std::string& name = named.first;  // (not a structured binding: clang 14 lets no lambda of doctest's see one)
        const Tensor& lab_tensor = named.second;
        const Tensor* cli_tensor = from_cli.find(name);
        REQUIRE_MESSAGE(cli_tensor, name);
        REQUIRE(cli_tensor->shape == lab_tensor.shape);
        float largest = 0;  // reported when they differ
        for (size_t i = 0; i < lab_tensor.data.size(); i++) largest = std::max(largest, std::fabs(lab_tensor.data[i] - cli_tensor->data[i]));
        INFO(name << ": largest difference " << largest);
        CHECK(std::memcmp(lab_tensor.data.data(), cli_tensor->data.data(), lab_tensor.data.size() * sizeof(float)) == 0);
    }
    api_command({{"lab", "hand-conv"}});
}

TEST_CASE("the network trained in the training lab is \"your network\": the app keeps it and the receptive-field lab measures it") {
    train({{"dataset", "mnist"}, {"model", "seed"}, {"optimizer", "adam"}, {"lr", 0.003}, {"batch", 32}, {"seed", 3}, {"action", "reset"}});
    deliver_mnist();
    for (int i = 0; i < 30; i++) train({{"action", "step"}});
    const int version = your_network() ? your_network()->version : 0;
    train({{"action", "pause"}});  // a pause (or an epoch's end) shares the network
    REQUIRE(your_network());
    CHECK(your_network()->version == version + 1);
    CHECK(your_network()->dataset == "mnist");
    CHECK(your_network()->about == "the seed preset trained on MNIST digits for 30 steps");
    // its weights are the lab's, as the lab would save them
    app_platform().save_file = keep_saved;
    train({{"action", "save"}});
    app_platform().save_file = nullptr;
    NamedTensors saved;
    REQUIRE(safetensors_parse(saved, g_saved.data(), g_saved.size()).ok());
    REQUIRE(saved.tensors.size() == your_network()->weights.tensors.size());
    for (size_t i = 0; i < saved.tensors.size(); i++) CHECK(saved.tensors[i].second == your_network()->weights.tensors[i].second);
    // the receptive-field lab measures it at its last layer with a picture's shape: the second pooling,
    // whose field is r = 1 + (3-1)*1 + (2-1)*1 + (3-1)*2 + (2-1)*2 = 10 pixels (conv, pool, conv, pool)
    json s = api_command({{"lab", "receptive-field"}, {"net", "yours"}});
    REQUIRE_FALSE(s.contains("error"));
    CHECK(s["erf"]["net"] == "yours");
    CHECK(s["erf"]["field"]["size"] == 10);
    CHECK(s["erf"]["note"] == "Your network: the seed preset trained on MNIST digits for 30 steps; the middle unit of its layer 6, a maxpool giving (8,7,7).");
    CHECK(s["erf"]["outside"] == 0.0);  // nothing reaches the unit from outside its field
    // a network with batch norm (it behaves differently in training) is refused, saying why
    train({{"model", "seed-bn"}, {"action", "reset"}});
    for (int i = 0; i < 3; i++) train({{"action", "step"}});
    train({{"action", "pause"}});
    s = api_command({{"lab", "receptive-field"}, {"net", "yours"}});
    CHECK(s["erf"]["map"].is_null());
    CHECK(s["erf"]["note"].get<std::string>().find("Your network (the seed-bn preset trained on MNIST digits for 3 steps) cannot be measured here: ") == 0);
    CHECK(s["erf"]["note"].get<std::string>().find("batch norm") != std::string::npos);
    // the labs on your network use it, batch norm and all (its backward at test time follows the
    // running statistics): an attack, the explanations, and transfer to the other dataset
    const std::string about = "Your network: the seed-bn preset trained on MNIST digits for 3 steps.";
    s = api_command({{"lab", "adversarial"}, {"network", "yours"}, {"picture", 3}, {"epsilon", 0.1}});
    REQUIRE_FALSE(s.contains("error"));
    CHECK(s["using"] == json{{"source", "yours"}, {"about", about}, {"dataset", "mnist"}});
    REQUIRE(s["result"].is_object());
    CHECK(s["result"]["largest_change"].get<double>() == doctest::Approx(0.1).epsilon(1e-4));
    s = api_command({{"lab", "explain"}, {"network", "yours"}, {"picture", 3}});
    CHECK(s["using"]["source"] == "yours");
    REQUIRE(s["explained"].is_object());
    CHECK(s["explained"]["features"]["channels"].size() == 4);
    s = api_command({{"lab", "transfer"}, {"network", "yours"}});
    CHECK(s["using"]["source"] == "yours");
    CHECK(s["target"] == "fashion");
    CHECK(s["layers"].size() == 6);  // conv1, bn1, conv2, bn2, fc1, fc2
    for (const char* lab : {"adversarial", "explain", "transfer"}) api_command({{"lab", lab}, {"reset", true}});
    api_command({{"lab", "receptive-field"}, {"reset", true}});
    api_command({{"lab", "hand-conv"}});
}
