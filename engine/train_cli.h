// train_cli.h — the command-line trainer as a function: cnnlab-train's main() calls it, and the
// tests call it in-process to compare its weights with the training lab's (train_run.h).
#pragma once

// Runs `cnnlab-train` with these arguments (argv[0] is the program's name); prints what the
// program prints and returns its exit code: 0, 1 (a failure, said on stderr) or 2 (bad usage).
int train_cli(int argc, const char* const* argv);
