#pragma once
// Maps plot values to colours: a diverging map centred on zero when the data
// has both signs (and always for differences), a sequential one otherwise.
// NaN has its own colour.
#include <QColor>
#include <vector>

namespace glassbox::views {

class ColorScale {
 public:
  enum class Kind { sequential, diverging };

  // Range and kind from the finite values (NaN and ±inf are ignored).
  static ColorScale for_values(const std::vector<float>& values);
  // Diverging and symmetric around zero whatever the signs: for differences,
  // where zero (unchanged) is white and equal changes up and down look alike.
  static ColorScale diverging_for(const std::vector<float>& values);
  ColorScale(Kind kind, double low, double high);

  Kind kind() const { return kind_; }
  double low() const { return low_; }
  double high() const { return high_; }
  // Values outside [low, high] (and ±inf) take the end colours.
  QColor color(double value) const;
  static QColor nan_color();

 private:
  Kind kind_;
  double low_, high_;
};

}  // namespace glassbox::views
