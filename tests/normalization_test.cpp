// normalization_test.cpp — the "normalization" lab through the API a page uses: each norm's
// statistics against the others' where they must agree, one element normalized by hand from the
// state's numbers, batch norm's running statistics step by step, a batch of one, the spread of
// batch statistics, bad input.
#include <doctest/doctest.h>

#include <cmath>

#include "../web/app.h"
#include "lab_test_util.h"
#include "test_util.h"

static json fresh() {
    g_events.clear();
    app_platform().post_event = record_event;
    json s = command({{"lab", "normalization"}, {"reset", true}});
    if (s["source"] == "built-in pictures") {  // no platform: the files arrive as a platform hands them over
        deliver_dataset("fashion", "fashion-mnist");
        s = api_state();
    }
    REQUIRE(s["source"] == "Fashion-MNIST test pictures");
    return s;
}

static std::vector<float> means(const json& s) { return s["statistics"]["means"].get<std::vector<float>>(); }

TEST_CASE("normalization lab: how many means each norm makes, and where two norms must agree") {
    json s = fresh();
    CHECK(s["shape"] == json::parse("[8, 4, 28, 28]"));
    CHECK(s["statistics"]["count"] == 4);  // batch norm: one per channel
    CHECK(s["statistics"]["axes"] == json::parse(R"(["N", "H", "W"])"));
    CHECK(command({{"norm", "layer"}})["statistics"]["count"] == 8);          // one per sample
    CHECK(command({{"norm", "instance"}})["statistics"]["count"] == 32);      // 8 samples x 4 channels
    CHECK(command({{"norm", "group"}, {"groups", 2}})["statistics"]["count"] == 16);  // 8 samples x 2 groups
    // group norm with one group per channel is instance norm; with one group in all, layer norm's statistics
    const std::vector<float> instance = means(command({{"norm", "instance"}})), layer = means(command({{"norm", "layer"}}));
    const std::vector<float> g4 = means(command({{"norm", "group"}, {"groups", 4}})), g1 = means(command({{"norm", "group"}, {"groups", 1}}));
    CHECK(max_abs_diff(g4, instance) < 1e-6);
    CHECK(max_abs_diff(g1, layer) < 1e-6);
    // a batch of one: batch norm's per-channel means are that picture's instance-norm means
    const std::vector<float> bn1 = means(command({{"norm", "batch"}, {"batch", 1}})), in1 = means(command({{"norm", "instance"}}));
    CHECK(max_abs_diff(bn1, in1) < 1e-6);
}

TEST_CASE("normalization lab: one element normalized, written out with its numbers") {
    fresh();
    for (const char* norm : {"batch", "layer", "instance", "group"}) {
        INFO(norm);
        const json s = command({{"norm", norm}, {"gamma", {2, 1, 1, 0.5}}, {"beta", {0.5, 0, 0, -1}}, {"element", {3, 0, 14, 9}}});
        const json& e = s["normalized"];
        // y = (x - mean) / sqrt(var + eps) * gamma + beta, channel 0: gamma 2, beta 0.5
        const double y = (e["value"].get<double>() - e["mean"].get<double>()) / std::sqrt(e["variance"].get<double>() + 1e-5) * 2 + 0.5;
        CHECK(e["output"].get<double>() == doctest::Approx(y).epsilon(1e-4));
        CHECK(e["mean"] == s["statistics"]["means"][e["statistic"].get<int>()]);
        CHECK(e["formula"].get<std::string>().find(" * 2 + 0.5 = ") != std::string::npos);
    }
}

TEST_CASE("normalization lab: running statistics, eval mode, a batch of one, and small batches") {
    json s = fresh();
    s = command({{"batches_seen", 0}, {"element", {0, 1, 0, 0}}});
    CHECK(s["running"]["mean"] == 0.0);  // PyTorch's start: mean 0, variance 1
    CHECK(s["running"]["var"] == 1.0);
    s = command({{"batches_seen", 1}});  // one batch, the shown one: running = 0.9 start + 0.1 batch (the variance unbiased)
    const double M = 8 * 784;
    CHECK(s["running"]["mean"].get<double>() == doctest::Approx(0.1 * s["running"]["batch_mean"].get<double>()).epsilon(1e-5));
    CHECK(s["running"]["var"].get<double>() ==
          doctest::Approx(0.9 + 0.1 * s["running"]["batch_var"].get<double>() * M / (M - 1)).epsilon(1e-4));
    // a batch of one in training mode normalizes the picture by itself: not what eval mode does
    CHECK(s["batch_of_one"]["difference_rms"].get<double>() > 0.1);
    CHECK(s["batch_of_one"]["train_mode_rms"].get<double>() == doctest::Approx(1.0).epsilon(0.01));  // each channel: variance 1
    // the batch mean moves less and less as batches grow; picture 0's layer-norm mean does not move at all
    const json& spread = s["spread"];
    REQUIRE(spread.size() == 9);
    CHECK(spread[0]["batch"] == 1);
    CHECK(spread[8]["batch"] == 256);
    CHECK(spread[0]["batch_norm"].get<double>() > 4 * spread[8]["batch_norm"].get<double>());
    for (const json& p : spread) CHECK(p["layer_norm"] == 0.0);
}

TEST_CASE("normalization lab: bad input is refused with a message and changes nothing") {
    fresh();
    refused({{"norm", "weight"}}, "\"norm\" must be \"batch\", \"layer\", \"instance\" or \"group\"");
    refused({{"groups", 3}}, "\"groups\" must divide the 4 channels");
    refused({{"batch", 0}}, "\"batch\"");
    refused({{"element", {0, 4, 0, 0}}}, "\"element\" must be [n, c, y, x]");
    refused({{"element", {9, 0, 0, 0}}}, "is not in a batch of 8");
    refused({{"gamma", {1, 2, 3}}}, "\"gamma\" must be 4 numbers");
    refused({{"beta", {1, 2, 3, 1e9}}}, "\"beta\" must be 4 numbers");
    refused({{"answer", 1}}, "there is no exercise to answer");
    refused({{"hint", true}}, "there is no exercise to give a hint for");
}

TEST_CASE("normalization lab: the seed net without and with batch norm at four learning rates, side by side" * doctest::test_suite("long training")) {
    fresh();
    json s = command({{"race", true}, {"race_steps", 400}});
    CHECK(s["rate_race"]["state"] == "training");
    const Lab* lab = find_lab("normalization");
    while (lab->work(1000)) {  // what the app's frames do a slice at a time
    }
    s = api_state();
    REQUIRE(s["rate_race"]["state"] == "done");
    std::string table;
    for (const json& c : s["rate_race"]["contenders"])
        table += c["name"].get<std::string>() + " " + (c["diverged"].get<bool>() ? std::string("diverged") : c["test_accuracy"].dump()) + "; ";
    MESSAGE("after 400 steps each (" << s["rate_race"]["seconds"] << " s): " << table << " largest rates " << s["rate_race"]["largest_rate"]);
    // measured: without batch norm 0.756, 0.791, then stuck at chance (0.115) from 0.4; with it 0.816, 0.823, 0.792, and
    // chance only at 0.8
    const json& largest = s["rate_race"]["largest_rate"];
    CHECK(largest["plain"].get<double>() == doctest::Approx(0.2));
    CHECK(largest["batchnorm"].get<double>() == doctest::Approx(0.4));
    for (const json& c : s["rate_race"]["contenders"]) CHECK(c["curve"].size() == 40);  // a point per 10 steps
}

TEST_CASE("normalization lab: the first layer as initialized, trained 300 steps here, or yours") {
    json s = fresh();
    const json initialized = s["statistics"]["means"];
    s = command({{"weights", "trained"}});
    CHECK(s["note"].get<std::string>().find("The seed net is training") == 0);
    CHECK(s["statistics"]["means"] == initialized);  // until it is trained
    const Lab* lab = find_lab("normalization");
    while (lab->work(1000)) {
    }
    s = api_state();
    CHECK(s["note"].is_null());
    CHECK(s["statistics"]["means"] != initialized);  // the trained first layer's activations
    s = command({{"weights", "yours"}});
    if (!your_network()) CHECK(s["note"].get<std::string>().find("You have not trained a network yet") == 0);
    CHECK(command({{"weights", "initialized"}})["statistics"]["means"] == initialized);
    refused({{"weights", "random"}}, "\"weights\" must be \"initialized\", \"trained\" or \"yours\"");
}
