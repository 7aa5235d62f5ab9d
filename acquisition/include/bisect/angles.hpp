// Degrees at every interface, radians inside the trigonometry: one conversion for the tracker.
#pragma once

#include <numbers>

namespace bisect {

constexpr double rad(double deg) { return deg * std::numbers::pi / 180.0; }

}  // namespace bisect
