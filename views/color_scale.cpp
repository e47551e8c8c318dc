#include "views/color_scale.h"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace glassbox::views {

namespace {

struct Stop {
  double at;
  QColor color;
};

// viridis: perceptually uniform, readable in grey scale.
const Stop kSequential[] = {{0.0, QColor(0x44, 0x01, 0x54)}, {0.25, QColor(0x3b, 0x52, 0x8b)},
                            {0.5, QColor(0x21, 0x91, 0x8c)}, {0.75, QColor(0x5e, 0xc9, 0x62)},
                            {1.0, QColor(0xfd, 0xe7, 0x25)}};
// RdBu reversed: negative blue, zero near white, positive red.
const Stop kDiverging[] = {{0.0, QColor(0x21, 0x66, 0xac)}, {0.25, QColor(0x67, 0xa9, 0xcf)},
                           {0.5, QColor(0xf7, 0xf7, 0xf7)}, {0.75, QColor(0xef, 0x8a, 0x62)},
                           {1.0, QColor(0xb2, 0x18, 0x2b)}};

template <size_t N>
QColor interpolate(const Stop (&stops)[N], double t) {
  t = std::clamp(t, 0.0, 1.0);
  size_t i = 1;
  while (i + 1 < N && stops[i].at < t) ++i;
  const Stop& a = stops[i - 1];
  const Stop& b = stops[i];
  const double f = (t - a.at) / (b.at - a.at);
  auto mix = [f](int x, int y) { return static_cast<int>(std::lround(x + (y - x) * f)); };
  return QColor(mix(a.color.red(), b.color.red()), mix(a.color.green(), b.color.green()),
                mix(a.color.blue(), b.color.blue()));
}

}  // namespace

ColorScale::ColorScale(Kind kind, double low, double high) : kind_(kind), low_(low), high_(high) {}

ColorScale ColorScale::for_values(const std::vector<float>& values) {
  double low = INFINITY, high = -INFINITY;
  for (float v : values) {
    if (!std::isfinite(v)) continue;
    low = std::min(low, static_cast<double>(v));
    high = std::max(high, static_cast<double>(v));
  }
  if (low > high) return ColorScale(Kind::sequential, 0, 1);  // nothing finite
  if (low < 0 && high > 0) {
    const double limit = std::max(-low, high);
    return ColorScale(Kind::diverging, -limit, limit);
  }
  return ColorScale(Kind::sequential, low, high);
}

ColorScale ColorScale::diverging_for(const std::vector<float>& values) {
  double limit = 0;
  for (float v : values)
    if (std::isfinite(v)) limit = std::max(limit, std::abs(static_cast<double>(v)));
  // Identical runs give limit 0: the bar then reads 0, not -0.
  return ColorScale(Kind::diverging, limit > 0 ? -limit : 0.0, limit);
}

QColor ColorScale::color(double value) const {
  if (std::isnan(value)) return nan_color();
  // A constant field sits in the middle of the map.
  const double t = high_ > low_ ? (value - low_) / (high_ - low_) : 0.5;
  return kind_ == Kind::diverging ? interpolate(kDiverging, t) : interpolate(kSequential, t);
}

QColor ColorScale::nan_color() { return QColor(0xa8, 0xa8, 0xa8); }

}  // namespace glassbox::views
