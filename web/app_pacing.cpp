// app_pacing.cpp — a lab's long work (training) in slices, paced so that frames keep coming.
#include <algorithm>
#include <chrono>

#include "app.h"
#include "app_parts.h"

static double g_frame_cpu_ms = 0;
void set_frame_cpu_ms(double ms) { g_frame_cpu_ms = ms; }
double frame_cpu_ms() { return g_frame_cpu_ms; }

// Frame pacing for work done in slices: how many milliseconds of it may run between two frames so
// that frames keep coming every 33 ms (30 per second, two ticks of a 60 Hz display). The time from
// one frame to the next holds the work, the UI and the wait for the GPU to draw (tens of
// milliseconds where it is emulated in software). The budget grows while frames come on time
// (within 40 ms) and shrinks, by more the later they are, while they do not, within [min_ms,
// max_ms]. While frames are on time it can exceed the time between them: the work then goes on
// until the next frame, and only late frames hold it back.
struct FramePacer {
    double budget_ms = 16.0;           // work per frame
    double min_ms = 6.0, max_ms = 28.0;
    std::chrono::steady_clock::time_point last_frame;
    bool was_working = false;          // whether the last frame had work to do
    // Call as each frame begins; `working`: there is work this frame. Adjusts only between frames
    // in a row that both work (not across a pause or a command), less than 250 ms apart.
    void frame_began(bool working) {
        const auto now = std::chrono::steady_clock::now();
        const double interval = std::chrono::duration<double, std::milli>(now - last_frame).count();
        if (working && was_working && interval < 250.0)
            budget_ms = std::clamp(interval <= 40.0 ? budget_ms + 2.0 : budget_ms - 0.25 * (interval - 33.0), min_ms, max_ms);
        last_frame = now;
        was_working = working;
    }
};

static FramePacer g_work_pacer;    // how much work fits between two frames
static double g_worked_ms = 0;     // work done since the last frame began
static bool g_has_work = false;    // whether the open lab said it had more

// As each frame begins (draw_app): the pacer measures the time since the last one; without a
// platform that works between frames, this frame does its slice of the work now, before the lab
// draws. Between frames the work runs while the GPU process draws, so it may take longer than a
// slice inside a frame (max 40 ms instead of 28), but not so long that the GPU process, sharing
// the CPU, draws late.
void app_frame_began() {
    const bool between = app_platform().work_between_frames;
    g_work_pacer.max_ms = between ? 40.0 : 28.0;
    g_work_pacer.frame_began(g_has_work);
    g_worked_ms = 0;
    if (!between) app_work(g_work_pacer.budget_ms);
}

bool app_has_work() { return g_has_work; }

bool app_work(double budget_ms) {
    const Lab& lab = current_lab();
    if (!lab.work) return g_has_work = false;
    const double left = g_work_pacer.budget_ms - g_worked_ms;
    if (left <= 0) return false;  // enough for this frame: the next frame starts the work again
    const auto start = std::chrono::steady_clock::now();
    g_has_work = lab.work(std::min(budget_ms, left));
    g_worked_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return g_has_work && g_worked_ms < g_work_pacer.budget_ms;
}

