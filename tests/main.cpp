// The doctest suite's entry point (native, and WebAssembly under node).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
