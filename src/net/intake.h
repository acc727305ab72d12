// Intake: the node's account of what it takes in before it knows who is calling: open connections (from
// this machine and from others apart, and per source address) and bytes of request bodies being read before
// their sender is verified. It decides and counts; the server enforces (closes the connection, answers 503).
//
// Tickets and reservations give their share back when destroyed; the Intake must outlive them.
// Thread-safe: one Intake serves every listener and thread of a node.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "net/server_limits.h"

namespace quorum::net {

class Intake {
 public:
  explicit Intake(IntakeLimits limits = {});
  Intake(const Intake&) = delete;
  Intake& operator=(const Intake&) = delete;

  // One open connection's place. Move-only.
  class Ticket {
   public:
    Ticket(Ticket&& other) noexcept;
    Ticket& operator=(Ticket&&) = delete;
    ~Ticket();

   private:
    friend class Intake;
    Ticket(Intake* intake, std::string source) : intake_(intake), source_(std::move(source)) {}
    Intake* intake_;
    std::string source_;  // empty: a loopback connection
  };

  // Bytes of one unverified body. Move-only.
  class Reservation {
   public:
    Reservation(Reservation&& other) noexcept;
    Reservation& operator=(Reservation&&) = delete;
    ~Reservation();

   private:
    friend class Intake;
    Reservation(Intake* intake, size_t bytes) : intake_(intake), bytes_(bytes) {}
    Intake* intake_;
    size_t bytes_;
  };

  // A place for a new connection from `peer`, or nullopt when its budget is spent: a loopback address counts
  // against the loopback budget only; any other against the network total and its source's share.
  std::optional<Ticket> admit_connection(const boost::asio::ip::address& peer);
  // `bytes` of the unverified-body budget, or nullopt when they do not fit in what is left.
  std::optional<Reservation> reserve_unverified(size_t bytes);

  // Counts now (for tests and diagnostics).
  size_t network_connections() const;
  size_t loopback_connections() const;
  size_t unverified_bytes() const;
  const IntakeLimits& limits() const { return limits_; }

 private:
  void release_connection(const std::string& source);
  void release_bytes(size_t bytes);

  const IntakeLimits limits_;
  mutable std::mutex mutex_;
  size_t network_ = 0;
  size_t loopback_ = 0;
  size_t unverified_ = 0;
  std::unordered_map<std::string, size_t> per_source_;  // only sources with open connections
};

// True for 127.0.0.0/8, ::1 and their IPv4-mapped forms.
bool is_loopback(const boost::asio::ip::address& address);
// The key connections from `address` are counted under: the IPv4 address (IPv4-mapped ones unmapped), or
// the /64 prefix of an IPv6 address (one host commonly holds a whole /64).
std::string source_of(const boost::asio::ip::address& address);

}  // namespace quorum::net
