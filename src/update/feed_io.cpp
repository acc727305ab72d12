#include "update/feed_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "net/http_client.h"

namespace quorum::update {

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

// Runs `task` on a private io_context to its end.
template <class T>
T run_blocking(asio::awaitable<T> task) {
  asio::io_context ctx;
  auto future = asio::co_spawn(ctx, std::move(task), asio::use_future);
  ctx.run();
  return future.get();
}

std::string directory_of(const std::string& path) {
  auto dir = fs::path(path).parent_path();
  return dir.empty() ? std::string(".") : dir.string();
}

std::string sync_directory(const std::string& path) {
  int fd = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_text("open " + directory_of(path));
  const int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? "" : errno_text("fsync " + directory_of(path));
}

// Writes all of `data` to `fd`.
std::string write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return errno_text("write");
    data.remove_prefix(static_cast<size_t>(n));
  }
  return "";
}

}  // namespace

FeedIo::FeedIo(std::string feed_url, std::chrono::milliseconds timeout)
    : feed_url_(std::move(feed_url)), timeout_(timeout) {
  if (!feed_url_.empty() && feed_url_.back() != '/') feed_url_ += '/';
}

std::string FeedIo::url_of(const std::string& name) const {
  return feed_url_ + name;
}

std::string FeedIo::fetch(const std::string& name, std::size_t limit, std::string& body) {
  net::ClientOptions options;
  options.connect_timeout = options.head_timeout = options.read_idle_timeout = timeout_;
  auto task = [](std::string url, net::ClientOptions options, std::size_t limit,
                 std::string& body) -> asio::awaitable<std::string> {
    auto response = co_await net::http_request("GET", url, {}, "", options);
    if (!response) co_return response.error().message;
    if ((*response)->status() != 200) co_return url + " answered " + std::to_string((*response)->status());
    auto all = co_await (*response)->read_all(limit);
    if (!all) co_return all.error().message;
    body = std::move(all.value());
    co_return std::string();
  };
  return run_blocking(task(url_of(name), options, limit, body));
}

std::string FeedIo::download(const std::string& name, std::uint64_t offset, const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return errno_text("open " + path);
  net::ClientOptions options;
  options.connect_timeout = options.head_timeout = options.read_idle_timeout = timeout_;
  net::Headers headers;
  if (offset > 0) headers.add("Range", "bytes=" + std::to_string(offset) + "-");
  auto task = [](std::string url, net::Headers headers, net::ClientOptions options, std::uint64_t offset,
                 int fd) -> asio::awaitable<std::string> {
    auto response = co_await net::http_request("GET", url, std::move(headers), "", options);
    if (!response) co_return response.error().message;
    const int status = (*response)->status();
    // A server that ignores Range sends the whole file: start again from byte 0.
    if (offset > 0 && status == 200) {
      if (::ftruncate(fd, 0) != 0) co_return errno_text("truncate");
    } else if (status != (offset > 0 ? 206 : 200)) {
      co_return url + " answered " + std::to_string(status);
    }
    while (true) {
      auto piece = co_await (*response)->read_some();
      if (!piece) co_return piece.error().message;
      if (piece->empty()) co_return std::string();
      if (auto e = write_all(fd, *piece); !e.empty()) co_return e;
    }
  };
  std::string error = run_blocking(task(url_of(name), std::move(headers), options, offset, fd));
  if (::fsync(fd) != 0 && error.empty()) error = errno_text("fsync " + path);
  ::close(fd);
  return error;
}

std::optional<std::uint64_t> FeedIo::size_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return static_cast<std::uint64_t>(st.st_size);
}

std::string FeedIo::sha256_of(const std::string& path, std::string& hex) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_text("open " + path);
  Sha256 sha;
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return errno_text("read " + path);
    }
    if (n == 0) break;
    sha.add(std::string_view(buf, static_cast<size_t>(n)));
  }
  ::close(fd);
  hex = sha.hex();
  return "";
}

void FeedIo::remove(const std::string& path) {
  ::unlink(path.c_str());
}

std::string FeedIo::install(const std::string& from, const std::string& target, const std::string& previous) {
  // previous: a hard link to the installed file (beside it, then renamed: an older previous is replaced
  // whole).
  const std::string linking = previous + ".linking";
  ::unlink(linking.c_str());
  if (::link(target.c_str(), linking.c_str()) != 0) return errno_text("link " + target);
  if (::rename(linking.c_str(), previous.c_str()) != 0) {
    auto e = errno_text("rename to " + previous);
    ::unlink(linking.c_str());
    return e;
  }
  if (::chmod(from.c_str(), 0755) != 0) return errno_text("chmod " + from);
  if (::rename(from.c_str(), target.c_str()) != 0) return errno_text("rename over " + target);
  return sync_directory(target);
}

std::string restore_previous(const std::string& previous, const std::string& target) {
  if (::rename(previous.c_str(), target.c_str()) != 0) return errno_text("rename " + previous);
  return sync_directory(target);
}

std::string running_executable() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.string();
}

}  // namespace quorum::update
