// transfer_test.cpp — the "transfer" lab through the API a page uses: the ready network trained on
// MNIST digits reused for Fashion-MNIST with 100 labelled pictures per class, three ways side by
// side and with its layers frozen one by one; the exercise; bad input.
#include <doctest/doctest.h>

#include <chrono>
#include <map>

#include "../web/app.h"
#include "lab_test_util.h"

static void transfer_fresh() {
    g_events.clear();
    app_platform().post_event = record_event;
    command({{"lab", "transfer"}, {"reset", true}, {"network", "ready"}, {"source", "mnist"}});
    if (!loaded_dataset("mnist")) deliver_dataset("mnist", "mnist");
    if (!loaded_dataset("fashion")) deliver_dataset("fashion", "fashion-mnist");
}

static json train_until_done(const char* what) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 100000 && api_state()[what]["state"] != "done"; i++) find_lab("transfer")->work(1000);
    MESSAGE(std::string(what) << ": " << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() << " s here");
    const json s = api_state();
    REQUIRE(s[what]["state"] == "done");
    return s;
}

TEST_CASE("transfer lab: from scratch, feature extraction and fine-tuning on 100 pictures per class" * doctest::test_suite("long training")) {
    transfer_fresh();
    json s = command({{"per_class", 100}, {"steps", 300}, {"train", true}});
    CHECK(s["target"] == "fashion");
    s = train_until_done("race");
    // the seed net's layers with weights: conv1 4·1·3·3 + 4 = 40, conv2 8·4·3·3 + 8 = 296, fc1 32·392 + 32 = 12576, fc2 10·32 + 10 = 330
    REQUIRE(s["layers"].size() == 4);
    CHECK(s["layers"][0]["parameters"] == 40);
    CHECK(s["layers"][1]["parameters"] == 296);
    CHECK(s["layers"][2]["parameters"] == 12576);
    CHECK(s["layers"][3]["parameters"] == 330);
    CHECK(s["using"]["dataset"] == "mnist");
    CHECK(s["race"]["pictures"] == 1000);  // 100 of each of the 10 classes
    std::map<std::string, json> c;
    for (const json& x : s["race"]["contenders"]) c[x["name"]] = x;
    CHECK(c["scratch"]["trainable"] == 13242);
    CHECK(c["feature-extraction"]["trainable"] == 330);  // only the new head
    CHECK(c["fine-tuning"]["trainable"] == 13242);
    CHECK(c["fine-tuning"]["lr"].get<double>() == doctest::Approx(0.0005));
    CHECK(c["scratch"]["accuracy_curve"].size() == 6);  // every 50 of the 300 steps
    for (const auto& [name, x] : c) MESSAGE(name << ": test accuracy " << x["test_accuracy"] << ", curve " << x["accuracy_curve"].dump());
    // (here MNIST features help little with clothes: 100 pictures a class are enough for a network this small to learn them itself)
    for (const auto& [name, x] : c) CHECK(x["test_accuracy"].get<double>() > 0.5);
}

TEST_CASE("transfer lab: layers frozen one by one" * doctest::test_suite("long training")) {
    transfer_fresh();
    command({{"per_class", 100}, {"steps", 300}, {"sweep", true}});
    const json s = train_until_done("freezing");
    REQUIRE(s["freezing"]["contenders"].size() == 4);
    // frozen: nothing; conv1 (40); conv1, conv2 (336); all but the head (12912)
    const int64_t trained[] = {13242, 13202, 12906, 330};
    for (size_t k = 0; k < 4; k++) {
        const json& x = s["freezing"]["contenders"][k];
        CHECK(x["name"] == "freeze-" + std::to_string(k));
        CHECK(x["trainable"] == trained[k]);
        MESSAGE(k << " layers frozen: test accuracy " << x["test_accuracy"]);
    }
}

TEST_CASE("transfer lab: trained parameters by hand, with the mistakes named") {
    command({{"lab", "transfer"}, {"reset", true}});
    // Seed 4: conv 1 -> 4, 5x5 (4·1·25 + 4 = 104); conv 4 -> 16, 3x3 (16·4·9 + 16 = 592); linear 256 -> 32
    // (32·256 + 32 = 8224); linear 32 -> 10 (10·32 + 10 = 330); layers 1 to 3 frozen: 330 trained.
    json s = command({{"new_exercise", true}, {"seed", 4}});
    CHECK(s["exercise"]["frozen"] == 3);
    CHECK(s["exercise"]["layers"][0]["kernel"] == 5);
    const std::pair<int, const char*> wrong[] = {
        {9250, "frozen-counted"},  // 104 + 592 + 8224 + 330
        {320, "bias-forgotten"},   // 10·32
        {8920, "frozen-only"},     // 104 + 592 + 8224
        {8554, "one-layer-off"},   // layer 3 trained too: 8224 + 330
        {5, "other"},
    };
    for (const auto& [answer, mistake] : wrong) {
        s = command({{"answer", answer}});
        CHECK(s["last_answer"]["correct"] == false);
        CHECK(s["last_answer"]["mistake"]["id"] == mistake);
    }
    s = command({{"answer", 330}});
    CHECK(s["last_answer"]["correct"] == true);
}

TEST_CASE("transfer lab: bad input is refused with a message and changes nothing") {
    command({{"lab", "transfer"}, {"reset", true}});
    refused({{"per_class", 5}}, "\"per_class\"");
    refused({{"steps", 100000}}, "\"steps\"");
    refused({{"source", "cifar"}}, "\"source\" must be \"mnist\" or \"fashion\"");
    refused({{"answer", 12}}, "there is no exercise to answer");
    command({{"new_exercise", true}, {"seed", 2}});
    refused({{"answer", 1.5}}, "\"answer\" must be a whole number");
    refused({{"answer", -3}}, "\"answer\" must be a whole number");
}
