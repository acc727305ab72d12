// Small HTTP types shared by the server, the client and the code that uses them, so that Beast stays inside
// net/*.cpp.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace quorum::net {

namespace asio = boost::asio;
template <class T>
using Task = asio::awaitable<T>;

// Header names compare case-insensitively; order is kept.
class Headers {
 public:
  void add(std::string name, std::string value) { items_.emplace_back(std::move(name), std::move(value)); }
  // Room for `count` headers, so that adding as many does not grow the list step by step.
  void reserve(size_t count) { items_.reserve(count); }
  // The first value of `name`, or empty.
  std::string_view get(std::string_view name) const;
  bool has(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

bool iequals(std::string_view a, std::string_view b);

}  // namespace quorum::net
