// lab_test_util.h — driving a lab in the doctest suite through the calls a course page makes
// (api_command / api_state), recording the events it posts.
#pragma once
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "../web/app.h"

inline std::vector<std::string> g_events;  // events posted since the test last cleared them, in order
inline void record_event(const std::string& event, const json&) { g_events.push_back(event); }

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
