// platform_desktop.cpp — a desktop window: the shipped photos and the student's own pictures read
// with stb_image (dropped on the window), datasets from build/datasets, files saved into the
// current folder and opened by dropping them, storage in ~/.cache/cnnlab, screenshots for the tests.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>

#include "../engine/safetensors.h"  // read_file
#include "picture_file.h"
#include "platform.h"
#include "renderer.h"

// Pictures on the desktop: the shipped photos sit in photos/ beside the build folder's binaries
// (build/photos); the student's own files arrive by drag and drop (SDL_DROPFILE).
static void load_picture_file(const std::string& name, const std::string& path) {
    Picture picture;
    picture.name = name;
    std::vector<uint8_t> bytes;
    if (Status s = read_file(bytes, path, size_t(256) << 20); !s.ok()) picture.error = s.message;
    else decode_picture(picture, bytes.data(), bytes.size());
    picture_arrived(picture);
}

// Files on the desktop: saved into the current folder; opened by dropping them on the window.
static std::string save_file_desktop(const std::string& name, const std::vector<uint8_t>& bytes) {
    FILE* f = std::fopen(name.c_str(), "wb");
    if (!f) return "cannot write " + name;
    const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    return std::fclose(f) == 0 && ok ? "" : "cannot write all of " + name;
}
static std::string g_file_purpose;  // what a dropped non-picture file is for
static void open_file_desktop(const std::string& purpose, const std::string&) {
    g_file_purpose = purpose;
    file_arrived(OpenedFile{purpose, "", {}, "on the desktop, drop the file on the window"});
}
static std::string storage_desktop(const std::string& key, const std::string* value) {
    const char* home = std::getenv("HOME");
    const std::string path = std::string(home ? home : ".") + "/.cache/cnnlab/session-" + key + ".json";
    if (value) {
        if (FILE* f = std::fopen(path.c_str(), "wb")) {
            std::fwrite(value->data(), 1, value->size(), f);
            std::fclose(f);
        }
        return "";
    }
    std::vector<uint8_t> bytes;
    if (!read_file(bytes, path, size_t(64) << 20).ok()) return "";
    return std::string(bytes.begin(), bytes.end());
}

// Datasets on the desktop: build/datasets/<fashion-mnist|mnist>, read at once.
static void load_dataset(const std::string& name) {
    char* base = SDL_GetBasePath();
    const std::string dir = std::string(base ? base : "./") + "../datasets/" + (name == "fashion" ? "fashion-mnist" : name) + "/";
    SDL_free(base);
    DatasetFiles d;
    d.name = name;
    const char* files[4] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"};
    std::vector<uint8_t>* parts[4] = {&d.train_images, &d.train_labels, &d.test_images, &d.test_labels};
    for (int i = 0; i < 4 && d.error.empty(); i++)
        if (Status s = read_file(*parts[i], dir + files[i], size_t(256) << 20); !s.ok()) d.error = s.message;
    dataset_arrived(std::move(d));
}

static void load_picture(const std::string& name) {
    if (name == "upload") {
        Picture note;
        note.name = name;
        note.error = "on the desktop, drop an image file on the window to use it";
        picture_arrived(note);
        return;
    }
    char* base = SDL_GetBasePath();
    std::string dir = std::string(base ? base : "./") + "../photos/";
    SDL_free(base);
    load_picture_file(name, dir + name + ".png");
}

AppPlatform platform_calls() {
    return {.load_picture = load_picture, .load_dataset = load_dataset, .save_file = save_file_desktop, .open_file = open_file_desktop,
            .storage = storage_desktop, .upload_texture = renderer_upload_rgba};
}

Uint32 platform_prepare_window(Platform&) { return SDL_WINDOW_OPENGL | SDL_WINDOW_RESIZABLE; }

bool platform_keeps_frames() { return false; }  // after a swap the back buffer's contents are undefined

bool platform_frame_due(Platform&, std::chrono::steady_clock::time_point) { return true; }

// A file dropped on the window: a model file (.safetensors) for the lab that asked, else a picture.
void platform_event(Platform&, const SDL_Event& event) {
    if (event.type != SDL_DROPFILE || !event.drop.file) return;
    std::string path = event.drop.file;
    SDL_free(event.drop.file);
    const std::string name = path.substr(path.find_last_of('/') + 1);
    if (name.size() > 12 && name.substr(name.size() - 12) == ".safetensors") {
        OpenedFile f{g_file_purpose.empty() ? "model" : g_file_purpose, name, {}, ""};
        if (Status s = read_file(f.bytes, path, size_t(256) << 20); !s.ok()) f.error = s.message;
        file_arrived(f);
    } else {
        load_picture_file("file:" + name, path);
    }
}

void platform_begin_frame(Platform&) {}
void platform_end_frame(Platform&) {}

std::string platform_save_screenshot(Platform& p) {
    int w = 0, h = 0;
    SDL_GL_GetDrawableSize(p.window, &w, &h);
    std::vector<unsigned char> rgba;
    renderer_read_pixels(w, h, rgba);
    if (!stbi_write_png(p.options.screenshot.c_str(), w, h, 4, rgba.data(), w * 4)) return "could not write " + p.options.screenshot;
    std::printf("cnnlab: saved %dx%d frame to %s\n", w, h, p.options.screenshot.c_str());
    return "";
}

void platform_run(Platform& p, void (*frame)(void*)) {
    while (!p.done) frame(&p);
}
