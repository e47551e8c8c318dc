#pragma once
// Maps plot values to colours: a diverging map centred on zero when the data
// has both signs (and always for differences), a sequential one otherwise.
// The mapping from value to colour is linear, logarithmic or symmetric-log.
// NaN has its own colour.
#include <QColor>
#include <QString>
#include <set>
#include <vector>

namespace glassbox::views {

// How a heatmap fits its colour scale to its data; what the user chose in the
// view's "Colour scale" menu, saved with the view.
struct ScaleOptions {
  enum class Mapping { linear, log, symlog };
  Mapping mapping = Mapping::linear;
  // The range covers this percentile of the finite values (100: all of them);
  // the rest take the end colours.
  double clip_percentile = 100;
  bool per_row = false;  // each row fitted on its own
  // Rows and columns left out of the fit (a BOS column, an attention sink).
  std::set<int> excluded_rows, excluded_columns;

  bool is_default() const;
  QString to_text() const;  // "mapping=log;clip=99;rows=;columns=0"
  // Parses to_text(); what it cannot read keeps its default.
  static ScaleOptions from_text(const QString& text);
};

class ColorScale {
 public:
  enum class Kind { sequential, diverging };
  using Mapping = ScaleOptions::Mapping;

  // Range and kind from the finite values (NaN and ±inf are ignored).
  static ColorScale for_values(const std::vector<float>& values);
  // Range clipped to a percentile, with a mapping; `diverging` forces the map symmetric around zero.
  static ColorScale fit(const std::vector<float>& values, double clip_percentile, Mapping mapping, bool diverging = false);
  // Diverging and symmetric around zero whatever the signs: for differences,
  // where zero (unchanged) is white and equal changes up and down look alike.
  static ColorScale diverging_for(const std::vector<float>& values);
  ColorScale(Kind kind, double low, double high, Mapping mapping = Mapping::linear);

  Kind kind() const { return kind_; }
  Mapping mapping() const { return mapping_; }
  double low() const { return low_; }
  double high() const { return high_; }
  // Where a value sits on the scale, 0 (low) to 1 (high), after the mapping;
  // values outside [low, high] are clamped.
  double position(double value) const;
  // The value at a position (the inverse of position()): colour-bar ticks.
  double value_at(double position) const;
  // Values outside [low, high] (and ±inf) take the end colours.
  QColor color(double value) const;
  static QColor nan_color();

 private:
  double mapped(double value) const;
  double unmapped(double value) const;

  Kind kind_;
  double low_, high_;
  Mapping mapping_;
  double linear_width_ = 1;  // symlog: |values| below this are mapped linearly
};

}  // namespace glassbox::views
