#include "auth/authenticator.h"

#include <chrono>

#include "auth/api_key.h"

namespace quorum::auth {

namespace {

int64_t system_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

ApiError unauthenticated() {
  return ApiError{
      401, "invalid_request_error",
      "Requests from other machines must authenticate; this node accepts unauthenticated requests "
      "only from loopback.",
      std::nullopt, std::string("invalid_api_key")};
}

ApiError plaintext_peer() {
  return ApiError{
      401, "invalid_request_error",
      "Requests between the nodes of a cluster must come in a TLS session with the cluster's key; "
      "this one came in plain text.",
      std::nullopt, std::string("invalid_api_key")};
}

}  // namespace

std::optional<Result<Caller>> LoopbackTrust::check(const net::HttpRequest& request) {
  if (request.arrival != net::Arrival::kLoopback) return std::nullopt;
  return Result<Caller>(Caller::local());
}

std::optional<Result<HeadCheck>> LoopbackTrust::check_head(const net::RequestHead& head) {
  if (head.arrival != net::Arrival::kLoopback) return std::nullopt;
  return Result<HeadCheck>(HeadCheck::kVerified);
}

std::optional<Result<Caller>> RelayTrust::check(const net::HttpRequest& request) {
  if (request.arrival != net::Arrival::kRelay) return std::nullopt;
  return Result<Caller>(Caller::relay_client(std::string(request.headers.get("X-Quorum-Relay-Key")),
                                             std::string(request.headers.get("X-Request-Id"))));
}

std::optional<Result<HeadCheck>> RelayTrust::check_head(const net::RequestHead& head) {
  if (head.arrival != net::Arrival::kRelay) return std::nullopt;
  return Result<HeadCheck>(HeadCheck::kVerified);
}

std::optional<Result<Caller>> ApiKeyCheck::decide(const net::RequestHead& head) const {
  if (head.arrival != net::Arrival::kNetwork || !keys_) return std::nullopt;
  const std::string_view authorization = head.headers.get("Authorization");
  if (authorization.size() < 10 || !net::iequals(authorization.substr(0, 7), "Bearer ") ||
      authorization.substr(7, 3) != "qk_") {
    return std::nullopt;
  }
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  auto checked = keys_->check(authorization.substr(7), now);
  auto refuse = [](std::string message) {
    return Result<Caller>(ApiError{401, "invalid_request_error", std::move(message), std::nullopt,
                                   std::string("invalid_api_key")});
  };
  switch (checked.verdict) {
    case KeyVerdict::kOk:
      return Result<Caller>(Caller::key_holder(checked.key_id, checked.models));
    case KeyVerdict::kRevoked:
      return refuse("This API key was revoked.");
    case KeyVerdict::kExpired:
      return refuse("This API key has expired.");
    default:
      return refuse("Incorrect API key provided: " + api_key::redacted(authorization.substr(7)) + ".");
  }
}

std::optional<Result<Caller>> ApiKeyCheck::check(const net::HttpRequest& request) {
  return decide(request);
}

std::optional<Result<HeadCheck>> ApiKeyCheck::check_head(const net::RequestHead& head) {
  auto decided = decide(head);
  if (!decided) return std::nullopt;
  if (!*decided) return Result<HeadCheck>(decided->take_error());
  return Result<HeadCheck>(HeadCheck::kVerified);
}

cluster::PeerProof peer_proof_of(const net::Headers& headers) {
  namespace h = cluster::peer_headers;
  return cluster::PeerProof{std::string(headers.get(h::kNode)), std::string(headers.get(h::kTo)),
                            std::string(headers.get(h::kTime)), std::string(headers.get(h::kNonce)),
                            std::string(headers.get(h::kProof))};
}

PeerProofCheck::PeerProofCheck(std::string self_id, std::string secret, UnixMillis now_ms)
    : self_id_(std::move(self_id)), secret_(std::move(secret)), now_ms_(std::move(now_ms)) {}

std::optional<Result<Caller>> PeerProofCheck::check(const net::HttpRequest& request) {
  if (!request.headers.has(cluster::peer_headers::kProof)) return std::nullopt;
  if (request.arrival == net::Arrival::kNetwork) return Result<Caller>(plaintext_peer());
  auto proof = peer_proof_of(request.headers);
  auto verified =
      verifier_.verify(secret_, self_id_, proof, request.method, request.target, request.body, now_ms_());
  if (!verified) return Result<Caller>(verified.take_error());
  return Result<Caller>(Caller::peer(std::move(proof.node)));
}

std::optional<Result<HeadCheck>> PeerProofCheck::check_head(const net::RequestHead& head) {
  if (!head.headers.has(cluster::peer_headers::kProof)) return std::nullopt;
  if (head.arrival == net::Arrival::kNetwork) return Result<HeadCheck>(plaintext_peer());
  auto checked =
      verifier_.precheck(self_id_, peer_proof_of(head.headers), head.method, head.target, now_ms_());
  if (!checked) return Result<HeadCheck>(checked.take_error());
  return Result<HeadCheck>(HeadCheck::kPending);
}

Result<Caller> Authenticator::authenticate(const net::HttpRequest& request) const {
  for (const auto& step : steps_) {
    if (auto decided = step->check(request)) return std::move(*decided);
  }
  return unauthenticated();
}

Result<HeadCheck> Authenticator::admit(const net::RequestHead& head) const {
  for (const auto& step : steps_) {
    if (auto decided = step->check_head(head)) return std::move(*decided);
  }
  return unauthenticated();
}

std::unique_ptr<Authenticator> node_authenticator(const std::string& self_id,
                                                  const std::optional<std::string>& cluster_secret,
                                                  std::shared_ptr<const KeyBook> keys) {
  auto chain = std::make_unique<Authenticator>();
  if (cluster_secret) chain->add(std::make_unique<PeerProofCheck>(self_id, *cluster_secret, system_unix_ms));
  chain->add(std::make_unique<LoopbackTrust>());
  chain->add(std::make_unique<RelayTrust>());
  if (keys) chain->add(std::make_unique<ApiKeyCheck>(std::move(keys)));
  return chain;
}

}  // namespace quorum::auth
