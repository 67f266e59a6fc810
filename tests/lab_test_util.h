// lab_test_util.h — driving a lab in the doctest suite through the calls a course page makes
// (api_command / api_state), recording the events it posts.
#pragma once
#include <doctest/doctest.h>

#include <imgui.h>

#include <string>
#include <vector>

#include "../web/app.h"

inline std::vector<std::string> g_events;  // events posted since the test last cleared them, in order
// "progress" (a concept changed state, after an answer) is left out: tests/mistakes_test.cpp checks it.
inline void record_event(const std::string& event, const json&) {
    if (event != "progress") g_events.push_back(event);
}

// What the browser or the desktop would hand over: the four gzipped IDX files of build/datasets/<folder>.
inline void deliver_dataset(const std::string& name, const std::string& folder) {
    DatasetFiles d;
    d.name = name;
    const char* names[4] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};
    std::vector<uint8_t>* parts[4] = {&d.train_images, &d.train_labels, &d.test_images, &d.test_labels};
    for (int i = 0; i < 4; i++) REQUIRE(read_file(*parts[i], "build/datasets/" + folder + "/" + names[i], size_t(64) << 20).ok());
    dataset_arrived(d);
}

// Sends a command; fails the test if the lab refused it.
inline json command(const json& c) {
    json reply = api_command(c);
    INFO("command " << c.dump() << " -> " << reply.dump().substr(0, 600));
    REQUIRE_FALSE(reply.contains("error"));
    return reply;
}

// Sends a command that must be refused; checks the message and that nothing changed.
inline void refused(const json& c, const std::string& message_part) {
    json before = api_state();
    json reply = api_command(c);
    INFO("command " << c.dump() << " -> " << reply.dump().substr(0, 600));
    REQUIRE(reply.contains("error"));
    CHECK(reply["error"].get<std::string>().find(message_part) != std::string::npos);
    CHECK(api_state() == before);
}

// Draws `frames` frames of the app with ImGui and no GPU (the font atlas must be built); each must
// hold more than 1000 vertices, so the lab drew something. delta: seconds per frame, for animations.
inline void draw_app_frames(int frames, bool embed = false, float delta = 1.0f / 60) {
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(1280, 800);
    io.DeltaTime = delta;
    for (int i = 0; i < frames; i++) {
        ImGui::NewFrame();
        AppView view;
        view.embed = embed;
        draw_app(view);
        ImGui::Render();
        CHECK(ImGui::GetDrawData()->TotalVtxCount > 1000);
    }
}
