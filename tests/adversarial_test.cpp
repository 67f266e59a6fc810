// adversarial_test.cpp — the "adversarial" lab through the API a page uses: the ready network, an
// attack on one picture, the accuracy-against-eps curve, the FGSM exercise, bad input.
#include <doctest/doctest.h>

#include <chrono>
#include <map>

#include "../web/app.h"
#include "lab_test_util.h"

// The lab with the ready network trained on Fashion-MNIST (delivered as a platform would).
static json adversarial_ready() {
    g_events.clear();
    app_platform().post_event = record_event;
    json s = command({{"lab", "adversarial"}, {"reset", true}, {"network", "ready"}, {"dataset", "fashion"}});
    if (!loaded_dataset("fashion")) deliver_dataset("fashion", "fashion-mnist");
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 100000 && api_state()["result"].is_null(); i++) find_lab("adversarial")->work(1000);
    s = api_state();
    MESSAGE("the ready network: " << s["using"]["about"].get<std::string>() << " ("
                                  << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() << " s here)");
    REQUIRE(s["using"]["source"] == "ready");
    REQUIRE(s["result"].is_object());
    return s;
}

TEST_CASE("adversarial lab: FGSM and PGD on one picture" * doctest::test_suite("long training")) {
    json s = adversarial_ready();
    // the first test picture the network gets right
    int picture = 0;
    for (; picture < 50; picture++) {
        s = command({{"picture", picture}, {"epsilon", 0.0}, {"attack", "fgsm"}, {"target", -1}});
        if (s["result"]["before"]["class"] == s["result"]["label"]) break;
    }
    REQUIRE(picture < 50);
    // eps 0 changes nothing
    CHECK(s["result"]["largest_change"] == 0.0);
    CHECK(s["result"]["after"]["probabilities"] == s["result"]["before"]["probabilities"]);
    const int label = s["result"]["label"];
    const double p_right = s["result"]["before"]["probabilities"][size_t(label)];
    // FGSM eps 0.05: every pixel moves by at most 0.05, and the right class loses probability
    s = command({{"epsilon", 0.05}});
    CHECK(s["result"]["largest_change"].get<double>() <= 0.05 + 1e-6);
    CHECK(s["result"]["pixels_changed"].get<int>() > 100);
    const double p_fgsm = s["result"]["after"]["probabilities"][size_t(label)];
    CHECK(p_fgsm < p_right);
    // PGD with 10 steps of 0.0125 in the same box finds at least as bad a picture (here: worse)
    s = command({{"attack", "pgd"}, {"steps", 10}, {"step_size", 0.0125}});
    const double p_pgd = s["result"]["after"]["probabilities"][size_t(label)];
    MESSAGE("picture " << picture << " (" << s["result"]["label_name"] << "): p(right) " << p_right << ", after FGSM 0.05 " << p_fgsm
                       << ", after PGD " << p_pgd << ", now says " << s["result"]["after"]["name"]);
    CHECK(s["result"]["largest_change"].get<double>() <= 0.05 + 1e-6);
    CHECK(p_pgd <= p_fgsm);
    // targeted at another class: that class gains
    const int target = (label + 1) % 10;
    const double p_target = s["result"]["before"]["probabilities"][size_t(target)];
    s = command({{"target", target}, {"epsilon", 0.2}});
    CHECK(s["result"]["after"]["probabilities"][size_t(target)].get<double>() > p_target);
}

TEST_CASE("adversarial lab: accuracy against eps, a transfer attack and two defences" * doctest::test_suite("long training")) {
    adversarial_ready();
    json s = command({{"curve", true}, {"curve_pictures", 200}, {"epsilon", 0.1}});
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 100000 && api_state()["robustness"]["state"] != "done"; i++) find_lab("adversarial")->work(1000);
    s = api_state();
    REQUIRE(s["robustness"]["state"] == "done");
    MESSAGE("curve on 200 pictures: " << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() << " s here");
    std::map<std::string, std::vector<double>> line;
    for (const json& l : s["robustness"]["lines"]) {
        line[l["name"]] = l["accuracy"].get<std::vector<double>>();
        MESSAGE(l["name"].get<std::string>() << ": " << l["accuracy"].dump());
    }
    REQUIRE(line.size() == 6);
    const std::vector<double>& fgsm = line["fgsm"];
    const std::vector<double>& pgd = line["pgd"];
    REQUIRE(fgsm.size() == 6);  // eps 0, 0.05, 0.1, 0.15, 0.2, 0.3
    // eps 0: no attack, the clean accuracy, the same for every attack on this network
    CHECK(fgsm[0] == pgd[0]);
    CHECK(line["fgsm-from-another-network"][0] == fgsm[0]);
    CHECK(fgsm[0] > 0.7);
    // attacks hurt, PGD more than FGSM, an attack from another network less than one made on this one
    CHECK(fgsm[2] < fgsm[0] - 0.3);
    CHECK(pgd[2] <= fgsm[2]);
    CHECK(line["fgsm-from-another-network"][2] > fgsm[2]);
    // the defences: adversarial training holds up better under PGD at eps 0.1; a blur the attacker
    // does not know of helps, one the attacker attacks through helps less
    CHECK(line["pgd-after-adversarial-training"][2] > pgd[2]);
    CHECK(line["pgd-through-blur"][2] <= line["pgd-blur-unaware"][2]);
}

TEST_CASE("adversarial lab: the FGSM step by hand, with its mistakes named") {
    command({{"lab", "adversarial"}, {"reset", true}});
    // Seed 5: pixels [0.5, 0.2, 0.8, 0.99], gradient [-0.1, 0.3, 0, 0.4], eps 0.1.
    // x + 0.1·sign(g) = [0.5 - 0.1, 0.2 + 0.1, 0.8 + 0, 0.99 + 0.1] = [0.4, 0.3, 0.8, 1.09], clipped: [0.4, 0.3, 0.8, 1].
    json s = command({{"new_exercise", true}, {"seed", 5}});
    REQUIRE(s["exercise"]["pixels"].size() == 4);
    CHECK(s["exercise"]["epsilon"].get<double>() == doctest::Approx(0.1));
    CHECK(s["exercise"]["gradient"][2] == 0.0);
    struct Wrong {
        std::vector<double> answer;
        const char* mistake;
    };
    const Wrong wrong[] = {
        {{0.49, 0.23, 0.8, 1}, "gradient-not-sign"},    // x + 0.1·g: 0.5 - 0.01, 0.2 + 0.03, 0.8, 0.99 + 0.04 -> 1
        {{0.6, 0.1, 0.8, 0.89}, "wrong-direction"},     // x - 0.1·sign(g)
        {{0.4, 0.3, 0.8, 1.09}, "clip-forgotten"},      // 0.99 + 0.1 left past 1
        {{0.4, 0.3, 0.9, 1}, "zero-gradient-moved"},    // sign(0) taken as +1
        {{0.4, 0.3, 0.8, 0.5}, "other"},
    };
    for (const Wrong& w : wrong) {
        s = command({{"answer", w.answer}});
        CHECK(s["last_answer"]["correct"] == false);
        CHECK(s["last_answer"]["mistake"]["id"] == w.mistake);
    }
    s = command({{"hint", true}});
    CHECK(s["hints"][0].get<std::string>().find("sign(g)") != std::string::npos);
    s = command({{"answer", {0.4, 0.3, 0.8, 1}}});
    CHECK(s["last_answer"]["correct"] == true);
    CHECK(s["score"]["correct"] == 1);
    CHECK(s["score"]["answered"] == 6);
}

TEST_CASE("adversarial lab: bad input is refused with a message and changes nothing") {
    command({{"lab", "adversarial"}, {"reset", true}});
    refused({{"epsilon", 0.9}}, "\"epsilon\"");
    refused({{"picture", 1000}}, "\"picture\"");
    refused({{"target", 10}}, "\"target\"");
    refused({{"attack", "cw"}}, "\"attack\" must be \"fgsm\" or \"pgd\"");
    refused({{"network", "theirs"}}, "\"network\"");
    refused({{"answer", {1, 2, 3, 4}}}, "there is no exercise to answer");
    command({{"new_exercise", true}, {"seed", 2}});
    refused({{"answer", {1, 2, 3}}}, "\"answer\" must be a list of 4 numbers");
    refused({{"answer", "0.5"}}, "\"answer\" must be a list of 4 numbers");
}
