#include "app/gui/jobs.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QThread>
#include <QVBoxLayout>
#include <chrono>

#include "core/error.h"

namespace glassbox::gui {

namespace {
constexpr auto kProgressInterval = std::chrono::milliseconds(50);  // at most 20 GUI updates a second
}

JobRunner::JobRunner(QObject* parent) : QObject(parent) {}

JobRunner::~JobRunner() {
  queue_.clear();
  if (running_) running_->cancel->store(true);
  if (thread_) {
    thread_->wait();
    delete thread_;
  }
}

void JobRunner::submit(const QString& name, const QString& key, Work work, OnError on_error) {
  for (auto it = queue_.begin(); it != queue_.end();) it = (*it)->key == key ? queue_.erase(it) : it + 1;
  if (running_ && running_->key == key) running_->cancel->store(true);
  auto job = std::make_shared<Job>();
  job->name = name;
  job->key = key;
  job->work = std::move(work);
  job->on_error = std::move(on_error);
  queue_.push_back(std::move(job));
  start_next();
}

void JobRunner::cancel_running() {
  if (running_) running_->cancel->store(true);
}

void JobRunner::cancel_all() {
  queue_.clear();
  cancel_running();
}

void JobRunner::start_next() {
  if (running_) return;
  if (queue_.empty()) {
    emit idle();
    return;
  }
  running_ = queue_.front();
  queue_.pop_front();
  std::shared_ptr<Job> job = running_;
  emit started(job->name);
  emit log(tr("started: %1").arg(job->name));

  job->elapsed.start();
  thread_ = QThread::create([this, job] {
    Progress progress;
    auto last_report = std::make_shared<std::chrono::steady_clock::time_point>();
    progress.report = [this, job, last_report](double fraction, const std::string& message) {
      const auto now = std::chrono::steady_clock::now();
      if (now - *last_report < kProgressInterval && fraction < 1.0) return;
      *last_report = now;
      const QString text = QString::fromStdString(message);
      QMetaObject::invokeMethod(
          this, [this, job, fraction, text] { if (running_ == job) emit progressed(fraction, text); },
          Qt::QueuedConnection);
    };
    progress.cancelled = [job] { return job->cancel->load(); };

    std::function<void()> apply;
    bool cancelled = false;
    QString error;
    try {
      apply = job->work(progress);
    } catch (const Cancelled&) {
      cancelled = true;
    } catch (const std::exception& e) {
      error = QString::fromStdString(e.what());
    } catch (...) {
      error = tr("unexpected error (not a std::exception)");  // never let it end the program
    }
    QMetaObject::invokeMethod(
        this, [this, job, apply, cancelled, error] { complete(job, apply, cancelled, error); }, Qt::QueuedConnection);
  });
  thread_->start();
}

void JobRunner::complete(const std::shared_ptr<Job>& job, std::function<void()> apply, bool cancelled,
                         const QString& error) {
  thread_->wait();  // the worker is past its last statement
  delete thread_;
  thread_ = nullptr;
  running_ = nullptr;
  const QString seconds = QString::number(job->elapsed.elapsed() / 1000.0, 'f', 2);
  if (cancelled || job->cancel->load()) {
    emit log(tr("cancelled: %1").arg(job->name));
    emit finished(job->name, false, tr("cancelled"));
    if (job->on_error) job->on_error(tr("cancelled"), true);
  } else if (!error.isEmpty()) {
    emit log(tr("failed: %1: %2").arg(job->name, error));
    emit finished(job->name, false, error);
    if (job->on_error) job->on_error(error, false);
  } else {
    if (apply) apply();
    emit log(tr("done: %1 (%2 s)").arg(job->name, seconds));
    emit finished(job->name, true, QString());
  }
  start_next();
}

JobsPanel::JobsPanel(JobRunner& runner, QWidget* parent)
    : QWidget(parent),
      status_(new QLabel(tr("idle"), this)),
      progress_(new QProgressBar(this)),
      cancel_(new QPushButton(tr("Cancel"), this)),
      log_(new QPlainTextEdit(this)) {
  status_->setTextFormat(Qt::PlainText);
  status_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);  // long errors must not squeeze the bar
  progress_->setRange(0, 1000);
  progress_->setValue(0);
  progress_->setTextVisible(false);
  cancel_->setEnabled(false);
  log_->setReadOnly(true);
  log_->setMaximumBlockCount(2000);
  log_->setPlaceholderText(tr("Job log"));

  auto* row = new QHBoxLayout;
  row->addWidget(status_, 1);
  row->addWidget(progress_, 2);
  row->addWidget(cancel_);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addLayout(row);
  layout->addWidget(log_);

  connect(cancel_, &QPushButton::clicked, &runner, &JobRunner::cancel_running);
  connect(&runner, &JobRunner::started, this, [this](const QString& name) {
    status_->setText(name);
    progress_->setRange(0, 0);  // busy until the first report
    cancel_->setEnabled(true);
  });
  connect(&runner, &JobRunner::progressed, this, [this](double fraction, const QString& message) {
    progress_->setRange(0, 1000);
    progress_->setValue(static_cast<int>(fraction * 1000));
    if (!message.isEmpty()) status_->setText(message);
  });
  connect(&runner, &JobRunner::finished, this, [this](const QString& name, bool ok, const QString& message) {
    progress_->setRange(0, 1000);
    progress_->setValue(ok ? 1000 : 0);
    status_->setText(ok ? tr("%1: done").arg(name) : tr("%1: %2").arg(name, message));
    status_->setToolTip(status_->text());
    cancel_->setEnabled(false);
  });
  connect(&runner, &JobRunner::log, this, &JobsPanel::append_log);
}

void JobsPanel::append_log(const QString& line) {
  log_->appendPlainText(QDateTime::currentDateTime().toString("HH:mm:ss  ") + line);
}

}  // namespace glassbox::gui
