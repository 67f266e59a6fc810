// status.h — how engine functions report failure.
// Library code never exits or aborts: a function that can fail returns a Status, and the caller
// (a lab, the CLI, a test) shows its message to the person who caused it.
#pragma once
#include <string>
#include <utility>

struct [[nodiscard]] Status {
    std::string message;  // empty when the call succeeded; otherwise says what was wrong and why
    bool ok() const { return message.empty(); }
};

inline Status ok_status() { return Status{}; }
inline Status error_status(std::string message) { return Status{std::move(message)}; }
