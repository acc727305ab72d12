// Errors as values. An ApiError already knows how it will look on the wire (HTTP status, OpenAI `type`,
// `param`, `code`), so every layer can fail with one and the API layer shapes it in one place.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace quorum {

struct ApiError {
  int status = 500;                   // HTTP status the client sees before the first byte
  std::string type = "server_error";  // OpenAI error `type`
  std::string message;
  std::optional<std::string> param;  // the request field at fault, if any
  std::optional<std::string> code;   // machine-readable code, if any

  static ApiError invalid_request(std::string message, std::optional<std::string> param = std::nullopt,
                                  std::optional<std::string> code = std::nullopt) {
    return {400, "invalid_request_error", std::move(message), std::move(param), std::move(code)};
  }
  static ApiError not_found(std::string message, std::optional<std::string> param = std::nullopt,
                            std::optional<std::string> code = std::nullopt) {
    return {404, "invalid_request_error", std::move(message), std::move(param), std::move(code)};
  }
  static ApiError server(int status, std::string message, std::optional<std::string> code = std::nullopt) {
    return {status, "server_error", std::move(message), std::nullopt, std::move(code)};
  }
  // 499 (nginx's "client closed request"): what a request that its client left ends with; never sent.
  static ApiError client_closed() {
    return {499, "invalid_request_error", "The client closed the request.", std::nullopt, std::nullopt};
  }
};

// Result<T> holds either a T or an ApiError. Moves are cheap; access to the wrong side is a programming
// error.
template <class T>
class Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(ApiError error)
      : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const ApiError& error() const { return std::get<1>(v_); }
  ApiError&& take_error() { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, ApiError> v_;
};

// For operations that yield nothing but may fail.
struct Ok {};
using Status = Result<Ok>;

}  // namespace quorum
