#pragma once
// Long work off the GUI thread, one job at a time, and the jobs panel that
// shows it (progress bar, cancel, log).
#include <QElapsedTimer>
#include <QObject>
#include <QWidget>
#include <atomic>
#include <deque>
#include <functional>
#include <memory>

#include "core/progress.h"

class QLabel;
class QThread;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;

namespace glassbox::gui {

class JobRunner : public QObject {
  Q_OBJECT

 public:
  // Runs on a worker thread; returns what to do with the result on the GUI thread.
  using Work = std::function<std::function<void()>(const Progress&)>;
  // On the GUI thread when the work threw (or was cancelled: `cancelled` is true).
  using OnError = std::function<void(const QString& message, bool cancelled)>;

  explicit JobRunner(QObject* parent = nullptr);
  ~JobRunner() override;

  // Queues a job. A queued job with the same key is replaced and a running one
  // cancelled: only the newest request for the same thing matters.
  void submit(const QString& name, const QString& key, Work work, OnError on_error = {});
  // Cancels the running job and drops the queue.
  void cancel_all();
  bool busy() const { return running_ != nullptr; }

 public slots:
  void cancel_running();

 signals:
  void started(const QString& name);
  void progressed(double fraction, const QString& message);
  void finished(const QString& name, bool ok, const QString& message);
  void log(const QString& line);
  void idle();  // nothing running and nothing queued

 private:
  struct Job {
    QString name, key;
    Work work;
    OnError on_error;
    std::shared_ptr<std::atomic<bool>> cancel = std::make_shared<std::atomic<bool>>(false);
    QElapsedTimer elapsed;
  };
  void start_next();
  void complete(const std::shared_ptr<Job>& job, std::function<void()> apply, bool cancelled, const QString& error);

  std::deque<std::shared_ptr<Job>> queue_;
  std::shared_ptr<Job> running_;
  QThread* thread_ = nullptr;
};

class JobsPanel : public QWidget {
  Q_OBJECT

 public:
  JobsPanel(JobRunner& runner, QWidget* parent = nullptr);
  void append_log(const QString& line);

 private:
  QLabel* status_;
  QProgressBar* progress_;
  QPushButton* cancel_;
  QPlainTextEdit* log_;
};

}  // namespace glassbox::gui
