// catalogue.h — the catalogue of bad inputs (tests/bad_inputs/): every file, description, command,
// setting and link a student, a teacher or a course page could get wrong, each given to the app or
// the engine the way it would arrive, with the exact message it must get. main.cpp runs them all
// and, after each one, checks that the student's work (a trained network, answers, an edited
// kernel, the stored session) is exactly as it was and that the labs still work.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "../../web/app.h"

struct BadInput {
    std::string id;      // "idx-truncated": unique, names the case in the report
    std::string input;   // the input in words: "the training images cut off after 1000 bytes"
    std::string expect;  // the exact message; "" when the input is accepted or ignored without one
    std::function<std::string()> give;  // gives the input where it would arrive; returns the message it got
    std::string lab;     // the lab it is given to, checked afterwards to still work ("" when none is involved)
    bool sets_lab = false;  // the input is taken as the lab's new settings, with the message shown in the lab
                            // (a network that cannot be built): that lab's state is not compared, all else is
};

// Adds a case (ids must be unique).
void bad(std::string id, std::string input, std::string expect, std::function<std::string()> give, std::string lab = "",
         bool sets_lab = false);

// The areas, one file each.
void data_file_cases();    // IDX and gzip: the datasets
void weight_file_cases();  // safetensors: model files
void picture_cases();      // picture files, decoded as the desktop decodes them
void model_spec_cases();   // network descriptions
void command_cases();      // JS commands, postMessage payloads, URL states
void training_cases();     // the training lab's settings

// ---- Making inputs ----

// Big-endian 32-bit value appended to a byte list (IDX headers).
void put_be32(std::vector<uint8_t>& out, uint32_t v);
// An IDX file of unsigned bytes: magic 0x0800 | dims.size(), the sizes, then `values` (its size
// need not match the header: a bad file is the point).
std::vector<uint8_t> idx_file(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& values);
// A good little dataset of `count` 28x28 pictures in 10 classes (class k: a band at rows 2k+3..2k+5),
// as IDX files: images and labels.
void good_idx(std::vector<uint8_t>& images, std::vector<uint8_t>& labels, int count);
// The four files of a good dataset under this name, ready to be spoiled and delivered.
DatasetFiles good_dataset(const std::string& name, int train_count = 200, int test_count = 100);
// gzip of `data` using stored (uncompressed) deflate blocks, with a correct CRC and size.
std::vector<uint8_t> gzip_stored(const std::vector<uint8_t>& data);
// Delivers a dataset as the platform would; returns why it was refused ("" when it was taken).
std::string deliver(DatasetFiles files);
// Sends a command as JSON text, as the page's JS API and postMessage do; returns its error ("" when accepted).
std::string command_error(const std::string& command_text);
std::string command_error_of(const json& command);  // the same for a command built in C++
// A file of generated inputs (tests/bad_inputs/make_files.py writes them into build/bad_inputs/).
std::vector<uint8_t> generated_file(const std::string& name);
