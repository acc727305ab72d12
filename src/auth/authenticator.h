// The auth chain: one call from a request to the Caller it comes from, or a refusal in the API's shape.
// Each step recognises one kind of caller (loopback trust, a cluster peer's proof; later an API key and a
// request delivered by the relay) and either decides or passes the request on; a request no step accepts is
// refused with 401. Trust comes from where the request arrived (HttpRequest::arrival) and what it proves.
//
// Two moments: admit() runs on the request's head, before its body is read, so that a caller who cannot be
// served is refused without the node reading (or buffering) what it sends; authenticate() runs on the whole
// request and decides. A caller whose proof covers the body (a peer) passes admit() only as "pending".
//
// Thread-safety: authenticate() may be called from every server thread at once; steps are added before
// serving.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/caller.h"
#include "auth/key_book.h"
#include "cluster/peer_proof.h"
#include "core/result.h"
#include "net/http_server.h"

namespace quorum::auth {

// What a request's head establishes about its caller.
enum class HeadCheck {
  kVerified,  // known already: the body needs no checking
  kPending,   // nothing wrong so far; the body is needed to decide (authenticate())
};

class AuthStep {
 public:
  virtual ~AuthStep() = default;
  // nullopt: not this step's kind of caller (the next step decides). Otherwise the caller, or the refusal.
  virtual std::optional<Result<Caller>> check(const net::HttpRequest& request) = 0;
  // The same from the head alone: nullopt when not this step's kind of caller; a refusal here is one
  // check() would make too.
  virtual std::optional<Result<HeadCheck>> check_head(const net::RequestHead& head) = 0;
};

// A request that arrived on loopback is from this machine: trusted.
class LoopbackTrust final : public AuthStep {
 public:
  std::optional<Result<Caller>> check(const net::HttpRequest& request) override;
  std::optional<Result<HeadCheck>> check_head(const net::RequestHead& head) override;
};

// A request that came on a stream the relay opened (net::Arrival::kRelay, which only the node's relay link
// produces) is from a client whose API key the relay checked: its key id (X-Quorum-Relay-Key) and request
// id (X-Request-Id) come with it, for usage.
class RelayTrust final : public AuthStep {
 public:
  std::optional<Result<Caller>> check(const net::HttpRequest& request) override;
  std::optional<Result<HeadCheck>> check_head(const net::RequestHead& head) override;
};

// A request from the network with `Authorization: Bearer qk_…` is a key holder's when the key is one of the
// cluster's (KeyBook: as the relay last sent them); a wrong, revoked or expired key is refused (401
// invalid_api_key) from the head alone. Other Bearer values are not this step's (a loopback client's SDK
// sends one whatever it talks to).
class ApiKeyCheck final : public AuthStep {
 public:
  explicit ApiKeyCheck(std::shared_ptr<const KeyBook> keys) : keys_(std::move(keys)) {}
  std::optional<Result<Caller>> check(const net::HttpRequest& request) override;
  std::optional<Result<HeadCheck>> check_head(const net::RequestHead& head) override;

 private:
  std::optional<Result<Caller>> decide(const net::RequestHead& head) const;
  std::shared_ptr<const KeyBook> keys_;
};

// A request that carries a peer proof (cluster/peer_proof.h) is from a node of the cluster when it came in a
// TLS session with the cluster's key (net::Arrival::kPeerTls) or on loopback (which nobody on the LAN sees),
// and the proof holds: addressed to this node, fresh, never seen before, signed with the cluster secret. A
// bad proof is refused (401, saying what was wrong without revealing anything of the secret), and so is a
// proof sent in plain text from the network (401: peers talk TLS; a proof in the clear may have been read,
// and what it does not cover altered on the way).
class PeerProofCheck final : public AuthStep {
 public:
  using UnixMillis = std::function<int64_t()>;
  // `self_id`: this node, which the request must be addressed to. `now_ms`: the clock (Unix milliseconds).
  PeerProofCheck(std::string self_id, std::string secret, UnixMillis now_ms);
  std::optional<Result<Caller>> check(const net::HttpRequest& request) override;
  // Pending when everything but the proof holds (cluster::PeerVerifier::precheck).
  std::optional<Result<HeadCheck>> check_head(const net::RequestHead& head) override;

 private:
  std::string self_id_;
  std::string secret_;
  UnixMillis now_ms_;
  cluster::PeerVerifier verifier_;
};

// The peer proof a request carries (empty fields where a header is missing).
cluster::PeerProof peer_proof_of(const net::Headers& headers);

class Authenticator {
 public:
  void add(std::unique_ptr<AuthStep> step) { steps_.push_back(std::move(step)); }
  // The first step's decision; 401 invalid_api_key when no step knows the caller.
  Result<Caller> authenticate(const net::HttpRequest& request) const;
  // The same on the head alone, before the body is read.
  Result<HeadCheck> admit(const net::RequestHead& head) const;

 private:
  std::vector<std::unique_ptr<AuthStep>> steps_;
};

// A node's chain: in a cluster (`cluster_secret` set), peer proofs, then loopback trust. A request that
// carries a proof is judged by it wherever it arrives, so a node on the same machine (loopback clusters,
// tests, benchmarks) is a peer too, and a loopback request with a bad proof is refused rather than trusted:
// only a proven peer may speak for a node (POST /v1/cluster/heartbeat).
std::unique_ptr<Authenticator> node_authenticator(const std::string& self_id,
                                                  const std::optional<std::string>& cluster_secret,
                                                  std::shared_ptr<const KeyBook> keys = nullptr);

}  // namespace quorum::auth
