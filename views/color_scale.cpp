#include "views/color_scale.h"

#include <QStringList>
#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>

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

bool ScaleOptions::is_default() const {
  return mapping == Mapping::linear && clip_percentile >= 100 && !per_row && excluded_rows.empty() &&
         excluded_columns.empty();
}

namespace {

const char* const kMappingNames[] = {"linear", "log", "symlog"};

QString join(const std::set<int>& indices) {
  QStringList parts;
  for (int i : indices) parts << QString::number(i);
  return parts.join(',');
}

std::set<int> split(const QString& text) {
  std::set<int> indices;
  for (const QString& part : text.split(',', Qt::SkipEmptyParts)) {
    bool number = false;
    const int i = part.toInt(&number);
    if (number && i >= 0) indices.insert(i);
  }
  return indices;
}

}  // namespace

QString ScaleOptions::to_text() const {
  return QStringLiteral("mapping=%1;clip=%2;per_row=%3;rows=%4;columns=%5")
      .arg(kMappingNames[static_cast<int>(mapping)])
      .arg(clip_percentile)
      .arg(per_row ? 1 : 0)
      .arg(join(excluded_rows), join(excluded_columns));
}

ScaleOptions ScaleOptions::from_text(const QString& text) {
  ScaleOptions o;
  for (const QString& field : text.split(';', Qt::SkipEmptyParts)) {
    const QString key = field.section('=', 0, 0), value = field.section('=', 1);
    if (key == "mapping") {
      for (int m = 0; m < 3; ++m)
        if (value == kMappingNames[m]) o.mapping = static_cast<Mapping>(m);
    } else if (key == "clip") {
      bool number = false;
      const double p = value.toDouble(&number);
      if (number && p >= 50 && p <= 100) o.clip_percentile = p;
    } else if (key == "per_row") {
      o.per_row = value == "1";
    } else if (key == "rows") {
      o.excluded_rows = split(value);
    } else if (key == "columns") {
      o.excluded_columns = split(value);
    }
  }
  return o;
}

ColorScale::ColorScale(Kind kind, double low, double high, Mapping mapping)
    : kind_(kind), low_(low), high_(high), mapping_(mapping) {
  // A log scale needs a positive range; a sequential one over values near zero starts at a thousandth of the top.
  if (mapping_ == Mapping::log && kind_ == Kind::diverging) mapping_ = Mapping::symlog;
  if (mapping_ == Mapping::log) {
    if (!(high_ > 0)) mapping_ = Mapping::linear;
    else low_ = std::max(low_, high_ * 1e-3);
  }
  if (mapping_ == Mapping::symlog) linear_width_ = std::max({std::abs(low_), std::abs(high_), 1e-30}) * 1e-3;
}

ColorScale ColorScale::for_values(const std::vector<float>& values) {
  return fit(values, 100, Mapping::linear);
}

ColorScale ColorScale::diverging_for(const std::vector<float>& values) {
  return fit(values, 100, Mapping::linear, true);
}

ColorScale ColorScale::fit(const std::vector<float>& values, double clip_percentile, Mapping mapping, bool diverging) {
  // One pass gives the finite range; only clipping needs a copy to select quantiles from
  // (a long prompt's attention overview holds hundreds of millions of values).
  float lowest = std::numeric_limits<float>::infinity(), highest = -lowest;
  for (float v : values) {
    if (!std::isfinite(v)) continue;
    lowest = std::min(lowest, v);
    highest = std::max(highest, v);
  }
  if (lowest > highest) return diverging ? ColorScale(Kind::diverging, 0, 0, mapping) : ColorScale(Kind::sequential, 0, 1, mapping);
  const bool symmetric = diverging || (lowest < 0 && highest > 0);
  const double keep = std::clamp(clip_percentile, 50.0, 100.0) / 100;
  if (keep >= 1) {
    if (!symmetric) return ColorScale(Kind::sequential, lowest, highest, mapping);
    const double limit = std::max(std::abs(lowest), std::abs(highest));
    return ColorScale(Kind::diverging, limit > 0 ? -limit : 0.0, limit, mapping);
  }
  std::vector<float> kept;
  kept.reserve(values.size());
  for (float v : values)
    if (std::isfinite(v)) kept.push_back(symmetric ? std::abs(v) : v);
  // The value below which a fraction q of the values lie.
  auto quantile = [&kept](double q) {
    const size_t k = std::min(kept.size() - 1, static_cast<size_t>(std::llround(q * double(kept.size() - 1))));
    std::nth_element(kept.begin(), kept.begin() + static_cast<std::ptrdiff_t>(k), kept.end());
    return static_cast<double>(kept[k]);
  };
  if (symmetric) {
    const double limit = quantile(keep);
    return ColorScale(Kind::diverging, limit > 0 ? -limit : 0.0, limit, mapping);
  }
  const double high = quantile(keep), low = quantile(1 - keep);
  return ColorScale(Kind::sequential, low, high, mapping);
}

double ColorScale::mapped(double v) const {
  switch (mapping_) {
    case Mapping::log: return std::log10(std::max(v, low_));
    case Mapping::symlog: return std::copysign(std::log1p(std::abs(v) / linear_width_), v);
    case Mapping::linear: break;
  }
  return v;
}

double ColorScale::unmapped(double m) const {
  switch (mapping_) {
    case Mapping::log: return std::pow(10.0, m);
    case Mapping::symlog: return std::copysign(std::expm1(std::abs(m)) * linear_width_, m);
    case Mapping::linear: break;
  }
  return m;
}

double ColorScale::position(double value) const {
  const double lo = mapped(low_), hi = mapped(high_);
  // A constant field sits in the middle of the map.
  if (!(hi > lo)) return 0.5;
  return std::clamp((mapped(std::clamp(value, low_, high_)) - lo) / (hi - lo), 0.0, 1.0);
}

double ColorScale::value_at(double position) const {
  const double lo = mapped(low_), hi = mapped(high_);
  return unmapped(lo + std::clamp(position, 0.0, 1.0) * (hi - lo));
}

QColor ColorScale::color(double value) const {
  if (std::isnan(value)) return nan_color();
  const double t = position(value);
  return kind_ == Kind::diverging ? interpolate(kDiverging, t) : interpolate(kSequential, t);
}

QColor ColorScale::nan_color() { return QColor(0xa8, 0xa8, 0xa8); }

}  // namespace glassbox::views
