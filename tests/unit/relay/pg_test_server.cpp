#include "pg_test_server.h"

#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

namespace quorum::relay::testing {

namespace fs = std::filesystem;

namespace {

// Runs `argv` (as `user` when set), waiting for it unless `background`; its pid (or -1), or its exit code.
pid_t spawn(const std::vector<std::string>& argv, const passwd* user, const std::string& log, bool background,
            int* status) {
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (user != nullptr) {
      if (::initgroups(user->pw_name, user->pw_gid) != 0 || ::setgid(user->pw_gid) != 0 ||
          ::setuid(user->pw_uid) != 0) {
        ::_exit(126);
      }
    }
    if (!log.empty()) {
      FILE* f = std::freopen(log.c_str(), "a", stdout);
      if (f != nullptr) ::dup2(::fileno(stdout), 2);
    }
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  if (!background && status != nullptr) ::waitpid(pid, status, 0);
  return pid;
}

class Server {
 public:
  ~Server() { stop(); }

  bool start(std::string* why) {
    const passwd* user = ::geteuid() == 0 ? ::getpwnam("postgres") : nullptr;
    if (::geteuid() == 0 && user == nullptr) {
      *why = "running as root and there is no `postgres` user to run PostgreSQL as";
      return false;
    }
    std::string pattern = (fs::temp_directory_path() / "quorum-pg-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      *why = "cannot make a temporary directory";
      return false;
    }
    dir_ = pattern;
    const std::string data = dir_ + "/data";
    if (user != nullptr && ::chown(dir_.c_str(), user->pw_uid, user->pw_gid) != 0) {
      *why = "cannot give " + dir_ + " to the postgres user";
      return false;
    }
    const std::string log = dir_ + "/log";
    int status = 0;
    spawn({std::string(kPgBin) + "/initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
           "--locale=C", "--no-sync"},
          user, log, false, &status);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      *why = "initdb failed (see " + log + ")";
      return false;
    }
    pid_ = spawn({std::string(kPgBin) + "/postgres", "-D", data, "-k", dir_, "-c", "listen_addresses=", "-c",
                  "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"},
                 user, log, true, nullptr);
    if (pid_ < 0) {
      *why = "cannot start postgres";
      return false;
    }
    const std::string admin = "postgresql:///postgres?host=" + dir_ + "&user=postgres";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (PQping(admin.c_str()) != PQPING_OK) {
      if (std::chrono::steady_clock::now() > deadline || ::waitpid(pid_, &status, WNOHANG) == pid_) {
        *why = "postgres did not start (see " + log + ")";
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling readiness, with a deadline
    }
    return true;
  }

  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGINT);  // fast shutdown
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
      dir_.clear();
    }
  }

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  pid_t pid_ = -1;
};

std::mutex g_mutex;
Server* g_server = nullptr;
std::string g_failure;
int g_databases = 0;

void stop_at_exit() {
  delete g_server;
  g_server = nullptr;
}

}  // namespace

bool postgres_installed() {
  return fs::exists(std::string(kPgBin) + "/postgres") && fs::exists(std::string(kPgBin) + "/initdb");
}

std::string fresh_database(std::string* why) {
  std::lock_guard lock(g_mutex);
  if (!g_failure.empty()) {
    *why = g_failure;
    return "";
  }
  if (g_server == nullptr) {
    if (!postgres_installed()) {
      *why = g_failure = std::string("PostgreSQL 15 is not installed (") + kPgBin +
                         "; scripts/install-deps.sh --test installs postgresql-15)";
      return "";
    }
    g_server = new Server();
    std::atexit(stop_at_exit);
    if (!g_server->start(why)) {
      g_failure = *why;
      return "";
    }
  }
  const std::string name = "t" + std::to_string(::getpid()) + "_" + std::to_string(++g_databases);
  const std::string admin = "postgresql:///postgres?host=" + g_server->dir() + "&user=postgres";
  PGconn* conn = PQconnectdb(admin.c_str());
  PGresult* res = PQexec(conn, ("CREATE DATABASE " + name).c_str());
  const bool made = PQresultStatus(res) == PGRES_COMMAND_OK;
  if (!made) *why = std::string("CREATE DATABASE failed: ") + PQerrorMessage(conn);
  PQclear(res);
  PQfinish(conn);
  if (!made) return "";
  return "postgresql:///" + name + "?host=" + g_server->dir() + "&user=postgres";
}

std::string test_server_socket_dir() {
  std::lock_guard lock(g_mutex);
  return g_server != nullptr ? g_server->dir() : "";
}

}  // namespace quorum::relay::testing
