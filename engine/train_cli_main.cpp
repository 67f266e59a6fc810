// train_cli_main.cpp — cnnlab-train's entry point; the program is train_cli() (train_cli.cpp).
#include "train_cli.h"

int main(int argc, char** argv) { return train_cli(argc, argv); }
