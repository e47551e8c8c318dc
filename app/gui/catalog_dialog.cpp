#include "app/gui/catalog_dialog.h"

#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace glassbox::gui {

namespace {

QString size_text(uint64_t bytes) {
  if (bytes >= (1ull << 30)) return QString::number(double(bytes) / (1ull << 30), 'f', 2) + " GiB";
  if (bytes >= (1ull << 20)) return QString::number(double(bytes) / (1ull << 20), 'f', 1) + " MiB";
  return QString::number(double(bytes) / 1024, 'f', 1) + " KiB";
}

}  // namespace

CatalogDialog::CatalogDialog(const QString& title, const QString& root, std::vector<CatalogEntry> entries,
                             QWidget* parent)
    : QDialog(parent), entries_(std::move(entries)), list_(new QTreeWidget(this)) {
  setWindowTitle(title);
  auto* where = new QLabel(entries_.empty() ? tr("No models found in %1").arg(root) : tr("Models in %1").arg(root), this);
  where->setTextFormat(Qt::PlainText);
  where->setWordWrap(true);
  list_->setColumnCount(5);
  list_->setHeaderLabels({tr("Model"), tr("Family"), tr("Size"), tr("Supported"), tr("Path")});
  list_->setRootIsDecorated(false);
  list_->setAlternatingRowColors(true);
  for (size_t i = 0; i < entries_.size(); ++i) {
    const CatalogEntry& e = entries_[i];
    QString name = QString::fromStdString(e.name);
    if (!e.revision.empty()) name += " @ " + QString::fromStdString(e.revision.substr(0, 8));
    auto* item = new QTreeWidgetItem(list_, {name, QString::fromStdString(e.family), size_text(e.size_bytes),
                                             e.supported ? tr("yes") : tr("no: %1").arg(QString::fromStdString(e.reason)),
                                             QString::fromStdString(e.path)});
    item->setData(0, Qt::UserRole, static_cast<qulonglong>(i));
    item->setToolTip(4, QString::fromStdString(e.path));
    if (!e.supported) {
      for (int c = 0; c < 5; ++c) item->setForeground(c, palette().brush(QPalette::Disabled, QPalette::Text));
    }
  }
  for (int c = 0; c < 4; ++c) list_->resizeColumnToContents(c);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Open | QDialogButtonBox::Cancel, this);
  open_ = buttons->button(QDialogButtonBox::Open);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(where);
  layout->addWidget(list_, 1);
  layout->addWidget(buttons);
  resize(900, 420);

  auto choose = [this] {
    QTreeWidgetItem* item = list_->currentItem();
    if (!item) return;
    const CatalogEntry& e = entries_[item->data(0, Qt::UserRole).toULongLong()];
    if (!e.supported) return;
    chosen_ = QString::fromStdString(e.path);
    accept();
  };
  connect(buttons, &QDialogButtonBox::accepted, this, choose);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  connect(list_, &QTreeWidget::itemDoubleClicked, this, choose);
  connect(list_, &QTreeWidget::currentItemChanged, this, &CatalogDialog::update_buttons);
  update_buttons();
}

void CatalogDialog::update_buttons() {
  QTreeWidgetItem* item = list_->currentItem();
  open_->setEnabled(item && entries_[item->data(0, Qt::UserRole).toULongLong()].supported);
}

}  // namespace glassbox::gui
