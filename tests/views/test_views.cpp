// Views rendered offscreen: colours follow values, NaN cells stand out, and
// every export (HDF5, PNG, SVG) writes what a user can read back.
#include <gtest/gtest.h>

#include <QApplication>
#include <QCategoryAxis>
#include <QChart>
#include <QFile>
#include <QImage>
#include <QMouseEvent>
#include <QTableView>
#include <QWheelEvent>
#include <QItemSelectionModel>
#include <QKeyEvent>
#include <cmath>
#include <map>
#include <set>

#include "core/error.h"
#include "core/h5.h"
#include "test_util.h"
#include "views/chart_view.h"
#include "views/heatmap_view.h"
#include "views/plot_view.h"
#include "views/table_view.h"

namespace glassbox::views {
namespace {

// One QApplication for the whole suite, on the offscreen platform so the
// tests run without a display.
class QtEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    qputenv("QT_QPA_PLATFORM", "offscreen");
    app_ = std::make_unique<QApplication>(argc_, argv_);
  }
  void TearDown() override { app_.reset(); }

 private:
  int argc_ = 1;
  char name_[16] = "test_views";
  char* argv_[2] = {name_, nullptr};
  std::unique_ptr<QApplication> app_;
};
const auto* const qt_environment = ::testing::AddGlobalTestEnvironment(new QtEnvironment);

Plot heatmap(std::vector<float> data, int64_t rows, int64_t columns) {
  Plot p;
  p.name = "pattern";
  p.kind = "heatmap";
  p.title = "Attention L0H1";
  p.x_label = "key";
  p.y_label = "query";
  p.value_label = "attention";
  p.shape = {rows, columns};
  p.data = std::move(data);
  for (int64_t c = 0; c < columns; ++c) {  // a token axis: raw strings and their positions
    p.x.labels.push_back(" tok");
    p.x.positions.push_back(c);
  }
  for (int64_t r = 0; r < rows; ++r) p.y.labels.push_back("L" + std::to_string(r) + "H0");
  return p;
}

Plot line_plot() {
  Plot p;
  p.name = "curve";
  p.kind = "line";
  p.title = "Accuracy";
  p.x_label = "neurons pruned";
  p.y_label = "accuracy";
  p.shape = {2, 4};
  p.data = {1.0f, 0.9f, NAN, 0.5f, 0.2f, 0.4f, 0.6f, 0.8f};
  p.x.values = {0, 10, 20, 30};
  p.series = {"train", "test"};
  return p;
}

Plot bar_plot() {
  Plot p;
  p.name = "heads";
  p.kind = "bar";
  p.title = "Induction score";
  p.shape = {3};
  p.data = {0.1f, -0.2f, 0.7f};
  p.x.labels = {"L0H0", "L0H1", "L1H0"};
  return p;
}

Plot histogram_plot() {
  Plot p;
  p.name = "ipr";
  p.kind = "histogram";
  p.title = "IPR";
  p.x_label = "IPR";
  p.shape = {4};
  p.data = {3, 7, 2, 0};
  p.x.values = {0.0, 0.25, 0.5, 0.75};
  return p;
}

Plot table_plot() {
  Plot p;
  p.name = "top_k";
  p.kind = "table";
  p.title = "Next token";
  p.shape = {3, 2};
  p.data = {0.5f, 3.0f, 0.3f, 2.5f, 0.2f, NAN};
  p.y.labels = {"\xE2\x90\xA3Paris", "\xE2\x90\xA3London", "\xE2\x90\xA3Rome"};
  p.x.labels = {"probability", "logit"};
  return p;
}

QImage render(QWidget& widget) {
  widget.resize(520, 380);
  return widget.grab().toImage();
}

QColor centre_pixel(const QImage& image, const QRect& cell) { return image.pixelColor(cell.center()); }

TEST(ColorScale, DivergingWhenBothSignsSymmetricAroundZero) {
  const ColorScale s = ColorScale::for_values({-1.0f, 3.0f, NAN});
  EXPECT_EQ(s.kind(), ColorScale::Kind::diverging);
  EXPECT_DOUBLE_EQ(s.low(), -3.0);
  EXPECT_DOUBLE_EQ(s.high(), 3.0);
  EXPECT_GT(s.color(3).red(), s.color(3).blue());    // positive: red
  EXPECT_GT(s.color(-3).blue(), s.color(-3).red());  // negative: blue
}

TEST(ColorScale, SequentialWhenOneSignIgnoringNonFinite) {
  const ColorScale s = ColorScale::for_values({0.0f, 0.25f, 1.0f, INFINITY, -INFINITY, NAN});
  EXPECT_EQ(s.kind(), ColorScale::Kind::sequential);
  EXPECT_DOUBLE_EQ(s.low(), 0.0);
  EXPECT_DOUBLE_EQ(s.high(), 1.0);
  EXPECT_GT(s.color(1).lightness(), s.color(0).lightness());
  EXPECT_EQ(s.color(INFINITY), s.color(1));
  EXPECT_EQ(s.color(NAN), ColorScale::nan_color());
}

TEST(HeatmapView, PixelsFollowDivergingValues) {
  // Row-major 3x4: max at (0,0), min at (2,3), zero at (1,0).
  HeatmapView view(heatmap({5, 1, 2, 3, 0, 1, 1, 1, -1, -2, -3, -5}, 3, 4));
  const QImage image = render(view);
  const QColor max_colour = centre_pixel(image, view.cell_rect(0, 0));
  const QColor min_colour = centre_pixel(image, view.cell_rect(2, 3));
  const QColor zero_colour = centre_pixel(image, view.cell_rect(1, 0));
  EXPECT_EQ(max_colour, view.color_scale().color(5));
  EXPECT_EQ(min_colour, view.color_scale().color(-5));
  EXPECT_GT(max_colour.red(), max_colour.blue() + 100);
  EXPECT_GT(min_colour.blue(), min_colour.red() + 100);
  EXPECT_GT(zero_colour.lightness(), 230);  // zero is near white
}

TEST(HeatmapView, PixelsFollowSequentialValuesAndNaNStandsOut) {
  HeatmapView view(heatmap({0.0f, 0.5f, NAN, 1.0f}, 2, 2));
  const QImage image = render(view);
  EXPECT_EQ(view.color_scale().kind(), ColorScale::Kind::sequential);
  EXPECT_GT(centre_pixel(image, view.cell_rect(1, 1)).lightness(),
            centre_pixel(image, view.cell_rect(0, 0)).lightness() + 80);
  // The NaN cell is mostly the NaN grey (with a darker hatch), unlike any value colour.
  const QRect nan_cell = view.cell_rect(1, 0);
  ASSERT_FALSE(nan_cell.isEmpty());
  int grey = 0;
  for (int y = nan_cell.top(); y <= nan_cell.bottom(); ++y)
    for (int x = nan_cell.left(); x <= nan_cell.right(); ++x) grey += image.pixelColor(x, y) == ColorScale::nan_color();
  EXPECT_GT(grey, nan_cell.width() * nan_cell.height() / 2);
  for (float v : {0.0f, 0.5f, 1.0f}) EXPECT_NE(view.color_scale().color(v), ColorScale::nan_color());
}

TEST(HeatmapView, ManyCellsDrawnAsImageKeepTheirColours) {
  // 300x300 cells exceed the vector limit; the image path must agree.
  std::vector<float> data(300 * 300, 0.0f);
  data.back() = 1.0f;
  HeatmapView view(heatmap(data, 300, 300));
  view.resize(900, 900);
  const QImage image = view.grab().toImage();
  EXPECT_EQ(centre_pixel(image, view.cell_rect(299, 299)), view.color_scale().color(1.0));
  EXPECT_EQ(centre_pixel(image, view.cell_rect(0, 0)), view.color_scale().color(0.0));
}

TEST(HeatmapView, ReadOutNamesRowColumnAndValue) {
  HeatmapView view(heatmap({0.25f, 0.75f}, 1, 2));
  const QString text = view.describe_cell(0, 1);
  EXPECT_TRUE(text.contains("query L0H0")) << text.toStdString();
  EXPECT_TRUE(text.contains(QString::fromUtf8("key 1:\xE2\x90\xA3tok"))) << text.toStdString();
  EXPECT_TRUE(text.contains("attention = 0.75")) << text.toStdString();
}

TEST(HeatmapView, HoverReportsTheCellAndClickNamesIt) {
  HeatmapView view(heatmap({0.25f, 0.75f, 0.5f, 1.0f}, 2, 2));
  view.resize(400, 300);
  QString read_out;
  int clicked_row = -1, clicked_column = -1;
  QObject::connect(&view, &PlotView::hovered, [&](const QString& text) { read_out = text; });
  QObject::connect(&view, &HeatmapView::cell_clicked, [&](int r, int c) {
    clicked_row = r;
    clicked_column = c;
  });
  const QPointF at = view.cell_rect(1, 0).center();
  QMouseEvent move(QEvent::MouseMove, at, view.mapToGlobal(at), Qt::NoButton, Qt::NoButton, Qt::NoModifier);
  QApplication::sendEvent(&view, &move);
  EXPECT_EQ(read_out, view.describe_cell(1, 0));
  QMouseEvent press(QEvent::MouseButtonPress, at, view.mapToGlobal(at), Qt::LeftButton, Qt::LeftButton,
                    Qt::NoModifier);
  QMouseEvent release(QEvent::MouseButtonRelease, at, view.mapToGlobal(at), Qt::LeftButton, Qt::NoButton,
                      Qt::NoModifier);
  QApplication::sendEvent(&view, &press);
  QApplication::sendEvent(&view, &release);
  EXPECT_EQ(clicked_row, 1);
  EXPECT_EQ(clicked_column, 0);
}

TEST(HeatmapView, WheelZoomsInAndZoomToFitRestores) {
  std::vector<float> data(20 * 20);
  for (size_t i = 0; i < data.size(); ++i) data[i] = float(i);
  HeatmapView view(heatmap(data, 20, 20));
  view.resize(600, 600);
  const QPointF at = view.cell_rect(0, 0).center();
  QWheelEvent wheel(at, view.mapToGlobal(at), QPoint(), QPoint(0, 120 * 3), Qt::NoButton, Qt::NoModifier,
                    Qt::NoScrollPhase, false);
  QApplication::sendEvent(&view, &wheel);
  EXPECT_FALSE(view.cell_rect(0, 0).isEmpty());  // the cell under the mouse stays
  EXPECT_TRUE(view.cell_rect(19, 19).isEmpty());  // the far corner left the window
  EXPECT_GT(view.cell_rect(0, 0).width(), 2 * 20);
  view.zoom_to_fit();
  EXPECT_FALSE(view.cell_rect(19, 19).isEmpty());
}

TEST(PlotViews, FactoryPicksTheViewForEachKind) {
  EXPECT_NE(dynamic_cast<HeatmapView*>(std::unique_ptr<PlotView>(make_plot_view(heatmap({1}, 1, 1))).get()), nullptr);
  EXPECT_NE(dynamic_cast<LineChartView*>(std::unique_ptr<PlotView>(make_plot_view(line_plot())).get()), nullptr);
  EXPECT_NE(dynamic_cast<LineChartView*>(std::unique_ptr<PlotView>(make_plot_view(histogram_plot())).get()), nullptr);
  EXPECT_NE(dynamic_cast<BarChartView*>(std::unique_ptr<PlotView>(make_plot_view(bar_plot())).get()), nullptr);
  EXPECT_NE(dynamic_cast<TableView*>(std::unique_ptr<PlotView>(make_plot_view(table_plot())).get()), nullptr);
  Plot unknown = bar_plot();
  unknown.kind = "pie";
  EXPECT_THROW(make_plot_view(unknown), Error);
}

TEST(BarChartView, TokenLabelsAreEscapedForQtChartsHtml) {
  Plot p = bar_plot();
  p.x.labels = {"<s>", "a&b", "<s>"};
  BarChartView view(p);
  auto* axis = qobject_cast<QCategoryAxis*>(view.chart()->axes(Qt::Horizontal).front());
  ASSERT_NE(axis, nullptr);
  EXPECT_EQ(axis->categoriesLabels(), QStringList({"&lt;s&gt;", "a&amp;b", "&lt;s&gt; (2)"}));
  EXPECT_EQ(view.x_tick_labels(), QStringList({"<s>", "a&b", "<s> (2)"}));
}

TEST(TableView, ShowsLabelsAndValues) {
  TableView view(table_plot());
  const QAbstractItemModel* t = view.table()->model();
  ASSERT_EQ(t->rowCount(), 3);
  ASSERT_EQ(t->columnCount(), 2);
  EXPECT_EQ(t->headerData(0, Qt::Horizontal).toString(), "probability");
  EXPECT_EQ(t->headerData(1, Qt::Vertical).toString(), QString::fromUtf8("\xE2\x90\xA3London"));
  EXPECT_EQ(t->index(0, 1).data().toString(), "3");
  EXPECT_EQ(t->index(2, 1).data().toString(), "NaN");
}

void expect_same(const Plot& a, const Plot& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.title, b.title);
  EXPECT_EQ(a.x_label, b.x_label);
  EXPECT_EQ(a.y_label, b.y_label);
  EXPECT_EQ(a.value_label, b.value_label);
  EXPECT_EQ(a.shape, b.shape);
  ASSERT_EQ(a.data.size(), b.data.size());
  for (size_t i = 0; i < a.data.size(); ++i) {
    if (std::isnan(a.data[i]))
      EXPECT_TRUE(std::isnan(b.data[i])) << a.name << " " << i;
    else
      EXPECT_EQ(a.data[i], b.data[i]) << a.name << " " << i;
  }
  EXPECT_EQ(a.x.labels, b.x.labels);
  EXPECT_EQ(a.x.positions, b.x.positions);
  EXPECT_EQ(a.x.values, b.x.values);
  EXPECT_EQ(a.y.labels, b.y.labels);
  EXPECT_EQ(a.y.positions, b.y.positions);
  EXPECT_EQ(a.y.values, b.y.values);
  EXPECT_EQ(a.series, b.series);
}

TEST(Export, Hdf5ReadsBackEqual) {
  test::TempDir dir;
  const std::string path = dir.file("plots.h5");
  // read_plots returns plots by name.
  std::map<std::string, Plot> plots;
  for (Plot p : {heatmap({1, NAN, -2, 4}, 2, 2), line_plot(), bar_plot(), histogram_plot(), table_plot()})
    plots[p.name] = p;
  std::vector<Plot> sorted;
  for (const auto& entry : plots) sorted.push_back(entry.second);
  const PlotMeta meta{"attention", R"({"layer":0})", "/models/toy", "a tok tok", {64, 5, 5}};
  export_hdf5(QString::fromStdString(path), sorted, meta);

  h5::Reader file(path);
  const std::vector<Plot> back = read_plots(file);
  ASSERT_EQ(back.size(), sorted.size());
  for (size_t i = 0; i < back.size(); ++i) expect_same(sorted[i], back[i]);
  const PlotMeta meta_back = read_plot_meta(file);
  EXPECT_EQ(meta_back.probe, meta.probe);
  EXPECT_EQ(meta_back.params_json, meta.params_json);
  EXPECT_EQ(meta_back.model, meta.model);
  EXPECT_EQ(meta_back.prompt, meta.prompt);
  EXPECT_EQ(meta_back.tokens, meta.tokens);
}

TEST(Export, Hdf5ToAnUnwritablePathThrows) {
  EXPECT_THROW(export_hdf5("/nonexistent-dir/x.h5", {bar_plot()}, {}), Error);
}

TEST(Export, PngAndSvgForEveryKind) {
  test::TempDir dir;
  for (const Plot& plot : {heatmap({1, NAN, -2, 4}, 2, 2), line_plot(), bar_plot(), histogram_plot(), table_plot()}) {
    std::unique_ptr<PlotView> view(make_plot_view(plot));
    view->resize(480, 360);
    const QString png = QString::fromStdString(dir.file(plot.name + ".png"));
    const QString svg = QString::fromStdString(dir.file(plot.name + ".svg"));
    const QString pdf = QString::fromStdString(dir.file(plot.name + ".pdf"));
    export_png(*view, png);  // at twice the size shown, by default
    export_svg(*view, svg, QString::fromStdString(plot.title));
    export_pdf(*view, pdf, QString::fromStdString(plot.title));
    QImage image(png);
    EXPECT_EQ(image.size(), QSize(960, 720)) << plot.name;
    export_png(*view, png, 1);
    EXPECT_EQ(QImage(png).size(), QSize(480, 360)) << plot.name;
    QFile pdf_file(pdf);
    ASSERT_TRUE(pdf_file.open(QIODevice::ReadOnly)) << plot.name;
    EXPECT_TRUE(pdf_file.read(5) == "%PDF-") << plot.name;
    QFile svg_file(svg);
    ASSERT_TRUE(svg_file.open(QIODevice::ReadOnly)) << plot.name;
    const QByteArray content = svg_file.readAll();
    EXPECT_TRUE(content.contains("<svg")) << plot.name;
    EXPECT_GT(content.size(), 500) << plot.name;
  }
}

TEST(Export, PngToAnUnwritablePathThrows) {
  HeatmapView view(heatmap({1}, 1, 1));
  view.resize(100, 100);
  EXPECT_THROW(export_png(view, "/nonexistent-dir/x.png"), Error);
  EXPECT_THROW(export_svg(view, "/nonexistent-dir/x.svg", "t"), Error);
  EXPECT_THROW(export_pdf(view, "/nonexistent-dir/x.pdf", "t"), Error);
}

TEST(ColorScale, PercentileClipLeavesOutliersAtTheEndColour) {
  std::vector<float> values;
  for (int i = 0; i < 100; ++i) values.push_back(float(i) / 100);
  values.push_back(1000);  // an attention sink
  const ColorScale full = ColorScale::fit(values, 100, ColorScale::Mapping::linear);
  const ColorScale clipped = ColorScale::fit(values, 99, ColorScale::Mapping::linear);
  EXPECT_DOUBLE_EQ(full.high(), 1000);
  EXPECT_LT(clipped.high(), 1.0);
  EXPECT_GT(clipped.position(0.5), 0.45);  // the bulk spans the map
  EXPECT_LT(full.position(0.5), 0.01);     // not squeezed into its first colour
  EXPECT_EQ(clipped.color(1000), clipped.color(clipped.high()));
}

TEST(ColorScale, LogAndSymmetricLogSpreadSmallValues) {
  const ColorScale log = ColorScale::fit({0.001f, 0.01f, 0.1f, 1.0f}, 100, ColorScale::Mapping::log);
  EXPECT_EQ(log.mapping(), ColorScale::Mapping::log);
  EXPECT_NEAR(log.position(0.01), 1.0 / 3, 1e-6);  // decades are equal steps
  EXPECT_NEAR(log.value_at(log.position(0.1)), 0.1, 1e-9);
  const ColorScale symlog = ColorScale::fit({-1.0f, -0.01f, 0.0f, 0.01f, 1.0f}, 100, ColorScale::Mapping::symlog);
  EXPECT_EQ(symlog.kind(), ColorScale::Kind::diverging);
  EXPECT_DOUBLE_EQ(symlog.position(0), 0.5);
  EXPECT_NEAR(symlog.position(0.01) - 0.5, 0.5 - symlog.position(-0.01), 1e-12);
  EXPECT_GT(symlog.position(0.01), 0.65);  // a hundredth of the range is already far from white
  // Log of values with both signs falls back to the symmetric log.
  EXPECT_EQ(ColorScale::fit({-1.0f, 2.0f}, 100, ColorScale::Mapping::log).mapping(), ColorScale::Mapping::symlog);
}

TEST(ColorScale, OptionsRoundTripAsText) {
  ScaleOptions o;
  o.mapping = ScaleOptions::Mapping::symlog;
  o.clip_percentile = 99.5;
  o.per_row = true;
  o.excluded_columns = {0, 7};
  const ScaleOptions back = ScaleOptions::from_text(o.to_text());
  EXPECT_EQ(back.mapping, o.mapping);
  EXPECT_EQ(back.clip_percentile, o.clip_percentile);
  EXPECT_EQ(back.per_row, true);
  EXPECT_EQ(back.excluded_columns, o.excluded_columns);
  EXPECT_TRUE(ScaleOptions::from_text("mapping=cubic;clip=-3;rows=x").is_default());
}

TEST(HeatmapView, AColumnLeftOutOfTheScaleNoLongerWashesOutTheRest) {
  // Column 0 is a sink holding 0.9 of every row; the rest differ in 0.01 .. 0.1.
  HeatmapView view(heatmap({0.9f, 0.01f, 0.09f, 0.9f, 0.1f, 0.0f}, 2, 3));
  const QColor before = view.cell_color(1, 1);
  ScaleOptions o;
  o.excluded_columns = {0};
  view.set_scale_options(o);
  EXPECT_DOUBLE_EQ(view.color_scale().high(), 0.1f);
  EXPECT_EQ(view.cell_color(1, 1), view.color_scale().color(0.1));
  EXPECT_NE(view.cell_color(1, 1), before);
  EXPECT_EQ(view.cell_color(0, 0), view.color_scale().color(0.1));  // beyond the range: the end colour
  // The options are part of the view state and come back with it.
  HeatmapView other(heatmap({0.9f, 0.01f, 0.09f, 0.9f, 0.1f, 0.0f}, 2, 3));
  other.restore_view_state(view.view_state());
  EXPECT_EQ(other.scale_options().excluded_columns, o.excluded_columns);
  EXPECT_EQ(other.cell_color(1, 1), view.cell_color(1, 1));
}

TEST(HeatmapView, NormalisedRowsEachSpanTheMap) {
  HeatmapView view(heatmap({1, 2, 3, 100, 200, 300}, 2, 3));
  EXPECT_NE(view.cell_color(0, 2), view.cell_color(1, 2));
  ScaleOptions o;
  o.per_row = true;
  view.set_scale_options(o);
  for (int c = 0; c < 3; ++c) EXPECT_EQ(view.cell_color(0, c), view.cell_color(1, c)) << c;
}

TEST(HeatmapView, KeyboardMovesSelectsClicksAndCopies) {
  HeatmapView view(heatmap({1, 2, 3, 4, 5, 6}, 2, 3));
  view.resize(520, 380);
  std::vector<std::pair<int, int>> clicked;
  QObject::connect(&view, &HeatmapView::cell_clicked, [&](int r, int c) { clicked.emplace_back(r, c); });
  QKeyEvent right(QEvent::KeyPress, Qt::Key_Right, Qt::NoModifier);
  QApplication::sendEvent(&view, &right);  // the first key press lands on (0, 0)
  QApplication::sendEvent(&view, &right);
  QKeyEvent down(QEvent::KeyPress, Qt::Key_Down, Qt::ShiftModifier);
  QApplication::sendEvent(&view, &down);
  EXPECT_EQ(std::make_pair(view.current_row(), view.current_column()), std::make_pair(1, 1));
  QKeyEvent enter(QEvent::KeyPress, Qt::Key_Return, Qt::NoModifier);
  QApplication::sendEvent(&view, &enter);
  ASSERT_EQ(clicked.size(), 1u);
  EXPECT_EQ(clicked[0], std::make_pair(1, 1));
  // The selection from (0, 1) to (1, 1): one column, two rows, with their labels.
  EXPECT_EQ(view.selection_tsv().toStdString(), "\t1:\xE2\x90\xA3tok\nL0H0\t2\nL1H0\t5\n");
}

TEST(HeatmapView, CellTextAndNotesAreShownAndRead) {
  Plot p = heatmap({0.9f, 0.2f}, 1, 2);
  p.cell_text = {"\xE2\x90\xA3Mary", "\xE2\x90\xA3John"};
  p.cell_notes = {"1. \xE2\x90\xA3Mary 0.900", "1. \xE2\x90\xA3John 0.200"};
  HeatmapView view(p);
  const QString read_out = view.describe_cell(0, 1);
  EXPECT_TRUE(read_out.contains(QString::fromUtf8("\xE2\x90\xA3John"))) << read_out.toStdString();
  EXPECT_TRUE(read_out.contains("0.200")) << read_out.toStdString();
  // The text is drawn: the cell is no longer one flat colour.
  const QImage image = render(view);
  const QRect cell = view.cell_rect(0, 0);
  std::set<QRgb> colours;
  for (int x = cell.left(); x <= cell.right(); ++x) colours.insert(image.pixel(x, cell.center().y()));
  EXPECT_GT(colours.size(), 2u);
}

TEST(ChartViews, ManyLabelsAreThinnedAndStayHorizontal) {
  // SmolLM2's 30 layers, or a 400-token prompt: never elided to "⋮".
  for (int n : {30, 400}) {
    Plot p = bar_plot();
    p.shape = {n};
    p.data.assign(size_t(n), 0.5f);
    p.x.labels.clear();
    for (int i = 0; i < n; ++i) p.x.labels.push_back("L" + std::to_string(i));
    std::unique_ptr<PlotView> view(make_plot_view(p));
    view->resize(640, 420);
    view->show();
    QApplication::processEvents();
    auto* chart = dynamic_cast<ChartPlotView*>(view.get());
    ASSERT_NE(chart, nullptr);
    const QStringList labels = chart->x_tick_labels();
    EXPECT_GE(labels.size(), 5) << n;
    EXPECT_LE(labels.size(), n) << n;
    EXPECT_TRUE(chart->x_tick_labels_fit()) << n;
    for (const QString& label : labels) EXPECT_FALSE(label.isEmpty() || label.contains(QChar(0x2026))) << n;
  }
}

TEST(PlotViews, CopyValuesGivesTabSeparatedLabelsAndNumbers) {
  EXPECT_EQ(plot_tsv(bar_plot(), 0, 1, 0, 3).toStdString(), "\tL0H0\tL0H1\tL1H0\n\t0.100000001\t-0.200000003\t0.699999988\n");
  TableView table(table_plot());
  table.table()->selectionModel()->select(table.table()->model()->index(1, 0), QItemSelectionModel::Select);
  EXPECT_EQ(table.values_tsv().toStdString(), "\tprobability\n\xE2\x90\xA3London\t0.3\n");
}

}  // namespace
}  // namespace glassbox::views
