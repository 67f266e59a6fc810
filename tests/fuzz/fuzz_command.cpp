// fuzz_command.cpp — libFuzzer harness: any text as a command, the way window.cnnlab.command and a
// course page's postMessage reach the app (api_command_text). The reply must be JSON: the new state
// or {"error": ...}; a refused command must leave the open lab's state exactly as it was.
#include <cstddef>
#include <cstdint>
#include <string>

#include "../../web/app.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const json before = api_state();
    const std::string lab = before.value("lab", "");
    const json reply = json::parse(api_command_text(std::string(reinterpret_cast<const char*>(data), size)), nullptr, false);
    if (reply.is_discarded() || !reply.is_object()) __builtin_trap();
    if (reply.contains("error") && api_state() != before) __builtin_trap();
    if (!reply.contains("error") && !reply.contains("lab")) __builtin_trap();
    return 0;
}
