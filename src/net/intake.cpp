#include "net/intake.h"

#include <boost/asio/ip/address_v6.hpp>

namespace quorum::net {

namespace ip = boost::asio::ip;

namespace {

// The IPv4 address inside an IPv4-mapped IPv6 one, or `address` itself.
ip::address unmapped(const ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return ip::make_address_v4(ip::v4_mapped, address.to_v6());
  }
  return address;
}

}  // namespace

bool is_loopback(const ip::address& address) {
  return unmapped(address).is_loopback();
}

std::string source_of(const ip::address& address) {
  ip::address a = unmapped(address);
  if (a.is_v4()) return a.to_string();
  auto bytes = a.to_v6().to_bytes();
  for (size_t i = 8; i < bytes.size(); ++i) bytes[i] = 0;
  return ip::address_v6(bytes).to_string() + "/64";
}

Intake::Intake(IntakeLimits limits) : limits_(limits) {}

std::optional<Intake::Ticket> Intake::admit_connection(const ip::address& peer) {
  std::lock_guard lock(mutex_);
  if (is_loopback(peer)) {
    if (loopback_ >= limits_.loopback_connections) return std::nullopt;
    ++loopback_;
    return Ticket(this, {});
  }
  if (network_ >= limits_.network_connections) return std::nullopt;
  std::string source = source_of(peer);
  size_t& open = per_source_[source];
  if (open >= limits_.connections_per_source) {
    if (open == 0) per_source_.erase(source);
    return std::nullopt;
  }
  ++open;
  ++network_;
  return Ticket(this, std::move(source));
}

std::optional<Intake::Reservation> Intake::reserve_unverified(size_t bytes) {
  std::lock_guard lock(mutex_);
  if (bytes > limits_.unverified_body_bytes - unverified_) return std::nullopt;
  unverified_ += bytes;
  return Reservation(this, bytes);
}

size_t Intake::network_connections() const {
  std::lock_guard lock(mutex_);
  return network_;
}

size_t Intake::loopback_connections() const {
  std::lock_guard lock(mutex_);
  return loopback_;
}

size_t Intake::unverified_bytes() const {
  std::lock_guard lock(mutex_);
  return unverified_;
}

void Intake::release_connection(const std::string& source) {
  std::lock_guard lock(mutex_);
  if (source.empty()) {
    --loopback_;
    return;
  }
  --network_;
  auto it = per_source_.find(source);
  if (it != per_source_.end() && --it->second == 0) per_source_.erase(it);
}

void Intake::release_bytes(size_t bytes) {
  std::lock_guard lock(mutex_);
  unverified_ -= bytes;
}

Intake::Ticket::Ticket(Ticket&& other) noexcept
    : intake_(std::exchange(other.intake_, nullptr)), source_(std::move(other.source_)) {}

Intake::Ticket::~Ticket() {
  if (intake_) intake_->release_connection(source_);
}

Intake::Reservation::Reservation(Reservation&& other) noexcept
    : intake_(std::exchange(other.intake_, nullptr)), bytes_(other.bytes_) {}

Intake::Reservation::~Reservation() {
  if (intake_) intake_->release_bytes(bytes_);
}

}  // namespace quorum::net
