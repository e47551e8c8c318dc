#pragma once
// Plots of two runs to compare, shared by the comparison tests and the
// compare-view tests.
#include <string>
#include <vector>

#include "core/plot.h"

namespace glassbox::test {

// Head scores as a [layer, head] heatmap.
inline Plot head_heatmap(std::vector<float> data) {
  Plot p;
  p.name = "induction";
  p.kind = "heatmap";
  p.title = "Induction score";
  p.x_label = "head";
  p.y_label = "layer";
  p.value_label = "score";
  p.shape = {2, 3};
  p.data = std::move(data);
  p.x.labels = {"H0", "H1", "H2"};
  p.y.labels = {"L0", "L1"};
  return p;
}

// An attention pattern over the prompt's tokens.
inline Plot attention(int64_t tokens) {
  Plot p;
  p.name = "pattern";
  p.kind = "heatmap";
  p.title = "Attention L0H1";
  p.x_label = "key token";
  p.y_label = "query token";
  p.shape = {tokens, tokens};
  p.data.assign(static_cast<size_t>(tokens * tokens), 0.5f);
  for (int64_t i = 0; i < tokens; ++i) {
    p.x.labels.push_back(" t" + std::to_string(i));
    p.x.positions.push_back(i);
  }
  p.y = p.x;
  return p;
}

// Two accuracy curves over neurons pruned, [series, x].
inline Plot curves(std::vector<float> data) {
  Plot p;
  p.name = "curve";
  p.kind = "line";
  p.title = "Accuracy";
  p.x_label = "neurons pruned";
  p.y_label = "accuracy";
  p.shape = {2, 3};
  p.data = std::move(data);
  p.x.values = {0, 10, 20};
  p.series = {"train", "test"};
  return p;
}

}  // namespace glassbox::test
