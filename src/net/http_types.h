// Small HTTP types shared by the server, the client and the code that uses them, so that Beast stays inside
// net/*.cpp.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace quorum::net {

namespace asio = boost::asio;
template <class T>
using Task = asio::awaitable<T>;

// Header names compare case-insensitively; order is kept. Names and values are kept in one string with an
// index beside it, so that a head of a dozen fields is two allocations, not one or two per field. A view
// that get() or items() gave stays valid until the next add() (and across a move of the Headers).
class Headers {
 public:
  using Item = std::pair<std::string_view, std::string_view>;

  void add(std::string_view name, std::string_view value);
  // Room for `count` headers of `bytes` (names and values together), so that adding as many does not grow
  // the storage step by step.
  void reserve(size_t count, size_t bytes = 0);
  // The first value of `name`, or empty.
  std::string_view get(std::string_view name) const;
  bool has(std::string_view name) const;
  size_t size() const { return slots_.size(); }
  bool empty() const { return slots_.empty(); }

 private:
  struct Slot {
    uint32_t name_at, name_size, value_at, value_size;
  };
  // The text's least capacity once used: past std::string's own small buffer.
  static constexpr size_t kLeastText = 2 * sizeof(std::string);

 public:
  // The headers in order, as (name, value) pairs of views.
  class Items {
   public:
    class iterator {
     public:
      using value_type = Item;
      using difference_type = std::ptrdiff_t;
      iterator() = default;
      iterator(const Headers* headers, size_t index) : headers_(headers), index_(index) {}
      Item operator*() const { return headers_->item(index_); }
      iterator& operator++() {
        ++index_;
        return *this;
      }
      iterator operator++(int) {
        iterator was = *this;
        ++index_;
        return was;
      }
      bool operator==(const iterator& other) const { return index_ == other.index_; }

     private:
      const Headers* headers_ = nullptr;
      size_t index_ = 0;
    };
    explicit Items(const Headers& headers) : headers_(&headers) {}
    iterator begin() const { return {headers_, 0}; }
    iterator end() const { return {headers_, headers_->size()}; }
    size_t size() const { return headers_->size(); }

   private:
    const Headers* headers_;
  };
  Items items() const { return Items(*this); }
  Item item(size_t index) const {
    const Slot& s = slots_[index];
    return {std::string_view(text_).substr(s.name_at, s.name_size),
            std::string_view(text_).substr(s.value_at, s.value_size)};
  }

 private:
  std::string text_;  // never in the string's own small buffer once used: a move keeps the views valid
  std::vector<Slot> slots_;
};

bool iequals(std::string_view a, std::string_view b);

}  // namespace quorum::net
