// Passwords of the relay dashboard's users: argon2id through libsodium (crypto_pwhash_str), in its
// self-describing text form ("$argon2id$v=19$m=…,t=…,p=…$salt$hash"), which is what the store keeps.
//
// Cost: OPSLIMIT_INTERACTIVE / MEMLIMIT_INTERACTIVE (64 MiB, about 0.1 s a hash). Tests only may lower it to
// libsodium's minimum by setting QUORUM_RELAY_CHEAP_PASSWORDS=1 in the environment (read at each hash);
// verification reads the cost from the stored text, so either kind verifies anywhere. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace quorum::relay::password {

// Passwords are 8 to 1024 bytes.
inline constexpr size_t kMinLength = 8;
inline constexpr size_t kMaxLength = 1024;

// 400 (field "password") when the password is too short or too long.
Status acceptable(std::string_view password);
// The stored form of a new hash of `password` (a fresh random salt). 500 when libsodium cannot allocate.
Result<std::string> hash(std::string_view password);
// True when `password` matches `stored`; false for anything else, including an empty or damaged `stored`.
bool verify(std::string_view stored, std::string_view password);
// Spends about the time of a verify() against a real hash: what a sign-in for an unknown user does, so that
// timing does not tell which emails have an account.
void verify_dummy(std::string_view password);

}  // namespace quorum::relay::password
