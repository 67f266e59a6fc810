// app_parts.h — what the app's own files (web/app*.cpp) share with each other and not with the labs.
#pragma once
#include "app.h"

// app_pacing.cpp: called by draw_app as each frame begins (measures the pace; without a platform
// that works between frames, does this frame's slice of the open lab's work).
void app_frame_began();
// app_progress.cpp: what record_answer saw last; the "answer" event carries it.
const json& last_answer_record();
