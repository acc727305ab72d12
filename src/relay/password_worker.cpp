#include "relay/password_worker.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

#include "relay/password_hash.h"

namespace quorum::relay::password {

namespace asio = boost::asio;

namespace {

asio::thread_pool& worker() {
  static asio::thread_pool pool(1);
  return pool;
}

// The work itself, as coroutines that take their arguments by value (co_spawn runs them on the worker; a
// coroutine lambda with captures crashed here: its captures were freed twice, g++ 12 with Asio 1.81).
asio::awaitable<bool> verify_task(std::string stored, std::string password) {
  co_return verify(stored, password);
}

asio::awaitable<void> verify_dummy_task(std::string password) {
  verify_dummy(password);
  co_return;
}

// co_spawn hands its result over from a default-constructed one: an optional, which the caller makes a
// Result.
asio::awaitable<std::optional<std::string>> hash_task(std::string password) {
  auto hashed = hash(password);
  if (!hashed) co_return std::nullopt;
  co_return std::move(*hashed);
}

}  // namespace

asio::awaitable<bool> verify_off_loop(std::string stored, std::string password) {
  co_return co_await asio::co_spawn(worker(), verify_task(std::move(stored), std::move(password)),
                                    asio::use_awaitable);
}

asio::awaitable<void> verify_dummy_off_loop(std::string password) {
  co_await asio::co_spawn(worker(), verify_dummy_task(std::move(password)), asio::use_awaitable);
}

asio::awaitable<Result<std::string>> hash_off_loop(std::string password) {
  if (auto ok = acceptable(password); !ok) co_return ok.take_error();
  std::optional<std::string> made =
      co_await asio::co_spawn(worker(), hash_task(std::move(password)), asio::use_awaitable);
  if (!made) co_return ApiError::server(500, "cannot hash the password (out of memory)", "server_error");
  co_return std::move(*made);
}

}  // namespace quorum::relay::password
